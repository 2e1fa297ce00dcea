"""Who asks for data, as a policy decision sees them, and the decision a provider's connector takes at negotiation.

A `Requester` is what a verified membership credential says about a participant (DID, recipient category, name,
kind, SIREN); `None` fields are unknown (an anonymous caller has no DID). `negotiation_request` turns a requester,
a dataset, a declared purpose and a declared territory into the engine's `Request`, and `negotiation_decision`
evaluates an offer for it at the current time. The provider's connector decides a ContractRequestMessage with these
two functions, and the federated catalogue announces eligibility with the same ones: both must give the same answer.

`admits` is the catalogue-time filter: whether an offer can apply to this requester, leaving the conditions on use
(purpose, period, count, territory...) to the negotiation; `refused_for_identity` tells whether a refusal holds only
because of who the requester is (or is not known to be)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .engine import CompiledPolicy, ConstraintResult, Decision, RuleResult
from .facts import request_from_json
from .model import Constraint, LogicalConstraint, RuleKind
from .request import Request, World
from .vocab import JNT, ODRL

#: Left operands about the requester itself, known from its verified credential before any negotiation.
IDENTITY_OPERANDS = frozenset({JNT + "recipientCategory", ODRL + "recipient", ODRL + "industry"})


@dataclass(frozen=True, slots=True)
class Requester:
    """A participant's verified claims as policies read them. `category` is `public` / `private` (as membership
    credentials state it) or a category IRI; every field may be unknown (None)."""

    did: str | None = None
    category: str | None = None
    name: str | None = None
    kind: str | None = None
    siren: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.did is None

    def to_json(self) -> dict[str, Any]:
        return {"did": self.did, "category": self.category, "name": self.name, "kind": self.kind,
                "siren": self.siren}


ANONYMOUS = Requester()


def negotiation_request(requester: Requester | None, target: str | None, *, purpose: str | None = None,
                        territory: str | None = None) -> Request:
    """The request a provider evaluates when `requester` asks for `target` for `purpose` (a purpose name or IRI)
    over `territory` (a territory reference, WKT or GeoJSON). Raises `PolicyError` naming an unknown purpose,
    category or territory."""
    requester = requester or ANONYMOUS
    data = {"assignee": requester.did, "target": target, "category": requester.category, "purpose": purpose,
            "territory": territory}
    return request_from_json({key: value for key, value in data.items() if value is not None})


def negotiation_decision(policy: CompiledPolicy, request: Request, *, now: datetime | None = None) -> Decision:
    """The decision on a contract request: before any agreement, so no use counted and no time elapsed."""
    return policy.decide(request, World(now=now or datetime.now(UTC)))


def _leaves(constraint: Constraint | LogicalConstraint) -> Iterable[Constraint]:
    if isinstance(constraint, Constraint):
        yield constraint
    else:
        for child in constraint.operands:
            yield from _leaves(child)


def _about_identity(result: ConstraintResult) -> bool:
    return all(leaf.left_operand in IDENTITY_OPERANDS for leaf in _leaves(result.constraint))


def _identity_refusal(result: ConstraintResult) -> bool:
    """A failed constraint that only involves who the requester is."""
    return not result.satisfied and _about_identity(result)


def admits(policy: CompiledPolicy, requester: Requester, target: str) -> bool:
    """Whether one permission of the policy can apply to this requester (conditions on use left to negotiation)."""
    decision = policy.decide(negotiation_request(requester, target))
    for result in decision.rules:
        if result.rule.kind != RuleKind.PERMISSION:
            continue
        if result.mismatch is not None and result.mismatch[0] not in ("action", "refinement"):
            continue
        if any(_identity_refusal(c) for c in result.constraints):
            continue
        return True
    return False


def _fails_only_on_identity(result: RuleResult) -> bool:
    if result.mismatch is not None and result.mismatch[0] != "assignee":
        return False
    failed = [c for c in result.constraints if not c.satisfied]
    if any(not _about_identity(c) for c in failed) or any(d.blocking for d in result.duties):
        return False
    return result.mismatch is not None or bool(failed)


def refused_for_identity(decision: Decision) -> bool:
    """A refusal that only conditions on who the requester is explain: some permission would apply to another
    requester (another category, a named recipient...) in the same circumstances."""
    if decision.permitted:
        return False
    return any(_fails_only_on_identity(r) for r in decision.rules if r.rule.kind == RuleKind.PERMISSION)


__all__ = ["ANONYMOUS", "IDENTITY_OPERANDS", "Requester", "admits", "negotiation_decision", "negotiation_request",
           "refused_for_identity"]
