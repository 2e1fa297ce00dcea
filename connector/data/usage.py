"""The use counter of each agreement (the `count` left operand): how many data requests it has served.

A use is recorded with a compare-and-set on the value the decision saw, so two concurrent requests on the last
permitted use cannot both succeed, on SQLite or PostgreSQL, across replicas."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from connector.store.schema import AgreementUsage


class UsageCounter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def current(self, agreement_id: str) -> int:
        with self.engine.connect() as connection:
            value = connection.execute(select(AgreementUsage.count).where(
                AgreementUsage.agreement_id == agreement_id)).scalar_one_or_none()
        return value or 0

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
