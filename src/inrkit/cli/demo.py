"""``inrkit demo``: show off both default models.

Writes, under ``--out-dir`` (default ``out/demo``): the LIIF result, the bicubic result, a
side-by-side of both, and a zoomed crop of the three (LR nearest-neighbour, bicubic, LIIF) of a
photo the default LIIF model never saw in training (scikit-image's ``chelsea``); then the
default GIRAFFE's object rotation, horizontal and depth translation as looping GIFs (with
six-frame PNG strips) under ``giraffe/``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

SAMPLE = "chelsea.png"
GIRAFFE_PROGRAMS = (
    "object_rotation",
    "object_translation_horizontal",
    "object_translation_vertical",  # depth
)
GIRAFFE_SAMPLES = 8


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo",
        help="upscale a sample photo with the default LIIF model",
        description=__doc__.splitlines()[0],
    )
    p.add_argument("--out-dir", default="out/demo", help="where to write (default: out/demo)")
    p.add_argument("--scale", type=float, default=3.5, help="upscaling factor (default: 3.5)")
    p.add_argument("--model", default="default", help="LIIF checkpoint or official name")
    p.add_argument(
        "--giraffe-model", default="default", help="GIRAFFE checkpoint (default: the bundled one)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace earlier demo outputs")
    p.set_defaults(run=run)


def _label(img, text: str):
    from PIL import ImageDraw

    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 8 + 7 * len(text), 16), fill=(0, 0, 0))
    draw.text((4, 2), text, fill=(255, 255, 255))
    return img


def run(args: argparse.Namespace) -> int:
    from PIL import Image

    from inrkit.data.photos import photo_dir
    from inrkit.giraffe.animation import output_paths
    from inrkit.io.images import read_image, save_image
    from inrkit.liif import load, upscale

    out = Path(args.out_dir)
    names = ("liif.png", "bicubic.png", "side_by_side.png", "zoom.png")
    targets = [out / name for name in names]
    for program in GIRAFFE_PROGRAMS:
        targets += output_paths(program, out / "giraffe", GIRAFFE_SAMPLES, "gif")
    if not args.overwrite:
        for path in targets:
            if path.exists():
                from inrkit.errors import file_error

                raise file_error(path, "already exists (use --overwrite)")
    import inrkit.giraffe

    giraffe_model = inrkit.giraffe.load(args.giraffe_model)  # both models load before writing
    model = load(args.model)
    lr = read_image(photo_dir() / SAMPLE).convert("RGB")
    sr = upscale(model, lr, scale=args.scale, progress=None)
    bicubic = lr.resize(sr.size, Image.BICUBIC)
    side = Image.new("RGB", (sr.width * 2 + 8, sr.height), (255, 255, 255))
    side.paste(_label(bicubic.copy(), "bicubic"), (0, 0))
    side.paste(_label(sr.copy(), f"LIIF x{args.scale:g}"), (sr.width + 8, 0))
    # A zoomed crop around the centre, enlarged 3x with nearest neighbour to show pixels.
    cw, ch = sr.width // 4, sr.height // 4
    box = (sr.width // 2 - cw // 2, sr.height // 2 - ch // 2)
    box = (*box, box[0] + cw, box[1] + ch)
    crops = [lr.resize(sr.size, Image.NEAREST).crop(box), bicubic.crop(box), sr.crop(box)]
    zoom = Image.new("RGB", (cw * 9 + 16, ch * 3), (255, 255, 255))
    for i, (crop, text) in enumerate(zip(crops, ("input", "bicubic", "LIIF"), strict=True)):
        zoom.paste(
            _label(crop.resize((cw * 3, ch * 3), Image.NEAREST), text), (i * (cw * 3 + 8), 0)
        )
    out.mkdir(parents=True, exist_ok=True)
    for name, img in zip(names, (sr, bicubic, side, zoom), strict=True):
        save_image(img, out / name, overwrite=True)
    print(f"input {lr.width}x{lr.height} -> {sr.width}x{sr.height} (x{args.scale:g}); wrote:")
    for name in names:
        print(f"  {out / name}")
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
