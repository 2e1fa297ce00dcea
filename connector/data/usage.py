"""The use counter of each agreement (the `count` left operand): how many data requests it has served.

`use` counts a use and decides it in one transaction: the counter row is incremented first (which takes the
row's write lock on PostgreSQL, the database's on SQLite), the decision is made on the value before, and a refusal
rolls the increment back — so two concurrent requests on the last permitted use cannot both succeed, across
replicas too. `record` is the compare-and-set form for callers that decided already."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from connector.store.schema import AgreementUsage

T = TypeVar("T")

_CURRENT = select(AgreementUsage.count).where(AgreementUsage.agreement_id == bindparam("agreement"))
_INCREMENT = (update(AgreementUsage).where(AgreementUsage.agreement_id == bindparam("agreement"))
              .values(count=AgreementUsage.count + 1).returning(AgreementUsage.count))


class UsageCounter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def current(self, agreement_id: str) -> int:
        with self.engine.connect() as connection:
            value = connection.execute(_CURRENT, {"agreement": agreement_id}).scalar_one_or_none()
        return value or 0

    def use(self, agreement_id: str, decide: Callable[[int], T]) -> tuple[int, T]:
        """Count one use and decide it on the number of earlier uses (`decide(seen)`, which raises to refuse: the
        count is then not changed). Returns (earlier uses, the decision)."""
        for _ in range(3):
            try:
                with self.engine.begin() as connection:
                    now = connection.execute(_INCREMENT, {"agreement": agreement_id}).scalar_one_or_none()
                    if now is None:  # the first use of this agreement
                        connection.execute(insert(AgreementUsage).values(agreement_id=agreement_id, count=1))
                        now = 1
                    return now - 1, decide(now - 1)
            except IntegrityError:  # another request inserted the first row meanwhile: increment it
                continue
        raise RuntimeError(f"could not count a use of agreement {agreement_id}")

    def record(self, agreement_id: str, seen: int) -> bool:
        """Count one use if the counter is still at `seen`; False if another request got there first."""
        with self.engine.begin() as connection:
            if seen == 0:
                try:
                    with connection.begin_nested():
                        connection.execute(insert(AgreementUsage).values(agreement_id=agreement_id, count=1))
                    return True
                except IntegrityError:
                    pass  # the row exists (maybe at 0 after a reset): fall through to the compare-and-set
            result = connection.execute(update(AgreementUsage).where(
                AgreementUsage.agreement_id == agreement_id, AgreementUsage.count == seen,
            ).values(count=AgreementUsage.count + 1))
            return result.rowcount == 1
