"""Brokering: the consumer's connector runs an access plan — for each item (a géo-concept), negotiate the offer
with its provider, request a transfer under the agreement, wait for STARTED, pull the data into the received
directory — a few items at a time, trying an item's alternatives in turn when a provider refuses.

The shape is the control plane's (design/STYLE.md, Eclipse EDC): the run and its items are rows
(`connector.store.plan_runs`), and `_advance` reads an item afresh and takes the next step its state allows. Each
step is a compare-and-set on the item, and the id of the process a step starts is written *before* the process is
created with that id — so a step taken twice, by two threads, two replicas or a restarted process, starts nothing
twice (an item never negotiates twice for the same attempt). Nothing polls: the negotiations and transfers a run
started tell the plane when they change state (`ControlPlane.process_committed`, called once the change is
committed), which wakes the item concerned; a slow sweep (`sweep_interval`, 30 s by default) only catches what
another replica committed, and its first pass, at start-up, resumes the runs a stopped process left running.

Steps of an item: `pending` → `negotiating` → `agreed` → `transferring` → `started` → `fetched`; or `failed` (the
reason kept, with every attempt), or `skipped` (run cancelled). A run is `running` until all its items have ended,
then `completed`, `completed-with-failures` or `failed` — or `cancelled` by the operator, which starts nothing
more (processes already under way finish on their own)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from connector.store import ConcurrentUpdate
from connector.store.plan_runs import FINAL_STEPS, PlanRunStore
from connector.store.schema import PlanItem, PlanRun

from .access_plans import AccessPlan, candidates
from .errors import ProtocolError
from .transfers import is_push

if TYPE_CHECKING:
    from .plane import ControlPlane

log = logging.getLogger("jnt.control.plans")

STEPS = ("pending", "negotiating", "agreed", "transferring", "started", "fetched", "failed", "skipped")
STATUSES = ("running", "completed", "completed-with-failures", "failed", "cancelled")
DEFAULT_PARALLEL = 4
MAX_PARALLEL = 32
PULL_LEASE = 3600.0  # seconds a worker holds an item while pulling its data
_MAX_STEPS = 8  # transitions taken in a row for one wake-up (agreed → transferring → ... needs a few)
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_INTERESTING = {"negotiation": frozenset({"FINALIZED", "TERMINATED"}),
                "transfer": frozenset({"STARTED", "TERMINATED", "COMPLETED"})}


def _now_iso(store: PlanRunStore) -> str:
    return store.clock().isoformat().replace("+00:00", "Z")


def wants_pull(options: Mapping[str, Any], candidate: Mapping[str, Any]) -> bool:
    """Whether this connector pulls the data itself: asked for (by default, yes), and a pull format (the data of a
    push transfer is sent by the provider)."""
    return options.get("fetch") is not False and not is_push(candidate.get("format"))


def _split_languages(lines: list[str]) -> tuple[list[str], list[str]] | None:
    """A JNT provider sends its engine's explanation in its language, then in the other: the two halves, French
    first, when the lines look like that (a summary line starting with the decision in each language)."""
    half = len(lines) // 2
    if not half or len(lines) % 2:
        return None
    first, second = lines[:half], lines[half:]
    french = ("refusé", "autorisé")
    english = ("denied", "permitted")
    if first[0].startswith(french) and second[0].startswith(english):
        return first, second
    if first[0].startswith(english) and second[0].startswith(french):
        return second, first
    return None


def negotiation_refusal(process: Any) -> dict[str, Any]:
    """Why a negotiation ended TERMINATED, as a plan item shows it: the provider's code and reasons as it sent them
    (for a JNT provider, its policy engine's explanation, line by line), or the reason we gave when we ended it."""
    context = process.context or {}
    received = context.get("termination")
    if isinstance(received, Mapping):
        code = received.get("code") or "terminated"
        lines = [str(line) for line in received.get("reason") or []]
        split = _split_languages(lines)
        fr_lines, en_lines = split if split else (lines, lines)
        return {"code": "refused-by-provider", "provider_code": code, "provider_reason": lines,
                "fr": f"le fournisseur a refusé le contrat (code {code})" + (
                    " : " + "\n".join(fr_lines) if fr_lines else ""),
                "en": f"the provider refused the contract (code {code})" + (
                    ": " + "\n".join(en_lines) if en_lines else "")}
    reasons = [str(r) for r in context.get("reason") or []]
    fr = reasons[0] if reasons else (process.error_detail or "sans motif")
    en = reasons[1] if len(reasons) > 1 else (process.error_detail or "no reason given")
    return {"code": context.get("code") or "negotiation-terminated", "fr": f"négociation terminée : {fr}",
            "en": f"negotiation terminated: {en}"}


def transfer_failure(process: Any) -> dict[str, Any]:
    context = process.context or {}
    reasons = [str(r) for r in context.get("reason") or []]
    detail = process.error_detail
    fr = detail or (reasons[0] if reasons else "sans motif")
    en = detail or (reasons[1] if len(reasons) > 1 else (reasons[0] if reasons else "no reason given"))
    return {"code": "transfer-" + process.state.lower(), "fr": f"transfert {process.state} : {fr}",
            "en": f"transfer {process.state}: {en}"}


def _attempt(index: int, candidate: Mapping[str, Any], negotiation_id: str, at: str) -> dict[str, Any]:
    provider, dataset = candidate["provider"], candidate["dataset"]
    return {"candidate": index, "provider": {"did": provider["did"], "name": provider.get("name"),
                                             "dsp": provider["dsp"]},
            "dataset": {"id": dataset["id"], "title": dataset.get("title")}, "offer_id": candidate["offer"]["@id"],
            "format": candidate["format"], "negotiation_id": negotiation_id, "agreement_id": None,
            "transfer_id": None, "outcome": None, "reason": None, "started_at": at, "ended_at": None}


def _with_last(item: PlanItem, **changes: Any) -> list[dict[str, Any]]:
    """The item's attempts with the current (last) one updated."""
    attempts = [dict(a) for a in item.attempts or []]
    if attempts:
        attempts[-1].update(changes)
    return attempts


class PlanRunner:
    """Runs the access plans of one control plane (consumer side). `workers` threads take the steps (quick: a few
    database writes) and as many pull data (long); `sweep_interval` is the backstop sweep's period."""

    def __init__(self, plane: ControlPlane, *, workers: int = 4, sweep_interval: float = 30.0,
                 pull_lease: float = PULL_LEASE) -> None:
        self.plane = plane
        self.runs = PlanRunStore(plane.store.engine, clock=plane.store.clock)
        self.replica = plane.options.replica_id
        self.owner = f"{self.replica or 'plans'}/{uuid.uuid4()}"
        self.workers = workers
        self.sweep_interval = sweep_interval
        self.pull_lease = pull_lease
        self._lock = threading.Lock()
        self._busy: set[str] = set()
        self._again: set[str] = set()
        self._run_locks: dict[str, threading.Lock] = {}
        self._steps: ThreadPoolExecutor | None = None
        self._pulls: ThreadPoolExecutor | None = None
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------------------------------------
    def start(self) -> PlanRunner:
        with self._lock:
            if self._steps is not None:
                return self
            if self.replica:  # pulls this replica was making when it stopped are free again
                self.runs.release_owned(self.replica + "/")
            self._stop.clear()
            self._steps = ThreadPoolExecutor(self.workers, thread_name_prefix="jnt-plan")
            self._pulls = ThreadPoolExecutor(self.workers, thread_name_prefix="jnt-plan-pull")
            self._sweeper = threading.Thread(target=self._sweep_loop, name="jnt-plan-sweep", daemon=True)
            self._sweeper.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            steps, pulls, sweeper = self._steps, self._pulls, self._sweeper
            self._steps = self._pulls = self._sweeper = None
        if sweeper is not None:
            sweeper.join(timeout=10)
        if steps is not None:
            steps.shutdown(wait=True, cancel_futures=True)
        if pulls is not None:
            # A pull under way is not waited for (it may be long); its lease makes the next start take it again.
            pulls.shutdown(wait=False, cancel_futures=True)

    def _sweep_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except Exception:
                log.exception("plan runs: sweep failed")
            self._stop.wait(self.sweep_interval)

    def sweep(self) -> None:
        """Look at every running run once: fill its free slots and wake its items under way."""
        for run_id in self.runs.running_run_ids():
            if self._stop.is_set():
                return
            self._submit(self._fill, run_id)
            for item in self.runs.items(run_id):
                if item.step not in FINAL_STEPS and item.step != "pending":
                    self.kick(item.id)

    # -- entry points -------------------------------------------------------------------------------------------------
    def submit(self, plan: AccessPlan, *, fetch: bool | None, use_alternatives: bool, parallel: int) -> PlanRun:
        """Record a run of `plan` (one item per plan item, pending) and start its first items."""
        run_id = str(uuid.uuid4())
        doc = plan.doc
        options = {"fetch": fetch, "use_alternatives": use_alternatives, "parallel": parallel}
        items = [{"id": str(uuid.uuid4()), "position": i, "geoconcept_id": str(item["geoconcept"]["id"])}
                 for i, item in enumerate(plan.items)]
        run = self.runs.create({"id": run_id, "plan_id": plan.id, "plan": doc, "consumer_did": doc.get("consumer"),
                                "usecase": doc.get("usecase"), "purpose": plan.purpose,
                                "territory": plan.territory, "options": options}, items)
        log.info("plan run %s: %d item(s) of plan %s", run_id, len(items), plan.id)
        self._submit(self._fill, run_id)
        return run

    def cancel(self, run_id: str) -> bool:
        """Start nothing more for `run_id`: its items not ended become `skipped`. False if it was not running."""
        done = self.runs.cancel_run(run_id, {"code": "cancelled", "fr": "exécution du plan annulée par l'opérateur",
                                             "en": "plan run cancelled by the operator"})
        if done:
            log.info("plan run %s: cancelled", run_id)
        return done

    def on_committed(self, kind: str, process: Any, previous: str | None) -> None:
        """A negotiation or transfer of ours changed state: wake the item that waits for it (looked up by a worker,
        never in the caller's thread, which is acknowledging a protocol message)."""
        if process.role != "consumer" or process.state == previous or process.state not in _INTERESTING[kind]:
            return
        self._submit(self._on_event, kind, process.id)

    def _on_event(self, kind: str, process_id: str) -> None:
        item_id = self.runs.item_for_process(kind, process_id)
        if item_id is not None:
            self.kick(item_id)

    def kick(self, item_id: str) -> None:
        """Advance `item_id` on a worker; if it is being advanced already, once more after that."""
        with self._lock:
            if item_id in self._busy:
                self._again.add(item_id)
                return
            self._busy.add(item_id)
        if not self._submit(self._drive, item_id):
            with self._lock:
                self._busy.discard(item_id)

    def _submit(self, fn: Any, *args: Any) -> bool:
        pool = self._steps
        if pool is None or self._stop.is_set():
            return False  # stopped: the next start's sweep picks the work up
        try:
            pool.submit(self._guarded, fn, *args)
        except RuntimeError:  # shut down meanwhile
            return False
        return True

    @staticmethod
    def _guarded(fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("plan runs: %s%r failed", getattr(fn, "__name__", fn), args)

    def _drive(self, item_id: str) -> None:
        while True:
            try:
                self._advance(item_id)
            except Exception:
                log.exception("plan item %s: step failed", item_id)
            with self._lock:
                if item_id in self._again and not self._stop.is_set():
                    self._again.discard(item_id)
                    continue
                self._again.discard(item_id)
                self._busy.discard(item_id)
                return

    # -- the steps ----------------------------------------------------------------------------------------------------
    def _advance(self, item_id: str) -> None:
        item = None
        run = None
        for _ in range(_MAX_STEPS):
            if self._stop.is_set():
                return
            item = self.runs.get_item(item_id)
            if item is None or item.step == "pending":
                return
            run = self.runs.get_run(item.run_id)
            if run is None or run.status != "running" or item.step in FINAL_STEPS:
                break
            try:
                if not self._step(run, item):
                    break
            except ConcurrentUpdate:
                continue  # changed meanwhile: read it again
        if item is not None and run is not None and run.status == "running":
            item = self.runs.get_item(item_id) or item
            if self.ended(run, item):
                self._fill(run.id)

    @staticmethod
    def _candidates(run: PlanRun, position: int) -> list[dict[str, Any]]:
        return candidates(run.plan["items"][position], use_alternatives=run.options.get("use_alternatives", True))

    def ended(self, run: PlanRun, item: PlanItem) -> bool:
        """Whether `item` has nothing more to do: a final step, or a started transfer whose data is not pulled here."""
        if item.step in FINAL_STEPS:
            return True
        candidate = self._candidates(run, item.position)[item.candidate]
        return item.step == "started" and not wants_pull(run.options, candidate)

    def _step(self, run: PlanRun, item: PlanItem) -> bool:
        """Take the next step `item` may take; False when it waits (for a process, or for a pull)."""
        candidates = self._candidates(run, item.position)
        candidate = candidates[item.candidate]
        store = self.plane.store
        if item.step == "negotiating":
            negotiation = store.get("negotiation", item.negotiation_id)
            if negotiation is None:
                self._start_negotiation(run, item, candidate)
                return False
            if negotiation.state == "FINALIZED":
                self.runs.update_item(item.id, item.version, step="agreed", agreement_id=negotiation.agreement_id,
                                      attempts=_with_last(item, agreement_id=negotiation.agreement_id))
                return True
            if negotiation.state == "TERMINATED":
                return self._refused(run, item, candidates, negotiation)
            return False
        if item.step == "agreed":
            transfer_id = str(uuid.uuid4())
            self.runs.update_item(item.id, item.version, step="transferring", transfer_id=transfer_id,
                                  attempts=_with_last(item, transfer_id=transfer_id))
            return True
        if item.step == "transferring":
            transfer = store.get("transfer", item.transfer_id)
            if transfer is None:
                return self._start_transfer(item, candidate)
            if transfer.state == "STARTED":
                pull = wants_pull(run.options, candidate)
                changes = {} if pull else {"outcome": "started", "ended_at": _now_iso(self.runs)}
                self.runs.update_item(item.id, item.version, step="started", attempts=_with_last(item, **changes))
                return pull
            if transfer.state in ("TERMINATED", "COMPLETED"):
                self._fail(item, transfer_failure(transfer))
                return True
            return False
        if item.step == "started" and wants_pull(run.options, candidate):
            return self._pull_or_adopt(run, item)
        return False

    def _start_negotiation(self, run: PlanRun, item: PlanItem, candidate: Mapping[str, Any]) -> None:
        provider = candidate["provider"]
        try:
            self.plane.negotiations.start(
                provider_address=provider["dsp"].strip().rstrip("/"), provider_did=provider["did"],
                offer=candidate["offer"], dataset_id=candidate["dataset"]["id"], purpose=run.purpose,
                territory=run.territory, process_id=item.negotiation_id)
        except IntegrityError:  # started meanwhile by another worker or replica: the same negotiation
            return
        log.info("plan run %s: %s — negotiating %s with %s", run.id, item.geoconcept_id, candidate["dataset"]["id"],
                 provider["did"], extra={"process_id": item.negotiation_id, "counterparty": provider["did"]})
        self.plane.wake()

    def _refused(self, run: PlanRun, item: PlanItem, candidates: list[dict[str, Any]], negotiation: Any) -> bool:
        """The current attempt's negotiation ended TERMINATED: the next alternative, or the item fails."""
        reason = negotiation_refusal(negotiation)
        at = _now_iso(self.runs)
        attempts = _with_last(item, outcome="refused", reason=reason, ended_at=at)
        following = item.candidate + 1
        if following < len(candidates):
            negotiation_id = str(uuid.uuid4())
            attempts.append(_attempt(following, candidates[following], negotiation_id, at))
            self.runs.update_item(item.id, item.version, candidate=following, negotiation_id=negotiation_id,
                                  agreement_id=None, transfer_id=None, attempts=attempts)
            log.info("plan run %s: %s — refused by %s, trying alternative %d", run.id, item.geoconcept_id,
                     negotiation.counterparty_did, following)
            return True
        self.runs.update_item(item.id, item.version, step="failed", error=reason, attempts=attempts)
        log.info("plan run %s: %s — refused (%s), no alternative left", run.id, item.geoconcept_id, reason["code"])
        return True

    def _fail(self, item: PlanItem, error: dict[str, Any]) -> None:
        self.runs.update_item(item.id, item.version, step="failed", error=error,
                              attempts=_with_last(item, outcome="failed", reason=error, ended_at=_now_iso(self.runs)))

    def _start_transfer(self, item: PlanItem, candidate: Mapping[str, Any]) -> bool:
        try:
            self.plane.transfers.start(agreement_id=item.agreement_id, format=candidate["format"],
                                       process_id=item.transfer_id)
        except IntegrityError:
            return False
        except ProtocolError as exc:  # e.g. a push format: the plan gives no delivery address
            fr = exc.reasons[0] if exc.reasons else exc.code
            self._fail(item, {"code": exc.code, "fr": f"transfert impossible : {fr}",
                              "en": f"transfer impossible: {exc.reasons[1] if len(exc.reasons) > 1 else fr}"})
            return True
        self.plane.wake()
        return False

    def _pull_or_adopt(self, run: PlanRun, item: PlanItem) -> bool:
        """A copy already received for this transfer (the previous process stopped before recording it here) is
        the item's; otherwise the data is pulled by a pull worker."""
        receiver = self.plane.receiver
        if receiver is None:
            self._fail(item, {"code": "no-data-plane", "fr": "ce connecteur ne reçoit pas de données",
                              "en": "this connector does not receive data"})
            return True
        copies, _ = receiver.copies(transfer_id=item.transfer_id, held=True, limit=1)
        if copies:
            copy = copies[0]
            self.runs.update_item(item.id, item.version, step="fetched", copy_id=copy.id, received_path=copy.path,
                                  received_size=copy.size, error=None,
                                  attempts=_with_last(item, outcome="fetched", ended_at=_now_iso(self.runs)))
            return True
        pool = self._pulls
        if pool is not None:  # the pull's lease decides which worker pulls
            with contextlib.suppress(RuntimeError):  # shut down meanwhile: the next start pulls
                pool.submit(self._guarded, self._pull, run.id, item.id)
        return False

    def _pull(self, run_id: str, item_id: str) -> None:
        from connector.data.consumer import FetchError

        item = self.runs.claim_pull(item_id, self.owner, self.pull_lease)
        if item is None:
            return  # taken by another worker, or no longer started
        folder = _SAFE.sub("_", item.geoconcept_id)[:64].strip("._") or "item"
        dest = self.plane.receiver.received_dir / "plans" / run_id / f"{item.position + 1:02d}-{folder}"
        at = _now_iso(self.runs)
        try:
            copy = self.plane.receiver.fetch(item.transfer_id, f"{dest}{os.sep}")
        except FetchError as exc:
            error = {"code": exc.code, "fr": f"réception impossible : {exc.fr}", "en": f"cannot receive: {exc.en}",
                     **({"detail": exc.detail} if exc.detail else {})}
            self.runs.end_pull(item_id, self.owner, step="failed", error=error,
                               attempts=_with_last(item, outcome="failed", reason=error, ended_at=at))
        except Exception as exc:
            log.exception("plan item %s: pull failed", item_id)
            error = {"code": "internal-error", "fr": f"réception impossible : {exc}", "en": f"cannot receive: {exc}"}
            self.runs.end_pull(item_id, self.owner, step="failed", error=error,
                               attempts=_with_last(item, outcome="failed", reason=error, ended_at=at))
        else:
            self.runs.end_pull(item_id, self.owner, step="fetched", copy_id=copy.id, received_path=copy.path,
                               received_size=copy.size,
                               attempts=_with_last(item, outcome="fetched", ended_at=_now_iso(self.runs)))
            log.info("plan run %s: %s — received %s (%d bytes)", run_id, item.geoconcept_id, copy.path, copy.size)
        self.kick(item_id)

    # -- the run ------------------------------------------------------------------------------------------------------
    def _run_lock(self, run_id: str) -> threading.Lock:
        with self._lock:
            return self._run_locks.setdefault(run_id, threading.Lock())

    def _fill(self, run_id: str) -> None:
        """Start pending items while the run has free slots (`parallel` items under way); close the run once every
        item has ended."""
        with self._run_lock(run_id):
            run = self.runs.get_run(run_id)
            if run is None or run.status != "running":
                return
            items = self.runs.items(run_id)
            ended = [i for i in items if self.ended(run, i)]
            under_way = [i for i in items if i.step != "pending" and not self.ended(run, i)]
            free = int(run.options.get("parallel") or DEFAULT_PARALLEL) - len(under_way)
            for item in [i for i in items if i.step == "pending"][:max(0, free)]:
                candidate = self._candidates(run, item.position)[0]
                negotiation_id = str(uuid.uuid4())
                try:
                    self.runs.update_item(item.id, item.version, step="negotiating", negotiation_id=negotiation_id,
                                          attempts=[_attempt(0, candidate, negotiation_id, _now_iso(self.runs))])
                except ConcurrentUpdate:
                    continue
                self.kick(item.id)
            if len(ended) == len(items):
                status = self.status_of(run, items)
                if self.runs.finish_run(run_id, status):
                    log.info("plan run %s: %s", run_id, status)
                with self._lock:
                    self._run_locks.pop(run_id, None)

    def status_of(self, run: PlanRun, items: list[PlanItem]) -> str:
        failed = sum(1 for i in items if i.step == "failed")
        succeeded = sum(1 for i in items if self.ended(run, i) and i.step not in ("failed", "skipped"))
        if not failed:
            return "completed"
        return "completed-with-failures" if succeeded else "failed"


__all__ = ["DEFAULT_PARALLEL", "MAX_PARALLEL", "STATUSES", "STEPS", "PlanRunner", "negotiation_refusal",
           "wants_pull"]
