"""The README's screenshots of the page: a real ``inrkit serve`` driven by headless Chromium.

    python docs/screenshots/make_screenshots.py --liif-model M --giraffe-model M
        [--giraffe-config C]

Starts the server on a free 127.0.0.1 port, uploads a small crop of scikit-image's ``chelsea``
photo (x4) in the Upscale tab and moves the loupe onto the divider, then renders a frame in the
GIRAFFE tab; writes ``upscale.png`` and ``giraffe.png`` beside this file, palette-reduced when
needed to stay under 300 KB. Needs Playwright's Python package and Debian's ``chromium``.
"""

from __future__ import annotations

import argparse
import io
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image
from playwright.sync_api import sync_playwright
from skimage import data

HERE = Path(__file__).resolve().parent
MAX_BYTES = 300_000
VIEWPORT = {"width": 1100, "height": 700}
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def serve(args: argparse.Namespace) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "inrkit", "serve", "--port", str(port)]
    cmd += ["--liif-model", args.liif_model, "--giraffe-model", args.giraffe_model]
    if args.giraffe_config:
        cmd += ["--giraffe-config", args.giraffe_config]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    while True:
        if proc.poll() is not None:
            sys.exit(f"inrkit serve failed: {proc.communicate()[1].strip()}")
        try:
            httpx.get(f"{url}/health", timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.2)


def save_small(png: bytes, path: Path) -> None:
    """Write ``png``, reduced to a 256-colour palette if it is over MAX_BYTES."""
    if len(png) > MAX_BYTES:
        buf = io.BytesIO()
        Image.open(io.BytesIO(png)).convert("RGB").quantize(256).save(buf, "PNG", optimize=True)
        png = buf.getvalue()
    path.write_bytes(png)
    print(f"{path}: {len(png) // 1024} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--liif-model", default="default")
    parser.add_argument("--giraffe-model", default="default")
    parser.add_argument("--giraffe-config")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    proc, url = serve(args)
    try:
        with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
            photo = Path(tmp) / "chelsea.png"
            Image.fromarray(data.chelsea()[60:156, 150:278]).save(photo)  # 128x96, the face
            browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(600_000)
            page.goto(url)
            page.set_input_files("#file", str(photo))
            page.wait_for_function("!document.getElementById('after').hidden")
            box = page.locator("#compare").bounding_box()
            split_x = box["x"] + box["width"] * 0.5
            page.mouse.move(split_x, box["y"] + box["height"] * 0.42)
            save_small(page.screenshot(), HERE / "upscale.png")

            page.click("#tab-giraffe")
            page.wait_for_selector("#frame", state="visible")
            page.fill("#g-rotation", "0.3")
            page.wait_for_function(
                "document.getElementById('g-rotation-out').textContent === '0.30'"
            )
            page.wait_for_timeout(1500)  # the debounced render of the new rotation
            save_small(page.screenshot(), HERE / "giraffe.png")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
