"""The replay store: a token id is accepted once, remembered across restarts, forgotten after it expires; on
SQLite (the default) and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.exc import OperationalError

from connector.identity import ReplayStore
from connector.identity.storage import make_engine

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jnt.sqlite'}"
    engine = make_engine(POSTGRES)
    try:
        engine.connect().close()
    except OperationalError:
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432 (.ci/run starts it)")
    finally:
        engine.dispose()
    return POSTGRES


def test_a_token_id_is_accepted_once_even_after_a_restart(database_url):
    issuer = f"did:web:test.example:{uuid.uuid4().hex}"  # unique: the PostgreSQL database is shared
    now = [1_000_000.0]
    store = ReplayStore(make_engine(database_url), clock=lambda: now[0])
    assert store.remember(issuer, "jti-1", now[0] + 330)
    assert not store.remember(issuer, "jti-1", now[0] + 330)
    assert store.remember(issuer, "jti-2", now[0] + 330)
    assert store.remember(issuer + "-other", "jti-1", now[0] + 330)  # ids are per issuer
    store.engine.dispose()
    restarted = ReplayStore(make_engine(database_url), clock=lambda: now[0])
    assert not restarted.remember(issuer, "jti-1", now[0] + 330)
    restarted.engine.dispose()


def test_expired_entries_are_purged(database_url):
    issuer = f"did:web:test.example:{uuid.uuid4().hex}"
    now = [2_000_000.0]
    store = ReplayStore(make_engine(database_url), clock=lambda: now[0], purge_every=60)
    assert store.remember(issuer, "old", now[0] + 100)
    now[0] += 200
    assert store.purge() >= 1
    assert store.remember(issuer, "old", now[0] + 100)  # forgotten: it could no longer be accepted anyway
    store.engine.dispose()
