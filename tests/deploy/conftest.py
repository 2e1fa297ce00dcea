"""Fixtures of the deploy tests: the real apps of the three services, built once."""

from __future__ import annotations

import pytest

from .deployfiles import ServiceRoutes, running_apps


@pytest.fixture(scope="session")
def routes(tmp_path_factory) -> dict[str, ServiceRoutes]:
    with running_apps(tmp_path_factory.mktemp("apps")) as apps:
        yield apps
