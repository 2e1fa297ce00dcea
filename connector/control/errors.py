"""Errors of the control plane that reach a peer or an operator: each carries its HTTP status, a DSP error code and
reasons in French and English, and becomes a ``ContractNegotiationError`` / ``TransferError`` / ``CatalogError``
body (DSP endpoints) or a JSON problem (management API)."""

from __future__ import annotations

from collections.abc import Sequence


class ProtocolError(Exception):
    def __init__(self, status: int, code: str, reasons: Sequence[str], *, provider_pid: str | None = None,
                 consumer_pid: str | None = None) -> None:
        self.status = status
        self.code = code
        self.reasons = list(reasons)
        self.provider_pid = provider_pid
        self.consumer_pid = consumer_pid
        super().__init__(f"{status} {code}: " + "; ".join(self.reasons))


def not_found(fr: str, en: str, pid: str) -> ProtocolError:
    """404 for an unknown id — or one that belongs to another participant: the answer is the same."""
    return ProtocolError(404, "not-found", [f"{fr} : {pid}", f"{en}: {pid}"])


def bad_request(code: str, fr: str, en: str, **pids: str | None) -> ProtocolError:
    return ProtocolError(400, code, [fr, en], **pids)
