"""Replay protection: every accepted token id (`jti`, per issuer) is remembered until the token can no longer be
accepted (its `exp` plus the clock-skew leeway), in the database, so a restart does not reopen the window.
Expired entries are purged from time to time on the write path."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import Column, Engine, Float, MetaData, String, Table, delete, insert
from sqlalchemy.exc import IntegrityError

metadata = MetaData()
seen_tokens = Table(
    "identity_seen_tokens", metadata,
    Column("issuer", String(512), primary_key=True),
    Column("jti", String(255), primary_key=True),
    Column("expires_at", Float, nullable=False, index=True),
)
MAX_JTI = 255


class ReplayStore:
    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time, purge_every: float = 60.0) -> None:
        self.engine = engine
        self._clock = clock
        self._purge_every = purge_every
        self._next_purge = 0.0
        self._lock = threading.Lock()
        metadata.create_all(engine)

    def remember(self, issuer: str, jti: str, expires_at: float) -> bool:
        """Record a token id; False if it was already seen (a replay)."""
        now = self._clock()
        if now >= self._next_purge:
            with self._lock:
                if now >= self._next_purge:
                    self._next_purge = now + self._purge_every
                    self.purge(now)
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(seen_tokens).values(issuer=issuer, jti=jti, expires_at=expires_at))
        except IntegrityError:
            return False
        return True

    def purge(self, now: float | None = None) -> int:
        """Forget token ids that can no longer be accepted anyway."""
        with self.engine.begin() as connection:
            result = connection.execute(delete(seen_tokens).where(seen_tokens.c.expires_at < (now or self._clock())))
        return result.rowcount or 0
