"""What the cross-dataset study writes: results.json, report.md and its curves.

:func:`collect_results` gathers the numbers of every run (from each run's ``eval.json`` and
``history.jsonl``) into one plain dict; :func:`write_outputs` turns it into
``OUT/results.json``, ``OUT/report.md`` (the table: rows = training sets plus bicubic,
columns = eval set x scale, PSNR / SSIM, best per column in bold) and ``OUT/curves/``.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

from inrkit.liif.config import TrainConfig
from inrkit.liif.config_types import NamedSpec, is_number
from inrkit.liif.evaluate import PROTOCOL_NOTES, scale_key
from inrkit.train.history import pyplot

EVALUATED = "epoch-last.pth"  # the final model of each run: the recipe fixes the epochs


def recipe_line(cfg: TrainConfig) -> str:
    """The recipe in one sentence, read from a resolved config (so ``--set`` shows)."""
    enc, imnet = cfg.model.encoder, cfg.model.imnet
    enc_args = {k: v for k, v in (enc.args if enc else {}).items() if k != "no_upsampling"}
    enc_text = (enc.name if enc else "?") + (
        f" ({', '.join(f'{k}={v}' for k, v in enc_args.items())})" if enc_args else ""
    )
    hidden = list(imnet.hidden_list) if imnet else None
    wrapper = cfg.train_dataset.wrapper
    wrap = wrapper.args if wrapper else {}
    opt = cfg.optimizer
    inp = wrap.get("inp_size")
    scales = f"U({wrap.get('scale_min', 1):g}, {wrap.get('scale_max', wrap.get('scale_min', 1)):g})"
    val = cfg.val_dataset.dataset if cfg.val_dataset else None
    val_args = ", ".join(f"{k}={v}" for k, v in (val.args if val else {}).items())
    parts = [
        f"LIIF, {enc_text} encoder, MLP {hidden}",
        f"batch {cfg.train_dataset.batch_size}",
        f"{opt.name.capitalize()} lr {opt.lr:g}" + (", step decay" if cfg.multi_step_lr else ""),
        f"{inp}x{inp} LR patches at scales {scales}" if inp else f"whole LR images at {scales}",
        f"{wrap.get('sample_q')} sampled pixels",
        "augmentation" if wrap.get("augment") else "no augmentation",
        f"L1 loss; epochs {cfg.epoch_max}"
        + (
            f", {cfg.steps_per_epoch} steps each (a CPU budget: --steps-per-epoch)"
            if cfg.steps_per_epoch
            else ""
        ),
        f"validation: {val.name if val else None} ({val_args})",
        f"scored: {EVALUATED}",
    ]
    return "; ".join(parts)


def _official(spec: NamedSpec | None) -> dict[str, Any] | None:
    return None if spec is None else spec.to_official()


def _history(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "history.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def collect_results(
    out: Path,
    configs: dict[str, TrainConfig],
    images: dict[str, int],
    caches: dict[str, dict],
    opened: dict[str, Any],
    scales: list[float],
    command: str,
    pretrained: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """All numbers of the study as plain data (what results.json holds).

    ``opened`` maps each eval set to its :class:`~inrkit.liif.study_eval.EvalSet` (the scales
    it is scored at: ``scales``, or a fixed task's own). ``pretrained`` maps a row to
    ``{'model', 'path'}``: models scored but not trained here.
    """
    keys = {n: [scale_key(s) for s in es.scales] for n, es in opened.items()}
    bicubic: dict[str, dict[str, Any]] = {name: {} for name in opened}
    runs = {}
    for run, info in (pretrained or {}).items():
        sets = caches[run]["sets"]
        runs[run] = {
            "pretrained": info["model"],
            "checkpoint": info["path"],
            "checkpoint_sha256": caches[run]["checkpoint_sha256"],
            "epochs": caches[run].get("epoch"),
            "eval_seconds": {n: sets[n]["seconds"] for n in opened},
            "results": {n: {k: sets[n]["model"][k] for k in keys[n]} for n in opened},
            "history": [],
        }
    for run, cfg in configs.items():
        history = _history(out / "runs" / run)
        losses = [r["train_loss"] for r in history if "train_loss" in r]
        vals = [r["val_psnr"] for r in history if isinstance(r.get("val_psnr"), float)]
        sets = caches[run]["sets"]
        for name in opened:  # bicubic is the same for every model: one row, from any run
            for k in keys[name]:
                bicubic[name].setdefault(k, sets[name]["bicubic"][k])
        runs[run] = {
            "train_dataset": _official(cfg.train_dataset.dataset),
            "train_images": images[run],
            "checkpoint": f"runs/{run}/{EVALUATED}",
            "epochs": history[-1]["epoch"] if history else caches[run].get("epoch"),
            "final_loss": losses[-1] if losses else None,
            "best_val_psnr": max(vals) if vals else None,
            "train_seconds": round(sum(r.get("time_s", 0.0) for r in history), 3),
            "eval_seconds": {n: sets[n]["seconds"] for n in opened},
            "results": {n: {k: sets[n]["model"][k] for k in keys[n]} for n in opened},
            "history": [
                {k: r.get(k) for k in ("epoch", "train_loss", "val_psnr", "lr", "time_s")}
                for r in history
            ],
            "config": cfg.to_dict(),
        }
    first = next(iter(configs.values()))
    return {
        "command": command,
        "recipe": recipe_line(first),
        "epochs": first.epoch_max,
        "scales": scales,
        "train_sets": list(configs),
        "eval_sets": {
            n: {
                "protocol": es.opened.protocol,
                "protocol_notes": PROTOCOL_NOTES[es.opened.protocol],
                "images": caches[next(iter(caches))]["sets"][n]["images"],
                "scales": es.scales,
                "notes": list(es.opened.notes),
            }
            for n, es in opened.items()
        },
        "bicubic": bicubic,
        "runs": runs,
        "timings": {
            "train_seconds": sum(r.get("train_seconds", 0.0) for r in runs.values()),
            "eval_seconds": sum(sum(r["eval_seconds"].values()) for r in runs.values()),
        },
    }


# ----- report.md ---------------------------------------------------------------------------
def results_table(results: dict[str, Any]) -> str:
    """Markdown: rows = training sets + bicubic, columns = eval set x scale, best in bold."""
    columns = [
        (n, scale_key(s))
        for n, info in results["eval_sets"].items()
        for s in info.get("scales", results["scales"])
    ]
    rows = {_row_name(run, r): r["results"] for run, r in results["runs"].items()}
    rows["bicubic"] = results["bicubic"]
    shown = {
        row: {
            c: (f"{cells[c[0]][c[1]]['psnr']:.2f}", f"{cells[c[0]][c[1]]['ssim']:.4f}")
            for c in columns
        }
        for row, cells in rows.items()
    }
    best = {c: [max(float(v[c][i]) for v in shown.values()) for i in (0, 1)] for c in columns}
    lines = [
        "| trained on | " + " | ".join(f"{n} {k}" for n, k in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for row, cells in shown.items():
        texts = []
        for c in columns:
            pair = [f"**{v}**" if float(v) == best[c][i] else v for i, v in enumerate(cells[c])]
            texts.append(" / ".join(pair))
        lines.append(f"| {row} | " + " | ".join(texts) + " |")
    return "\n".join(lines)


def read_compare(path: str | Path) -> dict[str, Any]:
    """Published numbers to print beside the study's (``--compare FILE``), validated.

    YAML: ``title`` (text), ``rows`` (``{row: {column: PSNR}}``) and an optional ``note``.
    """
    import yaml

    from inrkit.errors import InrkitError, file_error

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise file_error(path, "no such file (--compare)") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise file_error(path, f"cannot read it as YAML ({type(e).__name__})") from None
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("title"), str) or not rows:
        raise InrkitError(f"{path}: needs a 'title' and 'rows' ({{row: {{column: PSNR}}}})")
    for row, cells in rows.items():
        ok = isinstance(cells, dict) and all(map(is_number, cells.values()))
        if not ok or not cells:
            raise InrkitError(f"{path}: rows.{row} must map column names to numbers")
    return {"title": data["title"], "rows": rows, "note": str(data.get("note", "")).strip()}


def compare_markdown(compare: dict[str, Any]) -> list[str]:
    """The ``--compare`` table and its note, as report lines."""
    columns = list(dict.fromkeys(c for cells in compare["rows"].values() for c in cells))
    lines = ["", f"## Beside: {compare['title']}", ""]
    lines.append("| row | " + " | ".join(columns) + " |")
    lines.append("|---|" + "---:|" * len(columns))
    for row, cells in compare["rows"].items():
        lines.append(f"| {row} | " + " | ".join(_fmt(cells.get(c), ".2f") for c in columns) + " |")
    if compare["note"]:
        lines += ["", compare["note"]]
    return lines


def _row_name(run: str, r: dict[str, Any]) -> str:
    return f"{run} (pretrained)" if r.get("pretrained") else run


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None or not math.isfinite(value) else format(value, spec)


def report_markdown(results: dict[str, Any], curves: dict[str, dict[str, str]]) -> str:
    """The whole report.md."""
    lines = [
        "# LIIF cross-dataset study",
        "",
        f"**Recipe:** {results['recipe']}.",
        "",
        f"**Command:** `{results['command']}`",
        "",
        "## Results",
        "",
        "PSNR (dB) / SSIM of each run's final model on each evaluation set and scale; "
        "the best of each column in bold; bicubic upsampling of the same LR input for "
        "reference.",
        "",
        results_table(results),
        "",
    ]
    for name, info in results["eval_sets"].items():
        notes = "".join(f"; {n}" for n in info["notes"])
        lines.append(
            f"- {name}: {info['images']} images, {info['protocol']} protocol "
            f"({info['protocol_notes']}){notes}"
        )
    for run, r in results["runs"].items():
        if r.get("pretrained"):
            lines.append(
                f"- {run} (pretrained): `{r['pretrained']}` (epoch {r['epochs']}, sha256 "
                f"{r['checkpoint_sha256'][:12]}…), scored as given, not trained by this study"
            )
    if results.get("compare"):
        lines += compare_markdown(results["compare"])
    if results.get("warnings"):
        lines += ["", "## Warnings", ""]
        lines += [f"- **{w}**" for w in results["warnings"]]
    lines += [
        "",
        "## Runs",
        "",
        "| run | data set | images x repeat | epochs | final L1 loss | best val PSNR "
        "| train s | eval s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run, r in results["runs"].items():
        if r.get("pretrained"):
            continue
        data, repeat = r["train_dataset"], r["train_dataset"].get("args", {}).get("repeat", 1)
        cells = [
            run,
            data["name"],
            f"{r['train_images']} x {repeat}",
            str(r["epochs"]),
            _fmt(r["final_loss"], ".4f"),
            _fmt(r["best_val_psnr"], ".2f"),
            f"{r['train_seconds']:.1f}",
            f"{sum(r['eval_seconds'].values()):.1f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Curves",
        "",
        "![loss and val PSNR of all runs](curves/all_runs.png)",
        "",
        "| run | L1 loss | val PSNR |",
        "|---|---|---|",
    ]
    for run, files in curves.items():
        cells = [f"![{run} {k}]({files[k]})" if k in files else "-" for k in ("loss", "psnr")]
        lines.append(f"| {run} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically (a kill leaves the old file or the new one)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


# ----- curves ------------------------------------------------------------------------------
def plot_all_runs(results: dict[str, Any], path: Path) -> Path:
    """One PNG: every run's training loss (left) and validation PSNR (right) per epoch."""
    plt = pyplot()  # a one-line error naming the extra without matplotlib
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), dpi=100)
    for run, r in results["runs"].items():
        for ax, key in zip(axes, ("train_loss", "val_psnr"), strict=True):
            points = [
                (h["epoch"], h[key])
                for h in r["history"]
                if isinstance(h.get(key), float) and math.isfinite(h[key])
            ]
            if points:
                ax.plot(
                    *zip(*points, strict=True), marker="o" if len(points) < 30 else None, label=run
                )
    for ax, ylabel in zip(axes, ("training L1 loss", "validation PSNR (dB)"), strict=True):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)
    return path


def write_outputs(out: Path, results: dict[str, Any]) -> None:
    """results.json, curves/ (per-run copies and all_runs.png) and report.md."""
    folder = out / "curves"
    folder.mkdir(exist_ok=True)
    curves: dict[str, dict[str, str]] = {}
    for run, r in results["runs"].items():
        if r.get("pretrained"):  # nothing trained, no curves
            continue
        curves[run] = {}
        for kind in ("loss", "psnr"):
            src = out / "runs" / run / f"{kind}.png"
            if src.exists():
                shutil.copyfile(src, folder / f"{run}_{kind}.png")
                curves[run][kind] = f"curves/{run}_{kind}.png"
    plot_all_runs(results, folder / "all_runs.png")
    write_json(out / "results.json", results)
    (out / "report.md").write_text(report_markdown(results, curves))
