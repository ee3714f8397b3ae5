"""``inrkit serve``: the web page and the REST API on 127.0.0.1 with uvicorn.

FastAPI, uvicorn and torch are imported inside :func:`run`, so ``inrkit serve --help`` stays
fast and works without the ``serve`` extra installed.
"""

from __future__ import annotations

import argparse
import os

from inrkit.cli.flags import add_precision_flag, effective_precision, positive_int
from inrkit.errors import InrkitError
from inrkit.server.limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS

NO_MODEL = "none"


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, got {text!r}")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``inrkit serve``."""
    p = subparsers.add_parser(
        "serve",
        help="serve the web page and REST API for LIIF upscales and GIRAFFE frames",
        description="Serve a web page at / and a REST API on HOST:PORT (127.0.0.1 unless told "
        "otherwise): POST /api/upscale, POST /api/giraffe/render, POST /api/giraffe/animation, "
        "GET /api/models, GET /health; docs at /docs. Needs the serve extra: "
        "pip install 'inrkit[serve]'.",
    )
    p.set_defaults(run=run)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    p.add_argument("--port", type=_port, default=8000, help="port (default: %(default)s)")
    for flag, what in (("--liif-model", "LIIF"), ("--giraffe-model", "GIRAFFE")):
        p.add_argument(
            flag,
            default="default",
            metavar="M",
            help=f"{what} checkpoint file or official name; '{NO_MODEL}' leaves it out "
            "(default: %(default)s)",
        )
    p.add_argument(
        "--giraffe-config",
        metavar="C",
        help="preset name or official YAML for a GIRAFFE checkpoint file that holds no config "
        "(official files; e.g. cars_64)",
    )
    cores = os.cpu_count() or 1
    for flag, default, what in (
        ("--max-bytes", DEFAULT_MAX_BYTES, "largest upload in bytes"),
        ("--max-pixels", DEFAULT_MAX_PIXELS, "largest input and upscale output in pixels"),
        ("--workers", cores, "jobs in progress at once (they take turns on all the cores)"),
        ("--queue", 2 * cores, "jobs waiting or running at once; more get 503"),
    ):
        text = f"{what} (default: %(default)s)"
        p.add_argument(flag, type=positive_int, default=default, metavar="N", help=text)
    add_precision_flag(p, "run the models")


def run(args: argparse.Namespace) -> int:
    """Load the models, print the URL and serve until interrupted."""
    try:
        import uvicorn

        from inrkit.server import create_app
    except ImportError as e:
        raise InrkitError(f"serve needs the serve extra: pip install 'inrkit[serve]' ({e})") from e
    import inrkit.giraffe as giraffe
    import inrkit.liif as liif

    liif_model = None if args.liif_model == NO_MODEL else liif.load(args.liif_model)
    giraffe_model = (
        None
        if args.giraffe_model == NO_MODEL
        else giraffe.load(args.giraffe_model, config=args.giraffe_config)
    )
    # torch keeps its default of one intra-op thread per core: the jobs take turns on all the
    # cores (inrkit.server.work.Turns), so a request alone runs as fast as the command line.
    app = create_app(
        liif_model,
        giraffe_model,
        max_bytes=args.max_bytes,
        max_pixels=args.max_pixels,
        workers=args.workers,
        queue_size=args.queue,
        liif_name=None if liif_model is None else args.liif_model,
        giraffe_name=None if giraffe_model is None else args.giraffe_model,
        precision=effective_precision(args.precision, "cpu"),
    )
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"inrkit: serving on http://{host}:{args.port} (API docs: /docs; Ctrl+C stops)", flush=True
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
