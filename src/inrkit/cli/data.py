"""``inrkit data``: get the LIIF data sets into the official layout, or render scenes.

``inrkit data fetch div2k|benchmark|celebahq --root DIR`` downloads (resumably) and unpacks
the public archives; ``inrkit data prepare-celebahq SRC_DIR --root DIR`` resizes the CelebAHQ
originals; ``inrkit data make-lr HR_DIR --scale 2,3,4 --out DIR`` makes the benchmarks' MATLAB
bicubic LR images of a folder. The root defaults to ``$INRKIT_DATA_ROOT``, else ``./load`` as in
the official code.
``inrkit data scenes --preset cars|clevr --n N --size S --out DIR`` renders a synthetic 3D scene
data set for GIRAFFE with ground-truth poses.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from inrkit.cli.flags import parse_int_scales
from inrkit.data.fetch import ARCHIVES  # torch-free: --help stays fast
from inrkit.errors import InrkitError
from inrkit.scenes.sampling import SCENE_PRESETS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``inrkit data`` and its sub-commands."""
    p = subparsers.add_parser(
        "data",
        help="download and prepare the data sets (DIV2K, benchmarks, CelebAHQ) or render scenes",
        description="Put the LIIF data sets into the official layout under a root folder: "
        "ROOT/div2k, ROOT/benchmark, ROOT/celebAHQ; or render a synthetic 3D scene data set.",
    )
    commands = p.add_subparsers(dest="data_command", metavar="COMMAND")
    root_help = "the data root (default: $INRKIT_DATA_ROOT, else ./load)"

    f = commands.add_parser(
        "fetch",
        help="download and unpack a data set",
        description="Download the public archives of a data set (resuming a broken download "
        "on the next run), check their size and checksum, and unpack them safely under ROOT. "
        "An archive already in place is checked and used, not downloaded again. CelebAHQ has "
        "no direct download: its split file is fetched and the message says where the "
        "originals are.",
    )
    f.add_argument("name", choices=tuple(ARCHIVES), help="the data set")
    f.add_argument("--root", type=Path, metavar="DIR", help=root_help)
    f.add_argument("--keep-archives", action="store_true", help="keep the archives after unpacking")
    f.add_argument("-q", "--quiet", action="store_true", help="no progress bars or messages")

    c = commands.add_parser(
        "prepare-celebahq",
        help="resize the CelebAHQ originals to 256, 128, 64 and 32 pixels",
        description="Resize the 1024x1024 CelebAHQ originals (data1024x1024) to "
        "ROOT/celebAHQ/{256,128,64,32} as the official resize.py (Pillow bicubic), and write "
        "ROOT/celebAHQ/split.json. Resumable: finished outputs are kept.",
    )
    c.add_argument("src", type=Path, metavar="SRC_DIR", help="folder of the original images")
    c.add_argument("--root", type=Path, metavar="DIR", help=root_help)
    c.add_argument(
        "--split",
        type=Path,
        metavar="SPLIT_JSON",
        help='{"train": [...], "val": [...]} file names (default: ROOT/celebAHQ/split.json if '
        "there, else the sorted names cut 90/10 like the official 27000/3000)",
    )
    c.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    _add_make_lr_parser(commands)
    _add_scenes_parser(commands)
    p.set_defaults(run=run)


def _add_make_lr_parser(commands: argparse._SubParsersAction) -> None:
    m = commands.add_parser(
        "make-lr",
        help="make the bicubic LR images of a folder of HR images, as the SR benchmarks'",
        description="Downscale every image in HR_DIR by each scale as the SR benchmarks' LR "
        "images were made: the image cropped to a multiple of the scale, then MATLAB's "
        "imresize(img, 1/s, 'bicubic') (antialiased), bit for bit. Writes DIR/X{s}/NAMEx{s}.png "
        "(the layout of ROOT/benchmark/SET/LR_bicubic); grey images stay grey. Nothing is "
        "written unless every input is usable, and existing outputs are kept unless "
        "--overwrite.",
    )
    m.add_argument("hr_dir", type=Path, metavar="HR_DIR", help="folder of the HR images")
    m.add_argument(
        "--scale",
        type=parse_int_scales,
        default=[2, 3, 4],
        metavar="S[,S...]",
        help="integer downscaling factors (default: 2,3,4)",
    )
    m.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="output folder, e.g. ROOT/benchmark/SET/LR_bicubic beside SET/HR",
    )
    m.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    m.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")


def _add_scenes_parser(commands: argparse._SubParsersAction) -> None:
    s = commands.add_parser(
        "scenes",
        help="render a synthetic 3D scene data set (toy cars or Clevr) with known poses",
        description="Ray cast procedural 3D scenes on the CPU (NumPy, nothing downloaded): a "
        "ground plane and a backdrop under a sun with soft shadows, and objects made of boxes, "
        "spheres and cylinders. 'cars': one toy car (random paint, azimuth, position, size) "
        "seen from the camera ranges of GIRAFFE's cars preset; 'cars64': the same cars anywhere in "
        "the box ranges of GIRAFFE's cars_64 (depth and sideways) under a high sun; 'clevr': 2-5 "
        "spheres, cubes and "
        "cylinders in the CLEVR colours, sizes and materials, from GIRAFFE's Clevr camera. "
        "Writes DIR/000000.png ... and beside each image a JSON file with the camera and every "
        "object's pose (type, centre, azimuth, scale, colour) and projected pixel centre. Scene "
        "i depends only on (seed, i): the same seed gives the same files, written alone or in "
        "any batch.",
    )
    s.add_argument(
        "--preset", required=True, choices=tuple(SCENE_PRESETS), help="the kind of scene"
    )
    s.add_argument("--n", type=int, required=True, metavar="N", help="number of scenes")
    s.add_argument("--size", type=int, default=64, metavar="S", help="image size (default: 64)")
    s.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    s.add_argument("--seed", type=int, default=0, help="seed of the data set (default: 0)")
    s.add_argument(
        "--start",
        type=int,
        default=0,
        metavar="INDEX",
        help="index of the first scene, to extend a data set (default: 0)",
    )
    s.add_argument(
        "--workers", type=int, default=1, metavar="K", help="processes rendering (default: 1)"
    )
    s.add_argument(
        "--supersample",
        type=int,
        default=2,
        metavar="K",
        help="antialiasing: K x K rays per pixel, 1-4 (default: 2)",
    )
    s.add_argument("--overwrite", action="store_true", help="replace existing files")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")


def run(args: argparse.Namespace) -> int:
    """Run the chosen ``inrkit data`` sub-command; 0 on success."""
    from tqdm.auto import tqdm

    def say(line: str) -> None:
        if not args.quiet:
            tqdm.write(line)

    if args.data_command == "fetch":
        from inrkit.data.fetch import fetch

        fetch(
            args.name, args.root, keep_archives=args.keep_archives, progress=not args.quiet, say=say
        )
        return 0
    if args.data_command == "prepare-celebahq":
        from inrkit.data.celebahq import prepare_celebahq

        done = prepare_celebahq(
            args.src,
            args.root,
            split_file=args.split,
            overwrite=args.overwrite,
            progress=not args.quiet,
        )
        say(
            f"{done.folder}/{{32,64,128,256}}: {done.written} images resized, "
            f"{done.skipped} already done; split: {done.n_train} train / {done.n_val} val "
            f"in {done.folder / 'split.json'}"
        )
        return 0
    if args.data_command == "make-lr":
        from inrkit.data.make_lr import make_lr

        made = make_lr(
            args.hr_dir, args.scale, args.out, overwrite=args.overwrite, progress=not args.quiet
        )
        folders = [f"X{s}" for s in dict.fromkeys(args.scale)]
        where = folders[0] if len(folders) == 1 else "{" + ",".join(folders) + "}"
        say(
            f"{made.folder}/{where}: {made.written} LR images of {made.images} HR images "
            f"in {made.seconds:.1f} s"
        )
        return 0
    if args.data_command == "scenes":
        from inrkit.data.scenes import write_scenes

        done = write_scenes(
            args.out,
            args.preset,
            args.n,
            args.size,
            seed=args.seed,
            start=args.start,
            workers=args.workers,
            supersample=args.supersample,
            overwrite=args.overwrite,
            progress=not args.quiet,
        )
        say(
            f"{done.folder}: {done.count} {args.preset} scenes (PNG + JSON) in "
            f"{done.seconds:.1f} s ({done.count / max(done.seconds, 1e-9):.1f} scenes/s)"
        )
        return 0
    raise InrkitError(
        "choose a data command: fetch, prepare-celebahq, make-lr or scenes "
        "(see 'inrkit data --help')"
    )
