"""The repository of access-plan runs (consumer side): a run and its items are inserted in one transaction; every
change of an item is a compare-and-set on its `version` (``ConcurrentUpdate`` when it changed meanwhile), so two
workers — threads or replicas — never both take the same step; the data pull of an item is guarded by a lease
(`lease_owner`, `lease_expires_at`) instead, because it lasts, and a replica restarting frees its own leases."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, insert, or_, select, update

from .repository import ConcurrentUpdate
from .schema import PlanItem, PlanRun, utcnow

RUNS = PlanRun.__table__
ITEMS = PlanItem.__table__
#: Steps after which an item does nothing more.
FINAL_STEPS = frozenset({"fetched", "failed", "skipped"})


def _run(row: Any) -> PlanRun | None:
    return None if row is None else PlanRun(**row._mapping)


def _item(row: Any) -> PlanItem | None:
    return None if row is None else PlanItem(**row._mapping)


class PlanRunStore:
    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    # -- runs ---------------------------------------------------------------------------------------------------------
    def create(self, run: Mapping[str, Any], items: Iterable[Mapping[str, Any]]) -> PlanRun:
        """Insert a run (status `running`) and its items (step `pending`), all or nothing."""
        now = self.clock()
        run_values = {**run, "status": "running", "created_at": now, "updated_at": now, "finished_at": None}
        item_values = [{"candidate": 0, "attempts": [], "step": "pending", **item, "run_id": run["id"],
                        "created_at": now, "updated_at": now, "version": 1} for item in items]
        with self.engine.begin() as connection:
            connection.execute(insert(RUNS), run_values)
            if item_values:
                connection.execute(insert(ITEMS), item_values)
        return PlanRun(**run_values)

    def get_run(self, run_id: str) -> PlanRun | None:
        with self.engine.connect() as connection:
            return _run(connection.execute(select(RUNS).where(RUNS.c.id == run_id)).first())

    def list_runs(self, *, status: str | None = None, offset: int = 0, limit: int = 50) -> tuple[list[PlanRun], int]:
        """Runs, newest first, and how many there are."""
        where = [RUNS.c.status == status] if status is not None else []
        with self.engine.connect() as connection:
            total = int(connection.execute(select(func.count()).select_from(RUNS).where(*where)).scalar() or 0)
            rows = connection.execute(select(RUNS).where(*where).order_by(RUNS.c.created_at.desc(), RUNS.c.id)
                                      .offset(offset).limit(limit))
            return [PlanRun(**row._mapping) for row in rows], total

    def running_run_ids(self) -> list[str]:
        with self.engine.connect() as connection:
            return list(connection.execute(select(RUNS.c.id).where(RUNS.c.status == "running")).scalars())

    def running_with_plan(self, plan_id: str) -> str | None:
        """The id of a run of `plan_id` still running, if any."""
        with self.engine.connect() as connection:
            return connection.execute(select(RUNS.c.id).where(RUNS.c.plan_id == plan_id,
                                                              RUNS.c.status == "running").limit(1)).scalar()

    def finish_run(self, run_id: str, status: str) -> bool:
        """Close a running run with `status`; False when it was not running any more (closed elsewhere)."""
        now = self.clock()
        with self.engine.begin() as connection:
            done = connection.execute(update(RUNS).where(RUNS.c.id == run_id, RUNS.c.status == "running")
                                      .values(status=status, finished_at=now, updated_at=now))
        return done.rowcount == 1

    def cancel_run(self, run_id: str, error: Mapping[str, Any]) -> bool:
        """Cancel a running run: its items that have not ended and are not pulling data become `skipped` (with
        `error`, which says at which step), in the same transaction. False when the run was not running."""
        now = self.clock()
        with self.engine.begin() as connection:
            done = connection.execute(update(RUNS).where(RUNS.c.id == run_id, RUNS.c.status == "running")
                                      .values(status="cancelled", finished_at=now, updated_at=now))
            if done.rowcount != 1:
                return False
            free = or_(ITEMS.c.lease_owner.is_(None), ITEMS.c.lease_expires_at <= now)
            rows = connection.execute(select(ITEMS.c.id, ITEMS.c.step).where(
                ITEMS.c.run_id == run_id, ITEMS.c.step.not_in(FINAL_STEPS), free)).all()
            for item_id, step in rows:
                connection.execute(update(ITEMS).where(ITEMS.c.id == item_id).values(
                    step="skipped", error={**error, "step": step}, updated_at=now, version=ITEMS.c.version + 1))
        return True

    # -- items --------------------------------------------------------------------------------------------------------
    def items(self, run_id: str) -> list[PlanItem]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(ITEMS).where(ITEMS.c.run_id == run_id).order_by(ITEMS.c.position))
            return [PlanItem(**row._mapping) for row in rows]

    def items_of_runs(self, run_ids: list[str]) -> dict[str, list[PlanItem]]:
        out: dict[str, list[PlanItem]] = {run_id: [] for run_id in run_ids}
        if not run_ids:
            return out
        with self.engine.connect() as connection:
            rows = connection.execute(select(ITEMS).where(ITEMS.c.run_id.in_(run_ids))
                                      .order_by(ITEMS.c.run_id, ITEMS.c.position))
            for row in rows:
                out[row.run_id].append(PlanItem(**row._mapping))
        return out

    def get_item(self, item_id: str) -> PlanItem | None:
        with self.engine.connect() as connection:
            return _item(connection.execute(select(ITEMS).where(ITEMS.c.id == item_id)).first())

    def item_for_process(self, kind: str, process_id: str) -> str | None:
        """The item whose current attempt runs the negotiation (or transfer) `process_id`, if any."""
        column = ITEMS.c.negotiation_id if kind == "negotiation" else ITEMS.c.transfer_id
        with self.engine.connect() as connection:
            return connection.execute(select(ITEMS.c.id).where(column == process_id).limit(1)).scalar()

    def update_item(self, item_id: str, version: int, **changes: Any) -> PlanItem:
        """Compare-and-set: apply `changes` if the item is still at `version`; the new row."""
        statement = (update(ITEMS).where(ITEMS.c.id == item_id, ITEMS.c.version == version)
                     .values(**changes, version=ITEMS.c.version + 1, updated_at=self.clock()).returning(*ITEMS.c))
        with self.engine.begin() as connection:
            row = connection.execute(statement).first()
        if row is None:
            raise ConcurrentUpdate(f"plan item {item_id} is no longer at version {version}")
        return PlanItem(**row._mapping)

    # -- the data pull's lease ----------------------------------------------------------------------------------------
    def claim_pull(self, item_id: str, owner: str, lease_seconds: float) -> PlanItem | None:
        """Lease a `started` item to `owner` for pulling its data; None when it is not `started` or is leased."""
        now = self.clock()
        free = or_(ITEMS.c.lease_owner.is_(None), ITEMS.c.lease_expires_at <= now)
        statement = (update(ITEMS).where(ITEMS.c.id == item_id, ITEMS.c.step == "started", free)
                     .values(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds))
                     .returning(*ITEMS.c))
        with self.engine.begin() as connection:
            return _item(connection.execute(statement).first())

    def end_pull(self, item_id: str, owner: str, **changes: Any) -> PlanItem | None:
        """Record the pull's outcome and give the lease back, if `owner` still holds it."""
        statement = (update(ITEMS).where(and_(ITEMS.c.id == item_id, ITEMS.c.lease_owner == owner))
                     .values(**changes, lease_owner=None, lease_expires_at=None, version=ITEMS.c.version + 1,
                             updated_at=self.clock()).returning(*ITEMS.c))
        with self.engine.begin() as connection:
            return _item(connection.execute(statement).first())

    def release_owned(self, owner_prefix: str) -> int:
        """Free the pull leases whose owner starts with `owner_prefix` (a replica restarting after a crash)."""
        with self.engine.begin() as connection:
            return connection.execute(update(ITEMS).where(ITEMS.c.lease_owner.startswith(owner_prefix,
                                                                                           autoescape=True))
                                      .values(lease_owner=None, lease_expires_at=None)).rowcount
