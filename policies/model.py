"""The typed ODRL 2.2 model the engine works on: policies, rules, constraints, parties, assets and values.

Everything is an immutable dataclass holding absolute IRIs, so a parsed policy can be shared between threads,
cached and compared. Parsing (`policies.parse`) builds it; `policies.serialize` writes it back as compact JSON-LD."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class IRI:
    value: str

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Literal:
    lexical: str
    datatype: str | None = None  # absolute IRI, None for a plain string
    language: str | None = None

    def __str__(self) -> str:
        return self.lexical


Value = IRI | Literal


@dataclass(frozen=True, slots=True)
class Constraint:
    left_operand: str
    operator: str
    right_operand: tuple[Value, ...] = ()
    right_operand_reference: str | None = None
    data_type: str | None = None
    unit: str | None = None
    status: Value | None = None
    uid: str | None = None


@dataclass(frozen=True, slots=True)
class LogicalConstraint:
    operator: str  # odrl:and | odrl:or | odrl:xone | odrl:andSequence
    operands: tuple[AnyConstraint, ...]
    uid: str | None = None


AnyConstraint = Constraint | LogicalConstraint


@dataclass(frozen=True, slots=True)
class Action:
    iri: str
    refinements: tuple[AnyConstraint, ...] = ()


@dataclass(frozen=True, slots=True)
class Party:
    iri: str | None
    collection: bool = False
    refinements: tuple[AnyConstraint, ...] = ()
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Asset:
    iri: str | None
    collection: bool = False
    refinements: tuple[AnyConstraint, ...] = ()
    source: str | None = None


class RuleKind(StrEnum):
    PERMISSION = "permission"
    PROHIBITION = "prohibition"
    OBLIGATION = "obligation"
    DUTY = "duty"


@dataclass(frozen=True, slots=True)
class Rule:
    kind: RuleKind
    uid: str | None = None
    actions: tuple[Action, ...] = ()  # empty: any action (tolerated for the SolidLab suite)
    targets: tuple[Asset, ...] = ()
    assignees: tuple[Party, ...] = ()
    assigners: tuple[Party, ...] = ()
    constraints: tuple[AnyConstraint, ...] = ()
    duties: tuple[Rule, ...] = ()  # permission: duties (conditions)
    remedies: tuple[Rule, ...] = ()  # prohibition
    consequences: tuple[Rule, ...] = ()  # duty / obligation
    informed_parties: tuple[Party, ...] = ()

    @property
    def action(self) -> Action | None:
        return self.actions[0] if self.actions else None

    @property
    def target(self) -> Asset | None:
        return self.targets[0] if self.targets else None

    @property
    def assignee(self) -> Party | None:
        return self.assignees[0] if self.assignees else None


@dataclass(frozen=True, slots=True)
class Policy:
    uid: str
    type: str = "Set"  # Set | Offer | Agreement | Request | Privacy | Ticket | Assertion
    permissions: tuple[Rule, ...] = ()
    prohibitions: tuple[Rule, ...] = ()
    obligations: tuple[Rule, ...] = ()
    targets: tuple[Asset, ...] = ()
    assigners: tuple[Party, ...] = ()
    assignees: tuple[Party, ...] = ()
    actions: tuple[Action, ...] = ()
    profiles: tuple[str, ...] = ()
    inherit_from: tuple[str, ...] = ()
    conflict: str | None = None  # perm | prohibit | invalid
    timestamp: str | None = None  # Agreement signing time (DSP)
    metadata: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.permissions + self.prohibitions + self.obligations
