"""Browser tests of the web interfaces (the catalogue site, the participant console): Debian's Chromium
(/usr/bin/chromium, never downloaded) driven by Playwright, headless, one browser for the whole test session (the
first test that asks for it launches it; it is closed when the session ends), a fresh context — no cookie, French,
1280×800 — for each test.

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
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("JNT_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
_shared: dict[str, Any] = {}


def _launch(config: pytest.Config) -> Any:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: the browser tests need Debian's chromium package "
                    f"(apt-get install chromium) or JNT_TEST_CHROMIUM pointing at one")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    except Exception:
        playwright.stop()
        raise

    def close() -> None:
        launched.close()
        playwright.stop()
        _shared.clear()

    config.add_cleanup(close)
    _shared["browser"] = launched
    return launched


@pytest.fixture(scope="session")
def browser(request: pytest.FixtureRequest) -> Any:
    """The session's browser (shared by every module that imports this fixture)."""
    return _shared.get("browser") or _launch(request.config)


@pytest.fixture
def page(browser) -> Iterator[Any]:
    """A page in a fresh browser context: no cookie, French (Accept-Language fr-FR), 1280×800, 10 s timeouts."""
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris",
                                  java_script_enabled=True)
    context.set_default_timeout(10_000)
    new_page = context.new_page()
    try:
        yield new_page
    finally:
        context.close()


def shoot(page: Any, name: str, *, full_page: bool = False) -> Path:
    """A screenshot of the page as <name>.png: in docs/screenshots with `JNT_SCREENSHOTS=1` (the README shows
    some), else in a temporary folder."""
    folder = SCREENSHOTS if os.environ.get("JNT_SCREENSHOTS") == "1" else Path(tempfile.gettempdir()) / "jnt-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


__all__ = ["ARGS", "CHROMIUM", "SCREENSHOTS", "VIEWPORT", "browser", "page", "shoot"]
