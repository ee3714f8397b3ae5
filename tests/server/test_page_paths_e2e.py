"""The page's keyframed paths in a real headless Chromium: "Download keyframe" saves the
sliders, two such keyframes make a path, and "Play a path" shows its GIF (or one error line).

Uses the browser fixtures of ``conftest.py`` (skips without Chromium, as the other page tests do).
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from testlib.page import open_page, show_giraffe
from testlib.server import TINY

from inrkit.giraffe.keyframes import frame_times, read_path


def download_keyframe(page, tmp_path: Path) -> dict:
    with page.expect_download() as caught:
        page.click("#key-download")
    download = caught.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    return json.loads(saved.read_text())


def test_keyframes_from_the_sliders_play_as_a_path(page, tmp_path):
    show_giraffe(page)
    page.fill("#g-rotation", "0.2")
    page.fill("#g-shape_seed", "5")
    first = download_keyframe(page, tmp_path)
    assert first == {
        "time": 0,
        "rotation": 0.2,
        "translation_x": 0.5,
        "translation_depth": 0.5,
        "scale": 0.5,
        "elevation": 0.5,
        "appearance_seed": 0,
        "shape_seed": 5,
    }
    assert page.input_value("#key-time") == "1"  # the next keyframe a second later
    page.fill("#g-rotation", "0.8")
    second = download_keyframe(page, tmp_path)
    assert second["time"] == 1 and second["rotation"] == 0.8

    path = tmp_path / "turn.json"
    path.write_text(json.dumps({"fps": 8, "keyframes": [first, second]}))
    n_frames = len(frame_times(read_path(path)))
    page.set_input_files("#path-file", str(path))
    page.wait_for_selector("#path-gif", state="visible")
    page.wait_for_function("document.getElementById('path-gif').complete")
    assert "Path ready" in page.text_content("#path-status")
    with page.expect_download() as caught:
        page.click("#path-download")
    assert caught.value.suggested_filename == "turn.gif"
    saved = tmp_path / "turn.gif"
    caught.value.save_as(saved)
    with Image.open(saved) as gif:
        assert gif.size == (TINY.img_size, TINY.img_size) and gif.n_frames == n_frames == 9
    page.screenshot(path=tmp_path / "path.png")


def test_a_bad_path_shows_one_error_line(page, tmp_path):
    show_giraffe(page)
    path = tmp_path / "bad.json"
    path.write_text('[{"time": 0}, {"time": 1, "scale": 3}]')
    page.set_input_files("#path-file", str(path))
    error = page.locator("#giraffe-error")
    error.wait_for(state="visible")
    assert error.text_content() == (
        "bad.json: keyframe 1: 'scale' must be a number in [0, 1], got 3"
    )
    assert page.is_hidden("#path-gif")
    assert page.is_enabled("#path-file")  # ready for the corrected file


def test_path_controls_wait_for_a_model(browser, tmp_path):
    from testlib.server import make_app, serving

    with serving(make_app(giraffe=False)) as address:
        tab = open_page(browser, address)
        tab.click("#tab-giraffe")
        assert tab.is_disabled("#key-download") and tab.is_disabled("#path-file")
        errors = tab.js_errors
        tab.context.close()
    assert errors == []
