"""Fixtures of the web page tests: a real headless Chromium (Debian's) and a server for it.

Playwright's Python package drives ``/usr/bin/chromium`` (never a downloaded browser). Without
the browser or the package the tests that use it skip with the reason; with
``INRKIT_REQUIRE_BROWSER=1`` (as in CI) they fail instead. ``test_server_path.py`` has a
``url`` of its own (a server with the default queue).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from testlib.page import CHROMIUM, CHROMIUM_ARGS, open_page
from testlib.server import make_app, serving


def _unavailable(reason: str) -> None:
    if os.environ.get("INRKIT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (INRKIT_REQUIRE_BROWSER=1 makes this an error)")
    pytest.skip(f"{reason}; install it to run the browser tests")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed (pip install playwright)")
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serving(make_app(queue_size=8)) as address:
        yield address


@pytest.fixture
def page(browser, url):
    page = open_page(browser, url)
    yield page
    errors = page.js_errors
    page.context.close()
    assert errors == [], errors
