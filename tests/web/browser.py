"""Browser tests of the web interfaces (the catalogue site, the participant console): Debian's Chromium
(/usr/bin/chromium, never downloaded) driven by Playwright, headless, one browser per test module (launched by the
first test that asks for it, closed when the module ends: see `browser`), a fresh context — no cookie, French,
1280×800, every request outside loopback refused and reported as a failure — for each test.

Use from a test module:

    from tests.web.browser import browser, page  # noqa: F401  (pytest fixtures)

    def test_something(page):
        page.goto(url)
        shoot(page, "search")

`shoot` writes docs/screenshots/<name>.png when `JNT_SCREENSHOTS=1` (to refresh the README's pictures:
`JNT_SCREENSHOTS=1 .venv/bin/python -m pytest tests/connector/catalog/test_catalogue_site.py`), else into a
temporary folder, so that an ordinary test run leaves the working tree alone.

A missing Chromium fails the tests with the reason (CI installs it): a browser test that silently skips is a test
that cannot fail."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("JNT_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """The browser of a test module, closed when the module ends: while Playwright's sync API runs, an asyncio loop
    runs in the main thread, and any later test calling `asyncio.run()` (the `jnt` commands do) would fail — so the
    browser must not outlive the browser tests."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: the browser tests need Debian's chromium package "
                    f"(apt-get install chromium) or JNT_TEST_CHROMIUM pointing at one")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


LOOPBACK = ("http://127.0.0.1", "http://localhost", "http://[::1]", "data:", "about:", "blob:")


@contextmanager
def loopback_context(browser: Any, **options: Any) -> Iterator[Any]:
    """A fresh browser context (no cookie; French, 1280×800, 10 s timeouts unless `options` say otherwise) that
    refuses every request leaving loopback — a page must fetch nothing from elsewhere — and fails the test that
    made one, naming it."""
    settings = {"viewport": VIEWPORT, "locale": "fr-FR", "timezone_id": "Europe/Paris", **options}
    context = browser.new_context(**settings)
    outside: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(LOOPBACK):
            request_route.continue_()
        else:
            outside.append(url)
            request_route.abort()

    context.route("**/*", route)
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()
    assert not outside, f"the page asked for something outside loopback: {outside}"


@pytest.fixture
def page(browser) -> Iterator[Any]:
    """A page in a fresh loopback-only context (`loopback_context`): no cookie, French, 1280×800."""
    with loopback_context(browser) as context:
        yield context.new_page()


def shoot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """A screenshot of the page as <name>.png: in docs/screenshots with `JNT_SCREENSHOTS=1` (the README shows
    some), else in a temporary folder."""
    folder = SCREENSHOTS if os.environ.get("JNT_SCREENSHOTS") == "1" else Path(tempfile.gettempdir()) / "jnt-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


__all__ = ["ARGS", "CHROMIUM", "SCREENSHOTS", "VIEWPORT", "browser", "loopback_context", "page", "shoot"]
