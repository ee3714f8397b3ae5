"""The web page in a headless Chromium: where the browser is, how a page is opened, one tab.

The browser, server and page fixtures that use these are in ``tests/server/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
WAIT_MS = 60_000  # generous: the suite shares two cores with whatever else runs


def open_page(browser, address: str):
    """A fresh page at ``address`` that records JavaScript errors in ``page.js_errors``."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 820})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.js_errors = []
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    page.goto(address)
    page.wait_for_function("document.getElementById('models').textContent.includes('LIIF')")
    return page


def show_giraffe(page) -> None:
    """Switch to the GIRAFFE tab and wait for its first frame."""
    page.click("#tab-giraffe")
    page.wait_for_selector("#frame", state="visible")
    page.wait_for_function("document.getElementById('frame').complete")
