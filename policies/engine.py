"""The decision engine: a policy is compiled once (normalised, operands read, geometries prepared) into closures,
then `decide()` answers a request against a state of the world many times over without RDF or JSON-LD work.

Decision procedure (docs/policy-profile.md, after the ODRL Formal Semantics draft and EVALUATION.md §2.5):
P = permissions that match the request and are active (constraints satisfied, no blocking duty); Q = prohibitions
that match and are active. P and Q → the policy's conflict strategy (perm: permit, prohibit: deny, invalid or
mixed: the policy is void → not applicable); only P → permit, with the duties to honour; only Q → deny; neither →
not applicable (denied under the default closed behaviour)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .errors import PolicyError, problem
from .model import Asset, Constraint, LogicalConstraint, Party, Policy, Rule, RuleKind
from .normalize import NormalPolicy, Resolver, normalize
from .profile import LEFT_OPERANDS, POST_DUTY_ACTIONS, LeftOperand
from .request import Area, Request, World
from .values import Kind, compare_order
from .vocab import ODRL, action_closure, canonical_action

EQ, NEQ, LT, LTEQ, GT, GTEQ = (ODRL + o for o in ("eq", "neq", "lt", "lteq", "gt", "gteq"))
IS_A, HAS_PART, IS_PART_OF, IS_ALL_OF, IS_ANY_OF, IS_NONE_OF = (
    ODRL + o for o in ("isA", "hasPart", "isPartOf", "isAllOf", "isAnyOf", "isNoneOf"))
AND, OR, XONE, AND_SEQUENCE = (ODRL + o for o in ("and", "or", "xone", "andSequence"))

PERMIT, DENY, NOT_APPLICABLE = "permit", "deny", "not-applicable"


# ---------------------------------------------------------------------------------------------------------------
# Results


@dataclass(slots=True)
class ConstraintResult:
    constraint: Constraint | LogicalConstraint
    satisfied: bool
    left: Any = None
    missing: bool = False
    compiled: Any = None  # the compiled constraint, for rendering right operands
    children: list[ConstraintResult] = field(default_factory=list)


@dataclass(slots=True)
class DutyResult:
    duty: Rule
    active: bool
    state: str  # fulfilled | violated | not-set
    blocking: bool
    constraints: list[ConstraintResult]


@dataclass(slots=True)
class RuleResult:
    rule: Rule
    matched: bool
    active: bool
    mismatch: tuple[str, Any, Any] | None  # (what, requested, expected)
    constraints: list[ConstraintResult]
    refinements: list[ConstraintResult]
    duties: list[DutyResult]

    @property
    def applies(self) -> bool:
        return self.matched and self.active


@dataclass(slots=True)
class Decision:
    outcome: str  # permit | deny | not-applicable
    reason: str  # permitted | prohibited | conflict-perm | conflict-prohibit | conflict-void | no-applicable-rule
    policy_uid: str
    request: Request
    rules: list[RuleResult]
    duties: list[DutyResult]
    behaviour: str = "closed"

    @property
    def permitted(self) -> bool:
        return self.outcome == PERMIT or (self.outcome == NOT_APPLICABLE and self.behaviour == "open")

    def explain(self, lang: str = "fr") -> list[str]:
        from .explain import explain_decision

        return explain_decision(self, lang)

    def summary(self, lang: str = "fr") -> str:
        return self.explain(lang)[0]

    def to_json(self, lang: str = "fr") -> dict[str, Any]:
        from .explain import decision_json

        return decision_json(self, lang)


# ---------------------------------------------------------------------------------------------------------------
# Compiled constraints


class _Atomic:
    __slots__ = ("constraint", "spec", "op", "rights", "right_set", "area", "areas", "getter")

    def __init__(self, constraint: Constraint):
        spec = LEFT_OPERANDS[constraint.left_operand]
        self.constraint = constraint
        self.spec: LeftOperand = spec
        self.op = constraint.operator
        self.getter = spec.getter
        self.rights = [spec.read_right(v) for v in constraint.right_operand]
        self.right_set = frozenset(self.rights) if spec.kind in (Kind.IRI, Kind.STRING) else None
        self.area = self.areas = None
        if spec.kind is Kind.GEOMETRY:
            from .spatial import union_area

            self.areas = self.rights
            self.area = union_area(self.rights)

    def evaluate(self, req: Request, world: World) -> ConstraintResult:
        left = self.getter(req, world)
        if left is None:
            return ConstraintResult(self.constraint, False, None, True, self)
        try:
            ok = self._check(left)
        except TypeError:
            ok = False
        return ConstraintResult(self.constraint, ok, left, False, self)

    def _check(self, left: Any) -> bool:
        op = self.op
        kind = self.spec.kind
        if kind is Kind.GEOMETRY:
            from .spatial import covers, disjoint, read_area, same

            area = read_area(left)
            if op == IS_PART_OF:
                return covers(self.area, area)
            if op == IS_ANY_OF:
                return any(covers(a, area) for a in self.areas)
            if op == IS_NONE_OF:
                return all(disjoint(a, area) for a in self.areas)
            if op == HAS_PART:
                return covers(area, self.area)
            if op == EQ:
                return same(area, self.areas[0])
            if op == NEQ:
                return not same(area, self.areas[0])
            return False
        if self.right_set is None:  # ordered kinds: dateTime, duration, numbers
            if isinstance(left, int) and not isinstance(left, bool):
                left = Decimal(left)
            c = compare_order(left, self.rights[0])
            if op == EQ:
                return c == 0
            if op == NEQ:
                return c != 0
            if op == LT:
                return c < 0
            if op == LTEQ:
                return c <= 0
            if op == GT:
                return c > 0
            if op == GTEQ:
                return c >= 0
            return False
        values = frozenset(left) if isinstance(left, set | frozenset | tuple | list) else frozenset((left,))
        rights = self.right_set
        hierarchy = self.spec.hierarchy
        if op == EQ:
            return values == rights
        if op == NEQ:
            return values != rights
        if op == IS_ANY_OF:
            return bool(values) and values <= rights
        if op == IS_NONE_OF:
            return not (values & rights)
        if op in (IS_ALL_OF, HAS_PART):
            return rights <= values
        if op == IS_PART_OF:
            if hierarchy:
                return bool(values) and all(hierarchy(v) & rights for v in values)
            return bool(values) and values <= rights
        if op == IS_A:
            if hierarchy:
                return bool(values) and all(hierarchy(v) & rights for v in values)
            return values == rights
        return False


class _Logical:
    __slots__ = ("constraint", "op", "operands")

    def __init__(self, constraint: LogicalConstraint):
        self.constraint = constraint
        self.op = constraint.operator
        self.operands = [_compile_constraint(c) for c in constraint.operands]

    def evaluate(self, req: Request, world: World) -> ConstraintResult:
        results = [c.evaluate(req, world) for c in self.operands]
        count = sum(1 for r in results if r.satisfied)
        if self.op == OR:
            ok = count >= 1
        elif self.op == XONE:
            ok = count == 1
        else:  # and, andSequence: all of them (the order matters only for monitoring, not for a decision)
            ok = count == len(results)
        return ConstraintResult(self.constraint, ok, None, False, self, results)


def _compile_constraint(c: Constraint | LogicalConstraint) -> _Atomic | _Logical:
    return _Logical(c) if isinstance(c, LogicalConstraint) else _Atomic(c)


def _evaluate_all(compiled: list, req: Request, world: World) -> tuple[bool, list[ConstraintResult]]:
    results = [c.evaluate(req, world) for c in compiled]
    return all(r.satisfied for r in results), results


# ---------------------------------------------------------------------------------------------------------------
# Compiled rules


class _Duty:
    __slots__ = ("rule", "action", "constraints", "post")

    def __init__(self, rule: Rule):
        self.rule = rule
        self.action = canonical_action(rule.action.iri) if rule.action else None
        self.constraints = [_compile_constraint(c) for c in rule.constraints]
        self.post = self.action in POST_DUTY_ACTIONS

    def evaluate(self, req: Request, world: World) -> DutyResult:
        active, results = _evaluate_all(self.constraints, req, world)
        state = world.duty_states.get(self.rule.uid or "") if self.rule.uid else None
        if state is None:
            performed = self.action is not None and any(self.action in action_closure(a) for a in world.performed)
            state = "fulfilled" if performed else "not-set"
        if not active:
            blocking = False
        elif state == "violated":
            blocking = True
        elif state == "fulfilled":
            blocking = False
        else:
            blocking = not self.post
        return DutyResult(self.rule, active, state, blocking, results)


class _Rule:
    __slots__ = ("rule", "action", "refinements", "target", "assignee", "party_refinements", "asset_refinements",
                 "constraints", "duties")

    def __init__(self, rule: Rule):
        self.rule = rule
        action = rule.action
        # A rule on a deprecated action (write) governs its replacement (modify), as requests do.
        self.action = canonical_action(action.iri) if action else None
        self.refinements = [_compile_constraint(c) for c in action.refinements] if action else []
        self.target: Asset | None = rule.target
        self.assignee: Party | None = rule.assignee
        self.party_refinements = [_compile_constraint(c) for c in self.assignee.refinements] if self.assignee else []
        self.asset_refinements = [_compile_constraint(c) for c in self.target.refinements] if self.target else []
        self.constraints = [_compile_constraint(c) for c in rule.constraints]
        self.duties = [_Duty(d) for d in rule.duties]

    def evaluate(self, req: Request, world: World) -> RuleResult:
        mismatch = None
        refinement_results: list[ConstraintResult] = []
        if self.action is not None and self.action not in action_closure(req.action):
            mismatch = ("action", req.action, self.action)
        elif self.target is not None and req.target is not None and not self._asset_matches(req, world):
            mismatch = ("target", req.target, self.target.iri)
        elif self.assignee is not None:
            ok, refinement_results = self._party_matches(req, world)
            if not ok:
                mismatch = ("assignee", req.assignee, self.assignee.iri)
        if mismatch is None and self.refinements:
            ok, results = _evaluate_all(self.refinements, req, world)
            refinement_results.extend(results)
            if not ok:
                mismatch = ("refinement", req.action, self.action)
        active, results = _evaluate_all(self.constraints, req, world)
        duty_results = [d.evaluate(req, world) for d in self.duties]
        if any(d.blocking for d in duty_results):
            active = False
        return RuleResult(self.rule, mismatch is None, active, mismatch, results, refinement_results, duty_results)

    def _asset_matches(self, req: Request, world: World) -> bool:
        target = self.target
        if target.iri == req.target:
            return True
        if target.collection:
            member = target.iri in world.memberships.get(req.target, ())
            if member:
                return True
            if self.asset_refinements and not target.source:
                return _evaluate_all(self.asset_refinements, req, world)[0]
        return False

    def _party_matches(self, req: Request, world: World) -> tuple[bool, list[ConstraintResult]]:
        party = self.assignee
        if party.iri is not None and party.iri == req.assignee:
            return True, []
        if party.collection:
            if req.assignee is not None and party.iri in world.memberships.get(req.assignee, ()):
                return True, []
            if self.party_refinements:
                # A collection defined by refinements (e.g. every public body) has as members the parties whose
                # verified attributes satisfy them.
                return _evaluate_all(self.party_refinements, req, world)
        return False, []


# ---------------------------------------------------------------------------------------------------------------
# Compiled policy


class CompiledPolicy:
    """A policy ready for many decisions. Build with `compile_policy`."""

    def __init__(self, policy: Policy, normal: NormalPolicy):
        self.policy = policy
        self.uid = policy.uid
        self.conflicts = normal.conflicts
        try:
            self.permissions = [_Rule(r) for r in normal.permissions]
            self.prohibitions = [_Rule(r) for r in normal.prohibitions]
            self.obligations = [_Duty(r) for r in normal.obligations]
        except ValueError as exc:  # a value accepted by the parser but not usable (should not happen)
            raise PolicyError(problem("", "compile", f"politique inutilisable : {exc}", f"unusable policy: {exc}")) from exc

    def permitted_area(self, request: Request, world: World | None = None) -> Any:
        """The area the permissions applying to `request` allow, as an `Area` for the data plane to clip to: the
        union, over the permissions whose action, target and assignee match, of what their spatial constraints
        allow (`isPartOf` / `eq` / `isAnyOf` a territory). None when a matching permission has no spatial
        constraint (no restriction), or no permission matches. Constraints nested in logical constraints and
        `isNoneOf` exclusions are not turned into areas: the per-request decision still checks them."""
        from .spatial import union_area

        world = world or World()
        allowed = []
        for rule in self.permissions:
            if not rule.evaluate(request, world).matched:
                continue
            areas = [c.area for c in rule.constraints if isinstance(c, _Atomic) and c.spec.kind is Kind.GEOMETRY
                     and c.op in (IS_PART_OF, EQ, IS_ANY_OF)]
            if not areas:
                return None
            area = areas[0]
            for other in areas[1:]:  # several spatial constraints on one rule: all hold, so intersect
                area = Area(area.geometry.intersection(other.geometry), f"{area.label} ∩ {other.label}")
            allowed.append(area)
        return union_area(allowed) if allowed else None

    def decide(self, request: Request, world: World | None = None, behaviour: str = "closed") -> Decision:
        if world is None:
            world = World()
        if world.now is None:
            world = _with_now(world)
        perm_results = [r.evaluate(request, world) for r in self.permissions]
        proh_results = [r.evaluate(request, world) for r in self.prohibitions]
        permitted = [r for r in perm_results if r.matched and r.active]
        prohibited = [r for r in proh_results if r.matched and r.active]
        duties: list[DutyResult] = []
        if permitted and prohibited:
            strategy = next(iter(self.conflicts)) if len(self.conflicts) == 1 else "invalid"
            if strategy == "perm":
                outcome, reason = PERMIT, "conflict-perm"
            elif strategy == "prohibit":
                outcome, reason = DENY, "conflict-prohibit"
            else:
                outcome, reason = NOT_APPLICABLE, "conflict-void"
        elif permitted:
            outcome, reason = PERMIT, "permitted"
        elif prohibited:
            outcome, reason = DENY, "prohibited"
        else:
            outcome, reason = NOT_APPLICABLE, "no-applicable-rule"
        if outcome == PERMIT:
            for r in permitted:
                duties.extend(d for d in r.duties if d.state != "fulfilled")
            for obligation in self.obligations:
                result = obligation.evaluate(request, world)
                if result.state != "fulfilled":
                    duties.append(result)
        return Decision(outcome, reason, self.uid, request, perm_results + proh_results, duties, behaviour)


def _with_now(world: World) -> World:
    return World(now=world.current_time(), agreement_start=world.agreement_start, count=world.count,
                 memberships=world.memberships, duty_states=world.duty_states, performed=world.performed)


def compile_policy(policy: Policy, resolver: Resolver | None = None) -> CompiledPolicy:
    return CompiledPolicy(policy, normalize(policy, resolver))


def decide(policy: Policy, request: Request, world: World | None = None, resolver: Resolver | None = None,
           behaviour: str = "closed") -> Decision:
    return compile_policy(policy, resolver).decide(request, world, behaviour)


__all__ = ["DENY", "NOT_APPLICABLE", "PERMIT", "CompiledPolicy", "ConstraintResult", "Decision", "DutyResult",
           "RuleKind", "RuleResult", "compile_policy", "decide"]
