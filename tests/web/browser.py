"""The browser of the web-interface tests: Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run` when
missing — never a downloaded build) driven by Playwright, headless, at a laptop's 1280x800. A test module takes the
fixtures by importing them (`from ...web.browser import browser, page  # noqa: F401`); `screenshot` writes the
pictures the README shows under docs/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (own cookies) at 1280x800, French first, that fails on any request leaving loopback."""
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    outside: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]", "data:", "about:")):
            request_route.continue_()
        else:
            outside.append(url)
            request_route.abort()

    context.route("**/*", route)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()
    assert not outside, f"the page asked for something outside loopback: {outside}"


def screenshot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """`docs/screenshots/<name>.png` of the page as it is (1280x800 unless `full_page`)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
