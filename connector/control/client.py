"""`ManagementClient`: a small Python client of a connector's management API (`connector.control.management_api`),
one method per endpoint, for scripts, the command line and tests. Answers are the API's JSON documents (dicts);
every refusal raises `ManagementError` with the API's code, the field at fault and the explanation in French and
English, and so do an unreachable connector and a wait that times out."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote

import httpx

from connector.i18n import t

TransferAction = Literal["suspend", "resume", "complete", "terminate"]
NEGOTIATION_ENDED = ("FINALIZED", "TERMINATED")
PLAN_RUNNING = "running"
TRANSFER_ENDED = ("COMPLETED", "TERMINATED")


class ManagementError(Exception):
    """A refusal of the management API (`status` is None when no HTTP answer came: unreachable, timeout)."""

    def __init__(self, status: int | None, code: str, fr: str, en: str, *, field: str | None = None,
                 body: Any = None) -> None:
        self.status, self.code, self.fr, self.en, self.field, self.body = status, code, fr, en, field, body
        super().__init__(f"{status if status is not None else '-'} {code}: {en}")

    def message(self, lang: str | None = None) -> str:
        return t(self.fr, self.en, lang)


def _path_id(value: str) -> str:
    # Dataset and agreement ids are IRIs: every reserved character is escaped to stay one path segment.
    return quote(value, safe="")


class ManagementClient:
    """Client of the management API at `base_url` (e.g. `http://localhost:8080/management`)."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None, poll_interval: float = 0.1) -> None:
        self.base_url = base_url.rstrip("/")
        self.poll_interval = poll_interval
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport,
                                  headers={"Authorization": f"Bearer {token}"})

    # -- plumbing -------------------------------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ManagementClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _call(self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None,
              timeout: float | None = None) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        extra = {"timeout": timeout} if timeout is not None else {}
        try:
            answer = self._http.request(method, path, json=json, params=query or None, **extra)
        except httpx.TimeoutException as exc:
            raise ManagementError(None, "timeout", f"pas de réponse de {self.base_url} : {exc}",
                                  f"no answer from {self.base_url}: {exc}") from None
        except httpx.HTTPError as exc:
            raise ManagementError(None, "unreachable", f"{self.base_url} injoignable : {exc}",
                                  f"cannot reach {self.base_url}: {exc}") from None
        if answer.status_code >= 400:
            try:
                body = answer.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and "error" in body:
                raise ManagementError(answer.status_code, str(body["error"]), str(body.get("fr", "")),
                                      str(body.get("en", "")), field=body.get("field"), body=body)
            raise ManagementError(answer.status_code, "http-error", f"HTTP {answer.status_code} : {answer.text[:200]}",
                                  f"HTTP {answer.status_code}: {answer.text[:200]}", body=body)
        if answer.status_code == 204 or not answer.content:
            return None
        return answer.json()

    def _wait(self, get: Any, process_id: str, states: Iterable[str], ended: Iterable[str], timeout: float,
              what: tuple[str, str]) -> dict[str, Any]:
        wanted, done = set(states), set(ended)
        deadline = time.monotonic() + timeout
        while True:
            process = get(process_id)
            if process["state"] in wanted or process["state"] in done:
                return process
            if time.monotonic() >= deadline:
                raise ManagementError(
                    None, "timeout",
                    f"{what[0]} {process_id} toujours à l'état {process['state']} après {timeout:g} s "
                    f"(attendu : {', '.join(sorted(wanted))})",
                    f"{what[1]} {process_id} still {process['state']} after {timeout:g} s "
                    f"(expected: {', '.join(sorted(wanted))})", body=process)
            time.sleep(self.poll_interval)

    # -- datasets -------------------------------------------------------------------------------------------------
    def publish_dataset(self, *, sheet: Mapping[str, Any] | None = None, iso19139: str | None = None,
                        policy: Mapping[str, Any] | None = None, template: Mapping[str, Any] | None = None,
                        formats: list[str] | None = None, data_source: Mapping[str, Any] | None = None,
                        offer_id: str | None = None, replace: bool = False) -> dict[str, Any]:
        """Publish a sheet (JSON) or an ISO 19139 record (XML text) with an ODRL `policy` or a `template`
        (`{"licence", "access", "restrictions": {...}}`); the summary and the validation warnings."""
        body: dict[str, Any] = {"sheet": sheet, "iso19139": iso19139, "policy": policy, "template": template,
                                "data_source": data_source, "offer_id": offer_id, "replace": replace}
        if formats is not None:
            body["formats"] = formats
        return self._call("POST", "/datasets", json={k: v for k, v in body.items() if v is not None})

    def list_datasets(self, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        return self._call("GET", "/datasets", params={"offset": offset, "limit": limit})

    def get_dataset(self, dataset_id: str) -> dict[str, Any]:
        return self._call("GET", f"/datasets/{_path_id(dataset_id)}")

    def delete_dataset(self, dataset_id: str) -> None:
        self._call("DELETE", f"/datasets/{_path_id(dataset_id)}")

    def add_offer(self, dataset_id: str, *, policy: Mapping[str, Any] | None = None,
                  template: Mapping[str, Any] | None = None, offer_id: str | None = None) -> dict[str, Any]:
        body = {"policy": policy, "template": template, "offer_id": offer_id}
        return self._call("POST", f"/datasets/{_path_id(dataset_id)}/offers",
                          json={k: v for k, v in body.items() if v is not None})

    def list_offers(self, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        return self._call("GET", "/offers", params={"offset": offset, "limit": limit})

    # -- a provider's catalogue -----------------------------------------------------------------------------------
    def fetch_catalog(self, address: str, did: str) -> dict[str, Any]:
        """The DSP catalogue of the provider at `address` (its DSP base URL), as this participant sees it."""
        return self._call("GET", "/catalog", params={"address": address, "did": did})

    # -- negotiations ---------------------------------------------------------------------------------------------
    def start_negotiation(self, provider_address: str, provider_did: str, dataset_id: str,
                          offer: Mapping[str, Any], *, purpose: str | None = None,
                          territory: str | None = None) -> dict[str, Any]:
        body = {"provider_address": provider_address, "provider_did": provider_did, "dataset_id": dataset_id,
                "offer": dict(offer), "purpose": purpose, "territory": territory}
        return self._call("POST", "/negotiations", json={k: v for k, v in body.items() if v is not None})

    def list_negotiations(self, *, role: str | None = None, state: str | None = None, offset: int = 0,
                          limit: int = 50) -> dict[str, Any]:
        return self._call("GET", "/negotiations",
                          params={"role": role, "state": state, "offset": offset, "limit": limit})

    def get_negotiation(self, negotiation_id: str) -> dict[str, Any]:
        return self._call("GET", f"/negotiations/{_path_id(negotiation_id)}")

    def terminate_negotiation(self, negotiation_id: str, reason: str | None = None) -> dict[str, Any]:
        return self._call("POST", f"/negotiations/{_path_id(negotiation_id)}/terminate",
                          json={"reason": reason} if reason else None)

    def wait_negotiation(self, negotiation_id: str, states: Iterable[str] = NEGOTIATION_ENDED,
                         timeout: float = 30.0) -> dict[str, Any]:
        """Poll until the negotiation is in one of `states` (or has ended); ManagementError on timeout."""
        return self._wait(self.get_negotiation, negotiation_id, states, NEGOTIATION_ENDED, timeout,
                          ("négociation", "negotiation"))

    # -- agreements -----------------------------------------------------------------------------------------------
    def list_agreements(self, *, role: str | None = None, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        return self._call("GET", "/agreements", params={"role": role, "offset": offset, "limit": limit})

    def get_agreement(self, agreement_id: str) -> dict[str, Any]:
        return self._call("GET", f"/agreements/{_path_id(agreement_id)}")

    # -- transfers ------------------------------------------------------------------------------------------------
    def start_transfer(self, agreement_id: str, *, format: str | None = None,
                       data_address: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body = {"agreement_id": agreement_id, "format": format,
                "data_address": dict(data_address) if data_address else None}
        return self._call("POST", "/transfers", json={k: v for k, v in body.items() if v is not None})

    def list_transfers(self, *, role: str | None = None, state: str | None = None, offset: int = 0,
                       limit: int = 50) -> dict[str, Any]:
        return self._call("GET", "/transfers", params={"role": role, "state": state, "offset": offset, "limit": limit})

    def get_transfer(self, transfer_id: str) -> dict[str, Any]:
        return self._call("GET", f"/transfers/{_path_id(transfer_id)}")

    def transfer_action(self, transfer_id: str, action: TransferAction, reason: str | None = None) -> dict[str, Any]:
        """suspend | resume | complete | terminate (`reason` goes with terminate)."""
        if action not in ("suspend", "resume", "complete", "terminate"):
            raise ManagementError(None, "invalid-action",
                                  f"action inconnue « {action} » : suspend, resume, complete, terminate",
                                  f"unknown action '{action}': suspend, resume, complete, terminate",
                                  field="action")
        body = {"reason": reason} if reason and action == "terminate" else None
        return self._call("POST", f"/transfers/{_path_id(transfer_id)}/{action}", json=body)

    def wait_transfer(self, transfer_id: str, states: Iterable[str] = ("STARTED", *TRANSFER_ENDED),
                      timeout: float = 30.0) -> dict[str, Any]:
        """Poll until the transfer is in one of `states` (or has ended); ManagementError on timeout."""
        return self._wait(self.get_transfer, transfer_id, states, TRANSFER_ENDED, timeout,
                          ("transfert", "transfer"))

    # -- received data (consumer) ---------------------------------------------------------------------------------
    def fetch_transfer(self, transfer_id: str, *, path: str | None = None, bbox: str | list[float] | None = None,
                       out: str | None = None, timeout: float | None = 3600.0) -> dict[str, Any]:
        """Have the connector pull a STARTED transfer's data into its received directory (`out`: a path inside
        it; `path`: a file of a folder source; `bbox`: minx,miny,maxx,maxy). The copy: `path`, `size`, `sha256`,
        `attribution`, `delete_by`... `timeout` covers the whole download."""
        body = {"path": path, "bbox": bbox, "out": out}
        return self._call("POST", f"/transfers/{_path_id(transfer_id)}/fetch",
                          json={k: v for k, v in body.items() if v is not None}, timeout=timeout)

    def get_edr(self, transfer_id: str) -> dict[str, Any]:
        """The transfer's current EDR (endpoint, `authorization` token, refresh token), refreshed if expiring."""
        return self._call("GET", f"/transfers/{_path_id(transfer_id)}/edr")

    def list_received(self, *, transfer: str | None = None, agreement: str | None = None, held: bool | None = None,
                      offset: int = 0, limit: int = 50) -> dict[str, Any]:
        params = {"transfer": transfer, "agreement": agreement, "offset": offset, "limit": limit,
                  "held": None if held is None else str(held).lower()}
        return self._call("GET", "/received", params=params)

    # -- audit log ------------------------------------------------------------------------------------------------
    def list_audit(self, *, agreement: str | None = None, transfer: str | None = None, dataset: str | None = None,
                   event: str | None = None, since: datetime | str | None = None,
                   until: datetime | str | None = None, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        """Audit records, newest first (`event` ending in `.`: a whole area, e.g. `data.`)."""
        params = {"agreement": agreement, "transfer": transfer, "dataset": dataset, "event": event,
                  "since": since.isoformat() if isinstance(since, datetime) else since,
                  "until": until.isoformat() if isinstance(until, datetime) else until,
                  "offset": offset, "limit": limit}
        return self._call("GET", "/audit", params=params)

    def verify_audit(self, checkpoint: str | None = None) -> dict[str, Any]:
        """The audit chain's check: `ok`, `count`, `firstBrokenSeq`, `headSeq`, `reason` {fr, en}."""
        return self._call("GET", "/audit/verify", params={"checkpoint": checkpoint})

    # -- access plans (brokering) ---------------------------------------------------------------------------------
    def run_plan(self, plan: Mapping[str, Any], *, fetch: bool | None = None, use_alternatives: bool = True,
                 parallel: int | None = None) -> dict[str, Any]:
        """Have the connector obtain the data of an access plan (the federated catalogue's `AccessPlan`): the run,
        `running` (follow it with `get_plan_run` or `wait_plan_run`). `fetch` False: stop at the started transfers
        (default: pull the data of PULL formats into the received directory)."""
        body: dict[str, Any] = {"plan": dict(plan), "use_alternatives": use_alternatives}
        if fetch is not None:
            body["fetch"] = fetch
        if parallel is not None:
            body["parallel"] = parallel
        return self._call("POST", "/plans", json=body)

    def list_plan_runs(self, *, status: str | None = None, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        return self._call("GET", "/plans", params={"status": status, "offset": offset, "limit": limit})

    def get_plan_run(self, run_id: str) -> dict[str, Any]:
        """The run: status, totals, each item's step, processes, received file or reason, and the plan's gaps."""
        return self._call("GET", f"/plans/{_path_id(run_id)}")

    def cancel_plan_run(self, run_id: str) -> dict[str, Any]:
        return self._call("POST", f"/plans/{_path_id(run_id)}/cancel")

    def wait_plan_run(self, run_id: str, timeout: float = 300.0,
                      on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Poll until the run has ended (any status but `running`); `on_progress` gets each view that differs from
        the previous one. ManagementError on timeout."""
        deadline = time.monotonic() + timeout
        seen: Any = None
        while True:
            run = self.get_plan_run(run_id)
            progress = [(i["step"], i["candidate"]) for i in run["items"]], run["status"]
            if on_progress is not None and progress != seen:
                on_progress(run)
            seen = progress
            if run["status"] != PLAN_RUNNING:
                return run
            if time.monotonic() >= deadline:
                raise ManagementError(None, "timeout", f"exécution {run_id} toujours en cours après {timeout:g} s",
                                      f"run {run_id} still running after {timeout:g} s", body=run)
            time.sleep(max(self.poll_interval, 0.05))
