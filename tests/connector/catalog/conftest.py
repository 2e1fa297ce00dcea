"""The browser fixtures of the catalogue site's tests (`tests/web/browser.py`: one Chromium for the session, a fresh
loopback-only context per test)."""

from ...web.browser import browser, page  # noqa: F401
