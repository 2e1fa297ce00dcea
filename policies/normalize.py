"""Normalising a policy before evaluation: resolve `inheritFrom` (any depth, cycles refused), then atomic
expansion — policy-level target / assigner / assignee / action copied into every rule, and rules with several
actions, targets or parties split into one rule each (ODRL IM §2.7, §2.9). Duties without parties take their
permission's assignee."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import product

from .errors import PolicyError, problem
from .model import Policy, Rule

Resolver = Callable[[str], Policy | None]


@dataclass(frozen=True, slots=True)
class NormalPolicy:
    uid: str
    type: str
    permissions: tuple[Rule, ...]
    prohibitions: tuple[Rule, ...]
    obligations: tuple[Rule, ...]
    conflicts: frozenset[str]  # conflict strategies after inheritance; empty means the default (invalid)


def normalize(policy: Policy, resolver: Resolver | None = None) -> NormalPolicy:
    chain = _ancestors(policy, resolver)
    permissions: list[Rule] = []
    prohibitions: list[Rule] = []
    obligations: list[Rule] = []
    conflicts: set[str] = set()
    for member in [*chain, policy]:
        permissions.extend(_atomic_rules(member, member.permissions))
        prohibitions.extend(_atomic_rules(member, member.prohibitions))
        obligations.extend(_atomic_rules(member, member.obligations))
        if member.conflict:
            conflicts.add(member.conflict)
    return NormalPolicy(policy.uid, policy.type, tuple(permissions), tuple(prohibitions), tuple(obligations),
                        frozenset(conflicts))


def _ancestors(policy: Policy, resolver: Resolver | None) -> list[Policy]:
    """Parents first, each once; raises on a cycle or a parent that cannot be found."""
    ordered: list[Policy] = []
    done: set[str] = set()

    def visit(current: Policy, stack: list[str]) -> None:
        for parent_uid in current.inherit_from:
            if parent_uid in stack:
                cycle = " → ".join([*stack[stack.index(parent_uid):], parent_uid])
                raise PolicyError(problem("inheritFrom", "cyclic-inheritance",
                                          f"héritage circulaire : {cycle}", f"cyclic inheritFrom: {cycle}"))
            if parent_uid in done:
                continue
            parent = resolver(parent_uid) if resolver else None
            if parent is None:
                raise PolicyError(problem("inheritFrom", "missing-parent",
                                          f"politique parente introuvable : {parent_uid}",
                                          f"parent policy not found: {parent_uid}"))
            visit(parent, [*stack, parent_uid])
            done.add(parent_uid)
            ordered.append(parent)

    visit(policy, [policy.uid])
    return ordered


def _atomic_rules(policy: Policy, rules: tuple[Rule, ...]) -> list[Rule]:
    out: list[Rule] = []
    for rule in rules:
        out.extend(_split(_with_policy_defaults(policy, rule)))
    return out


def _with_policy_defaults(policy: Policy, rule: Rule) -> Rule:
    return replace(
        rule,
        actions=rule.actions or policy.actions,
        targets=rule.targets or policy.targets,
        assignees=rule.assignees or policy.assignees,
        assigners=rule.assigners or policy.assigners,
    )


def _split(rule: Rule) -> list[Rule]:
    combos = product(rule.actions or (None,), rule.targets or (None,), rule.assignees or (None,),
                     rule.assigners or (None,))
    out = []
    for action, target, assignee, assigner in combos:
        atomic = replace(
            rule,
            actions=(action,) if action else (),
            targets=(target,) if target else (),
            assignees=(assignee,) if assignee else (),
            assigners=(assigner,) if assigner else (),
        )
        duties = tuple(d for duty in atomic.duties for d in _split(_inherit_parties(duty, atomic)))
        out.append(replace(atomic, duties=duties))
    return out


def _inherit_parties(duty: Rule, permission: Rule) -> Rule:
    return replace(
        duty,
        assignees=duty.assignees or permission.assignees,
        assigners=duty.assigners or permission.assigners,
        targets=duty.targets,
    )
