"""The web page end to end: a real headless Chromium (Debian's) against a real server.

The browser and the server come from ``conftest.py`` (without Chromium these tests skip with
the reason). Each test saves screenshots under its ``tmp_path``.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from PIL import Image
from testlib.page import open_page, show_giraffe
from testlib.server import TINY, make_app, png_bytes, serving


def natural_size(page, selector: str) -> tuple[int, int]:
    return tuple(page.eval_on_selector(selector, "img => [img.naturalWidth, img.naturalHeight]"))


def wait_for_result(page, width: int, height: int) -> None:
    """Wait until the LIIF result shown is ``width`` x ``height`` pixels."""
    page.wait_for_function(
        "([w, h]) => { const img = document.getElementById('after');"
        " return !img.hidden && img.naturalWidth === w && img.naturalHeight === h; }",
        arg=[width, height],
    )


def pixels(page, selector: str) -> list[int]:
    """The RGBA bytes of an image on the page, read back through a canvas."""
    return page.eval_on_selector(
        selector,
        """img => {
            const c = document.createElement('canvas');
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            const ctx = c.getContext('2d');
            ctx.drawImage(img, 0, 0);
            return Array.from(ctx.getImageData(0, 0, c.width, c.height).data);
        }""",
    )


def upload(page, tmp_path: Path, h: int = 30, w: int = 40) -> None:
    image = tmp_path / "in.png"
    image.write_bytes(png_bytes(h, w, seed=1))
    page.set_input_files("#file", str(image))


def test_upload_slide_compare_and_download(page, tmp_path):
    upload(page, tmp_path)
    wait_for_result(page, 160, 120)  # the slider starts at x4
    page.fill("#scale", "2.5")  # sets the value and fires input and change, as a drag does
    assert page.input_value("#width") == "100" and page.input_value("#height") == "75"
    wait_for_result(page, 100, 75)
    assert "Done: 100 × 75" in page.text_content("#status-text")
    page.mouse.move(*centre(page, "#compare"))  # the loupe follows the pointer
    assert page.is_visible("#loupe")
    page.screenshot(path=tmp_path / "upscale.png")

    with page.expect_download() as caught:
        page.click("#download")
    download = caught.value
    assert download.suggested_filename == "in_x2.5.png"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with Image.open(saved) as out:
        assert out.format == "PNG" and out.size == (100, 75)


def centre(page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_exact_size_and_divider(page, tmp_path):
    upload(page, tmp_path)
    wait_for_result(page, 160, 120)
    page.uncheck("#keep-aspect")
    page.fill("#width", "50")
    page.fill("#height", "20")
    wait_for_result(page, 50, 20)
    # Dragging the divider moves the split; its keys move it too.
    box = page.locator("#compare").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2, steps=4)
    page.mouse.up()
    assert int(page.get_attribute("#divider", "aria-valuenow")) in range(23, 28)
    page.focus("#divider")
    page.keyboard.press("End")
    assert page.get_attribute("#divider", "aria-valuenow") == "100"
    page.keyboard.press("ArrowLeft")
    assert page.get_attribute("#divider", "aria-valuenow") == "98"
    page.screenshot(path=tmp_path / "exact.png")


def test_api_error_is_shown_in_the_page(page, tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_bytes(b"these are notes, not pixels")
    page.set_input_files("#file", str(fake))
    page.wait_for_selector("#upscale-error", state="visible")
    message = page.text_content("#upscale-error")
    assert "not an image" in message and "notes.png" in message
    assert page.get_attribute("#download", "aria-disabled") == "true"
    page.screenshot(path=tmp_path / "error.png")


def test_heavy_upscale_shows_progress_and_cancels(page, url, tmp_path):
    upload(page, tmp_path, 256, 256)
    page.fill("#scale", "8")  # 2048 x 2048 (the test server's limit): many chunks, a few seconds
    page.wait_for_function(
        "() => { const bar = document.getElementById('progress');"
        " return !bar.hidden && bar.hasAttribute('value') && bar.value > 0; }"
    )
    assert "Upscaling to 2048 × 2048" in page.text_content("#status-text")
    page.click("#cancel-button")  # at once: under load a screenshot first can outlast the job
    page.wait_for_function("document.getElementById('status-text').textContent === 'Cancelled.'")
    assert page.is_hidden("#progress") and page.is_hidden("#cancel-button")
    # The server noticed the client leave and freed the queue.
    deadline = time.monotonic() + 30
    while httpx.get(f"{url}/health", timeout=10).json()["in_flight"]:
        assert time.monotonic() < deadline, "the cancelled upscale kept running"
        time.sleep(0.1)


def wait_for_new_frame(page, old_src: str) -> None:
    page.wait_for_function(
        "old => { const img = document.getElementById('frame');"
        " return img.src !== old && img.complete && img.naturalWidth > 0; }",
        arg=old_src,
    )


def test_giraffe_slider_changes_the_image(page, tmp_path):
    show_giraffe(page)
    assert natural_size(page, "#frame") == (TINY.img_size, TINY.img_size)
    before_src, before = page.get_attribute("#frame", "src"), pixels(page, "#frame")
    page.fill("#g-rotation", "0.1")
    wait_for_new_frame(page, before_src)
    assert pixels(page, "#frame") != before
    assert page.text_content("#g-rotation-out") == "0.10"
    page.screenshot(path=tmp_path / "giraffe.png")


def test_keyboard_moves_tabs_and_sliders(page, tmp_path):
    page.focus("#tab-upscale")
    page.keyboard.press("ArrowRight")
    assert page.get_attribute("#tab-giraffe", "aria-selected") == "true"
    assert page.evaluate("document.activeElement.id") == "tab-giraffe"
    assert page.is_hidden("#panel-upscale")
    page.wait_for_selector("#frame", state="visible")
    page.wait_for_function("document.getElementById('frame').complete")
    before_src, before = page.get_attribute("#frame", "src"), pixels(page, "#frame")
    page.focus("#g-elevation")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert page.input_value("#g-elevation") == "0.55"
    wait_for_new_frame(page, before_src)
    assert pixels(page, "#frame") != before
    page.screenshot(path=tmp_path / "keyboard.png")


def test_giraffe_gif_export(page, tmp_path):
    show_giraffe(page)
    page.select_option("#gif-frames", "16")
    with page.expect_download() as caught:
        page.click("button[data-sweep=rotation]")
    download = caught.value
    assert download.suggested_filename == "giraffe_rotation_app0_shape0.gif"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with Image.open(saved) as gif:
        assert gif.format == "GIF" and gif.size == (TINY.img_size, TINY.img_size)
        assert gif.n_frames > 1
    assert "GIF ready: 16 frames" in page.text_content("#gif-status")
    page.screenshot(path=tmp_path / "gif.png")


def test_giraffe_tab_says_when_no_model_is_loaded(browser, tmp_path):
    with serving(make_app(giraffe=False)) as address:
        page = open_page(browser, address)
        page.click("#tab-giraffe")
        notice = page.locator("#giraffe-missing")
        assert notice.is_visible() and "No GIRAFFE model is loaded" in notice.text_content()
        assert page.is_disabled("#g-rotation") and page.is_disabled("button[data-sweep=rotation]")
        assert "no GIRAFFE model" in page.text_content("#models")
        page.screenshot(path=tmp_path / "no-giraffe.png")
        errors = page.js_errors
        page.context.close()
    assert errors == []
