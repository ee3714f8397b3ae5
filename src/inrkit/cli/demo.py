"""``inrkit demo``: show off both default models, and the official LIIF beside ours.

The photo (scikit-image's ``chelsea``, which the default LIIF model never saw in training) is
downsampled by ``--scale`` (Pillow bicubic, antialiased) and upscaled back to its own size by
bicubic, by the bundled default LIIF (``--model``) and by the official EDSR-baseline-LIIF
(``--official``, fetched once into the cache; when it cannot be fetched the demo says so in one
line and goes on without it), each labelled with its PSNR against the original photo (RGB,
whole image). Writes under ``--out-dir`` (default ``out/demo``): ``input.png`` (the small
image), ``bicubic.png``, ``liif.png``, ``official.png``, a labelled ``side_by_side.png`` and a
zoomed ``zoom.png``; then the default GIRAFFE's object rotation, horizontal and depth
translation as looping GIFs (with six-frame PNG strips) under ``giraffe/``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow loads only when the demo runs, to keep `inrkit --help` quick
    from PIL import Image

SAMPLE = "chelsea.png"
OFFICIAL = "edsr-baseline-liif"
NO_OFFICIAL = "none"
IMAGES = ("input.png", "bicubic.png", "liif.png", "official.png", "side_by_side.png", "zoom.png")
GIRAFFE_PROGRAMS = (
    "object_rotation",
    "object_translation_horizontal",
    "object_translation_vertical",  # depth
)
GIRAFFE_SAMPLES = 8


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo",
        help="upscale a sample photo with the default and the official LIIF model",
        description=(__doc__ or "").splitlines()[0],
    )
    p.add_argument("--out-dir", default="out/demo", help="where to write (default: out/demo)")
    p.add_argument(
        "--scale", type=float, default=3.5, help="downsampling, then upscaling factor (3.5)"
    )
    p.add_argument("--model", default="default", help="LIIF checkpoint or official name")
    p.add_argument(
        "--official",
        default=OFFICIAL,
        help=f"the model to compare with (default: {OFFICIAL}; '{NO_OFFICIAL}' for none)",
    )
    p.add_argument(
        "--giraffe-model", default="default", help="GIRAFFE checkpoint (default: the bundled one)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace earlier demo outputs")
    p.set_defaults(run=run)


def _label(img: Image.Image, text: str) -> Image.Image:
    from PIL import ImageDraw

    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 8 + 6 * len(text), 16), fill=(0, 0, 0))
    draw.text((4, 2), text, fill=(255, 255, 255))
    return img


def _psnr(img: Image.Image, reference: Image.Image) -> float:
    """PSNR in dB of an RGB image against the reference, over the whole image."""
    import numpy as np
    import torch

    from inrkit.metrics.psnr import calc_psnr

    def tensor(im: Image.Image) -> torch.Tensor:
        return torch.from_numpy(np.asarray(im, dtype=np.float32) / 255).permute(2, 0, 1)[None]

    return float(calc_psnr(tensor(img), tensor(reference)))


def _load_official(name: str):
    """The official model, or None after one line saying why it is not available."""
    from inrkit.errors import InrkitError
    from inrkit.liif import load

    if name == NO_OFFICIAL:
        return None
    try:
        return load(name)
    except InrkitError as e:
        print(f"inrkit demo: going on without the official model: {e}", file=sys.stderr)
        return None


def _side_by_side(panels: list[tuple[Image.Image, str]]) -> Image.Image:
    """The panels in a row, 8 white pixels apart, each labelled."""
    from PIL import Image

    w, h = panels[0][0].size
    row = Image.new("RGB", (len(panels) * (w + 8) - 8, h), (255, 255, 255))
    for i, (img, text) in enumerate(panels):
        row.paste(_label(img.copy(), text), (i * (w + 8), 0))
    return row


def _zoom(panels: list[tuple[Image.Image, str]]) -> Image.Image:
    """A crop around the centre of each panel, enlarged 3x with nearest neighbour."""
    from PIL import Image

    w, h = panels[0][0].size
    cw, ch = w // 4, h // 4
    box = (w // 2 - cw // 2, h // 2 - ch // 2)
    box = (*box, box[0] + cw, box[1] + ch)
    crops = [
        (img.crop(box).resize((cw * 3, ch * 3), Image.Resampling.NEAREST), t) for img, t in panels
    ]
    return _side_by_side(crops)


def run(args: argparse.Namespace) -> int:
    from PIL import Image

    from inrkit.data.photos import photo_dir
    from inrkit.errors import InrkitError, file_error
    from inrkit.giraffe.animation import output_paths
    from inrkit.io.images import read_image, save_image
    from inrkit.liif import load, upscale

    if not args.scale > 1:
        raise InrkitError(f"--scale must be more than 1, got {args.scale:g}")
    out = Path(args.out_dir)
    targets = [out / name for name in IMAGES]
    for program in GIRAFFE_PROGRAMS:
        targets += output_paths(program, out / "giraffe", GIRAFFE_SAMPLES, "gif")
    if not args.overwrite:
        for path in targets:
            if path.exists():
                raise file_error(path, "already exists (use --overwrite)")
    import inrkit.giraffe

    giraffe_model = inrkit.giraffe.load(args.giraffe_model)  # the models load before writing
    model = load(args.model)
    official = _load_official(args.official)

    hr = read_image(photo_dir() / SAMPLE).convert("RGB")
    small = (max(1, round(hr.width / args.scale)), max(1, round(hr.height / args.scale)))
    lr = hr.resize(small, Image.Resampling.BICUBIC)  # Pillow's bicubic antialiases when shrinking
    size = (hr.height, hr.width)
    results = {
        "bicubic.png": ("bicubic", lr.resize(hr.size, Image.Resampling.BICUBIC)),
        "liif.png": (f"LIIF {Path(args.model).stem}", upscale(model, lr, size=size, progress=None)),
    }
    if official is not None:
        sr = upscale(official, lr, size=size, progress=None)
        results["official.png"] = (f"official {args.official}", sr)
    panels = [(img, f"{text} {_psnr(img, hr):.2f} dB") for text, img in results.values()]

    out.mkdir(parents=True, exist_ok=True)
    (out / "official.png").unlink(missing_ok=True)  # never left over from an earlier run
    save_image(lr, out / "input.png", overwrite=True)
    for name, (_, img) in results.items():
        save_image(img, out / name, overwrite=True)
    save_image(_side_by_side(panels), out / "side_by_side.png", overwrite=True)
    input_panel = (lr.resize(hr.size, Image.Resampling.NEAREST), "input")
    save_image(_zoom([input_panel, *panels]), out / "zoom.png", overwrite=True)
    print(f"{SAMPLE} {hr.width}x{hr.height} -> {lr.width}x{lr.height} -> x{args.scale:g} back;")
    print("PSNR against the original photo (RGB):")
    for (name, _), (_, text) in zip(results.items(), panels, strict=True):
        print(f"  {text:<40} {out / name}")
    print(f"  side by side: {out / 'side_by_side.png'}, zoomed: {out / 'zoom.png'}")
    from inrkit.giraffe.animation import save_program

    print("GIRAFFE animations (default model):")
    for program in GIRAFFE_PROGRAMS:
        written = save_program(
            giraffe_model,
            program,
            out / "giraffe",
            n_samples=GIRAFFE_SAMPLES,
            steps=24,
            seed=0,
            fmt="gif",
            progress=False,
        )
        print(f"  {written[0]}")
    return 0
