from __future__ import annotations

import pytest

from .tck_harness import CounterParty, Cut


@pytest.fixture
def tck_peer():
    peer = CounterParty()
    yield peer
    peer.stop()


@pytest.fixture
def cut(tmp_path):
    connector = Cut(tmp_path)
    yield connector
    connector.stop()


@pytest.fixture
def space(tmp_path):
    from .space import Space

    world = Space(tmp_path)
    yield world
    world.close()
