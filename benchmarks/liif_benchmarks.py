"""The LIIF paper's test rows with the authors' weights: inrkit beside the official code.

Each row is one data set at one scale, scored by ``inrkit.liif.evaluate`` exactly as
``inrkit liif eval`` does (Y channel and shave = scale on the benchmarks, plain RGB on the
CelebA-HQ tasks), beside bicubic on the same LR. The official numbers come from the unmodified
official ``test.py`` run on the same files (its ``result:`` lines, one JSON line per config:
``{"config": "test-set5-2.yaml", "psnr": ..., "seconds": ...}``); they are kept in the JSON so
that the table can be rebuilt without rerunning them.

    python benchmarks/liif_benchmarks.py --model edsr-baseline-liif.pth --root load \\
        --sets set5,set14,b100 --scales 2,3,4,6,8 [--official official.jsonl]

Rows already in ``--out`` are kept (``--force`` reruns them); ``--table`` only rewrites the
Markdown from the JSON.

A large set can be scored in parts, each saved as it finishes (a killed run loses one part at
most): run once per part root holding a disjoint subset of the set's files, each with its own
``--out``, then ``--parts P1.json,P2.json,...`` merges every row that all parts have (PSNR,
SSIM and bicubic averaged over the images, as over the whole set; seconds added) into
``--out``. ``--official-parts A.jsonl,B.jsonl,...`` does the same for the official results of
the same parts (one line per config in each file).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# LIIF paper (Chen et al., CVPR 2021): Table 2 reports benchmarks for RDN-LIIF only (no
# EDSR-baseline-LIIF row); Table 4 the CelebA-HQ tasks with an EDSR-baseline encoder trained
# on CelebA-HQ (not the DIV2K weights scored here).
PAPER_RDN_LIIF = {
    "set5": {2: 38.17, 3: 34.68, 4: 32.50, 6: 29.15, 8: 27.14},
    "set14": {2: 33.97, 3: 30.53, 4: 28.80, 6: 26.64, 8: 25.15},
    "b100": {2: 32.32, 3: 29.26, 4: 27.74, 6: 25.98, 8: 24.91},
    "urban100": {2: 32.87, 3: 28.82, 4: 26.68, 6: 24.20, 8: 22.79},
}
PAPER_CELEBAHQ_LIIF = {"celebahq-64-128": 35.96, "celebahq-32-256": 27.74}
CONFIG_NAMES = {
    "celebahq-64-128": "test-celebAHQ-64-128",
    "celebahq-32-256": "test-celebAHQ-32-256",
}


def row_key(dataset: str, scale: float) -> str:
    return f"{dataset}-x{scale:g}"


def config_name(dataset: str, scale: float) -> str:
    """The official test config of a row (``test-set5-2.yaml``)."""
    return CONFIG_NAMES.get(dataset, f"test-{dataset}-{scale:g}") + ".yaml"


def paper_value(dataset: str, scale: float) -> float | None:
    if dataset in PAPER_CELEBAHQ_LIIF:
        return PAPER_CELEBAHQ_LIIF[dataset]
    return PAPER_RDN_LIIF.get(dataset, {}).get(int(scale))


def run_rows(args: argparse.Namespace, rows: dict) -> None:
    """Score every missing (set, scale) row with inrkit's evaluation API; save after each."""
    import torch

    from inrkit.liif import load
    from inrkit.liif.eval_config import fixed_scales, open_eval_set
    from inrkit.liif.evaluate import evaluate_images, scale_key

    model = load(args.model)
    for dataset in args.sets:
        scales = fixed_scales(dataset) or args.scales
        for s in scales:
            key = row_key(dataset, s)
            if key in rows and "inrkit" in rows[key] and not args.force:
                continue
            opened = open_eval_set(dataset, args.root, [s])
            start, cpu_start = time.perf_counter(), time.process_time()
            result = evaluate_images(
                model, opened.hr_images, [s], opened.protocol, paired=opened.paired
            )
            seconds = time.perf_counter() - start
            cpu_seconds = time.process_time() - cpu_start  # wall time depends on the neighbours
            res = result["results"]
            rows.setdefault(key, {}).update(
                dataset=dataset,
                scale=s,
                images=result["images"],
                protocol=result["protocol"],
                lr="given LR images" if s in opened.paired else "made from HR (official resize)",
                inrkit=res["model"][scale_key(s)]["psnr"],
                inrkit_ssim=res["model"][scale_key(s)]["ssim"],
                bicubic=res["bicubic"][scale_key(s)]["psnr"],
                inrkit_seconds=round(seconds, 1),
                inrkit_cpu_seconds=round(cpu_seconds, 1),
                threads=torch.get_num_threads(),
            )
            print(f"{key}: {rows[key]['inrkit']:.4f} dB ({seconds:.0f} s)", flush=True)
            save(args.out, rows)


def merge_official(path: Path, rows: dict) -> None:
    """Official ``result:`` values by config name into the rows they belong to."""
    by_config = {}
    for line in path.read_text().splitlines():
        if line.strip():
            rec = json.loads(line)
            by_config[rec["config"]] = rec
    for row in rows.values():
        rec = by_config.get(config_name(row["dataset"], row["scale"]))
        if rec is not None:
            row["official"] = rec["psnr"]
            row["official_seconds"] = rec["seconds"]
            if "cpu_seconds" in rec:
                row["official_cpu_seconds"] = rec["cpu_seconds"]


def _weighted(parts: list[dict], key: str) -> float:
    """The images-weighted mean of one value over parts: the mean over all their images."""
    return sum(p[key] * p["images"] for p in parts) / sum(p["images"] for p in parts)


def merge_parts(paths: list[Path], rows: dict) -> list[str]:
    """Rows that every part file has, combined over the parts into ``rows``; their keys."""
    loaded = [json.loads(path.read_text())["rows"] for path in paths]
    merged = []
    for key in sorted(set.intersection(*(set(r) for r in loaded))):
        parts = [r[key] for r in loaded]
        row = dict(parts[0], images=sum(p["images"] for p in parts), parts=len(parts))
        for name in ("inrkit", "inrkit_ssim", "bicubic"):
            row[name] = _weighted(parts, name)
        for name in ("inrkit_seconds", "inrkit_cpu_seconds"):
            if all(name in p for p in parts):
                row[name] = round(sum(p[name] for p in parts), 1)
        kept = {k: v for k, v in rows.get(key, {}).items() if k.startswith("official")}
        rows[key] = {k: v for k, v in row.items() if not k.startswith("official")} | kept
        merged.append(key)
    return merged


def merge_official_parts(paths: list[Path], rows: dict) -> None:
    """Official results of the same parts: a config present in every file, combined."""
    per_file = []
    for path in paths:
        recs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        per_file.append({rec["config"]: rec for rec in recs})
    for row in rows.values():
        config = config_name(row["dataset"], row["scale"])
        parts = [f[config] for f in per_file if config in f]
        if len(parts) != len(paths):
            continue
        row["official"] = _weighted(parts, "psnr")
        row["official_seconds"] = round(sum(p["seconds"] for p in parts), 1)
        if all("cpu_seconds" in p for p in parts):
            row["official_cpu_seconds"] = round(sum(p["cpu_seconds"] for p in parts), 1)


def save(path: Path, rows: dict) -> None:
    diffs = [abs(r["inrkit"] - r["official"]) for r in rows.values() if "official" in r]
    data = {
        "model": "edsr-baseline-liif.pth (authors' DIV2K weights, sha256 1cf77e16...)",
        "max_abs_diff_db": max(diffs) if diffs else None,
        "rows_compared": len(diffs),
        "rows": rows,
    }
    path.write_text(json.dumps(data, indent=2) + "\n")


def _seconds(row: dict, who: str) -> str:
    """``CPU / wall`` seconds of one side of a row (wall alone for the early runs)."""
    wall, cpu = row.get(f"{who}_seconds"), row.get(f"{who}_cpu_seconds")
    if wall is None:
        return "—"
    return f"{cpu:.0f} / {wall:.0f}" if cpu is not None else f"{wall:.0f}"


def table(rows: dict) -> str:
    """Markdown: one line per row, inrkit beside official, |difference|, paper, bicubic."""
    lines = [
        "| set | scale | inrkit | official code | abs. difference | paper (RDN-LIIF) | bicubic "
        "| inrkit s | official s |",  # CPU / wall seconds where both were recorded
        "|---|---|---|---|---|---|---|---|---|",
    ]
    order = ["set5", "set14", "b100", "urban100", "celebahq-64-128", "celebahq-32-256"]
    ranked = sorted(rows.values(), key=lambda r: (order.index(r["dataset"]), r["scale"]))
    for r in ranked:
        off = r.get("official")
        diff = f"{abs(r['inrkit'] - off):.1e}" if off is not None else "—"
        paper = paper_value(r["dataset"], r["scale"])
        cells = [
            r["dataset"],
            f"x{r['scale']:g}",
            f"{r['inrkit']:.4f}",
            f"{off:.4f}" if off is not None else "not run",
            diff,
            f"{paper:.2f}" if paper is not None else "—",
            f"{r['bicubic']:.4f}",
            _seconds(r, "inrkit"),
            _seconds(r, "official"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


PREAMBLE = """\
# LIIF test rows with the authors' EDSR-baseline-LIIF weights: inrkit vs the official code

Written by `python benchmarks/liif_benchmarks.py` from `liif_benchmarks.json`. PSNR in dB.

- **inrkit**: `inrkit.liif.evaluate.evaluate_images` on `open_eval_set(NAME, root, [s])`,
  i.e. `inrkit liif eval --model edsr-baseline-liif.pth --dataset NAME --scale S --root load`.
- **official code**: the unmodified `test.py` of github.com/yinboc/liif with its
  `configs/test/test-*.yaml`, on CPU (a driver outside the repository makes `.cuda()` the
  identity), on the same files.
- **paper**: the LIIF paper has no benchmark row for EDSR-baseline-LIIF; its Table 2 reports
  RDN-LIIF (a larger encoder), shown for scale only. For CelebA-HQ its Table 4 reports an
  EDSR-baseline LIIF trained on CelebA-HQ (not these DIV2K weights).
- Benchmarks: Y channel, border of `scale` pixels shaved; x2-x4 read the official
  `LR_bicubic` images, x6/x8 make LR from HR as the official configs do (HR cropped to a
  multiple of the scale, PIL bicubic of the 8-bit truncated HR). CelebA-HQ: the 'val' list
  of `split.json`, LR `celebAHQ/64` (or 32), HR `celebAHQ/128` (or 256), RGB, no shave.
- Urban100: scored in four parts of 25 images by both codes, merged with `--parts` and
  `--official-parts` (images-weighted means, seconds added); the raw part files and their
  commands are in `results/urban100_parts/`.
- Seconds: one thread each (`OMP_NUM_THREADS=1`) on a 2-core machine shared with other work,
  so wall times vary with the neighbours; "CPU / wall" where the CPU time was recorded.
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", help="the authors' edsr-baseline-liif.pth")
    p.add_argument("--root", type=Path, help="the load/ folder")
    p.add_argument("--sets", type=lambda t: t.split(","), default=["set5", "set14", "b100"])
    p.add_argument(
        "--scales", type=lambda t: [float(x) for x in t.split(",")], default=[2, 3, 4, 6, 8]
    )
    p.add_argument("--official", type=Path, help="JSON lines of the official results")
    paths = lambda t: [Path(x) for x in t.split(",")]  # noqa: E731
    p.add_argument("--parts", type=paths, help="part outputs of one set to merge into --out")
    p.add_argument("--official-parts", type=paths, help="the official results of those parts")
    p.add_argument("--out", type=Path, default=HERE / "liif_benchmarks.json")
    p.add_argument("--md", type=Path, default=HERE / "liif_benchmarks.md")
    p.add_argument("--force", action="store_true", help="rerun rows already in --out")
    p.add_argument("--table", action="store_true", help="only rebuild --md from --out")
    args = p.parse_args()
    rows = json.loads(args.out.read_text())["rows"] if args.out.exists() else {}
    if args.parts:
        print("merged from the parts:", ", ".join(merge_parts(args.parts, rows)) or "nothing")
    elif not args.table:
        if args.model is None:
            p.error("--model is required unless --table or --parts")
        run_rows(args, rows)
    if args.official is not None:
        merge_official(args.official, rows)
    if args.official_parts:
        merge_official_parts(args.official_parts, rows)
    save(args.out, rows)
    diffs = [abs(r["inrkit"] - r["official"]) for r in rows.values() if "official" in r]
    summary = ""
    if diffs:
        summary = f"\nMax abs. difference over {len(diffs)} rows run by both: {max(diffs):.1e} dB\n"
    args.md.write_text(PREAMBLE + "\n" + table(rows) + "\n" + summary)
    print(table(rows))


if __name__ == "__main__":
    main()
