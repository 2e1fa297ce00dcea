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


POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def postgres_schemas():
    """A factory of PostgreSQL database URLs, each on a fresh schema of the shared `test` database (dropped after)."""
    import uuid

    from sqlalchemy import text

    from connector.identity.storage import make_engine

    admin = make_engine(POSTGRES)
    created: list[str] = []

    def make(name: str = "") -> str:
        schema = f"jnt_control_{uuid.uuid4().hex[:12]}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        created.append(schema)
        return f"{POSTGRES}?options=-csearch_path%3D{schema}"

    yield make
    with admin.begin() as connection:
        for schema in created:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
