"""Explanations a person can read, in French or English: one summary line saying what was decided and why,
then one line per rule and per constraint with the values compared, e.g.
« refusé : la finalité 'urban-planning' n'est pas dans {flood-risk-simulation} »."""

from __future__ import annotations

from typing import Any

from .engine import ConstraintResult, Decision, DutyResult, RuleResult
from .model import LogicalConstraint, Rule
from .values import Kind
from .vocab import ODRL, short

_PHRASES: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    # operator: ((fr positive, fr negative), (en positive, en negative))
    "eq": (("vaut", "ne vaut pas"), ("is", "is not")),
    "neq": (("diffère de", "ne diffère pas de"), ("differs from", "does not differ from")),
    "lt": (("est inférieur(e) à", "n'est pas inférieur(e) à"), ("is less than", "is not less than")),
    "lteq": (("est au plus", "dépasse"), ("is at most", "exceeds")),
    "gt": (("est supérieur(e) à", "n'est pas supérieur(e) à"), ("is greater than", "is not greater than")),
    "gteq": (("est au moins", "est inférieur(e) à"), ("is at least", "is less than")),
    "isA": (("relève de", "ne relève pas de"), ("is a", "is not a")),
    "hasPart": (("contient", "ne contient pas"), ("contains", "does not contain")),
    "isPartOf": (("est inclus(e) dans", "n'est pas inclus(e) dans"), ("lies within", "does not lie within")),
    "isAllOf": (("comprend tous", "ne comprend pas tous"), ("includes all of", "does not include all of")),
    "isAnyOf": (("est dans", "n'est pas dans"), ("is in", "is not in")),
    "isNoneOf": (("n'est dans aucun de", "est dans"), ("is in none of", "is in")),
}
_TIME_PHRASES: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "eq": (("est le", "n'est pas le"), ("is", "is not")),
    "neq": (("n'est pas le", "est le"), ("is not", "is")),
    "lt": (("est antérieure au", "n'est pas antérieure au"), ("is before", "is not before")),
    "lteq": (("est au plus tard le", "est postérieure au"), ("is at the latest", "is after")),
    "gt": (("est postérieure au", "n'est pas postérieure au"), ("is after", "is not after")),
    "gteq": (("est au plus tôt le", "est antérieure au"), ("is at the earliest", "is before")),
}
_LOGICAL = {
    "and": ("toutes les conditions suivantes", "all of the following"),
    "andSequence": ("toutes les conditions suivantes, dans l'ordre", "all of the following, in order"),
    "or": ("au moins une des conditions suivantes", "at least one of the following"),
    "xone": ("exactement une des conditions suivantes", "exactly one of the following"),
}
_ACTIONS_FR = {
    "use": "utiliser", "read": "lire", "distribute": "diffuser", "attribute": "citer la source (attribution)",
    "delete": "supprimer les données", "inform": "informer le fournisseur", "compensate": "payer une compensation",
    "nextPolicy": "transmettre la politique avec les données", "obtainConsent": "obtenir le consentement",
    "aggregate": "agréger", "derive": "dériver", "reproduce": "reproduire", "modify": "modifier",
    "sell": "vendre", "transfer": "transférer", "anonymize": "anonymiser", "display": "afficher", "print": "imprimer",
    "cc:ShareAlike": "partager à l'identique les bases dérivées", "cc:Attribution": "citer la source (attribution)",
    "cc:Notice": "conserver les mentions de licence", "cc:CommercialUse": "faire un usage commercial",
}
_ACTIONS_EN = {
    "attribute": "attribute the source", "delete": "delete the data", "inform": "inform the provider",
    "compensate": "pay compensation", "nextPolicy": "pass the policy on with the data",
    "obtainConsent": "obtain consent", "cc:ShareAlike": "share derived databases alike",
    "cc:Attribution": "attribute the source", "cc:Notice": "keep the licence notices",
}
_KIND_FR = {"permission": "permission", "prohibition": "interdiction", "obligation": "obligation", "duty": "devoir"}
_KIND_EN = {"permission": "permission", "prohibition": "prohibition", "obligation": "obligation", "duty": "duty"}
_STATE_FR = {"fulfilled": "rempli", "violated": "violé", "not-set": "à honorer"}
_STATE_EN = {"fulfilled": "fulfilled", "violated": "violated", "not-set": "to honour"}


def action_words(iri: str | None, lang: str) -> str:
    if iri is None:
        return "toute action" if lang == "fr" else "any action"
    name = short(iri)
    if lang == "fr":
        return _ACTIONS_FR.get(name, name)
    return _ACTIONS_EN.get(name, name)


def _phrase(compiled: Any, satisfied: bool, lang: str) -> str:
    op = short(compiled.constraint.operator)
    table = _TIME_PHRASES if compiled.spec.kind is Kind.DATETIME and op in _TIME_PHRASES else _PHRASES
    fr, en = table[op]
    pair = fr if lang == "fr" else en
    return _agree(pair[0] if satisfied else pair[1], compiled.spec.feminine)


def _agree(text: str, feminine: bool) -> str:
    """French agreement of the '(e)' forms with the operand's gender."""
    return text.replace("(e)", "e" if feminine else "")


def _rights(compiled: Any, lang: str) -> str:
    shown = [compiled.spec.shown(v, lang) for v in compiled.rights]
    if short(compiled.constraint.operator) in ("isAnyOf", "isNoneOf", "isAllOf") or len(shown) > 1:
        return "{" + ", ".join(shown) + "}"
    return shown[0] if shown else ""


def constraint_text(result: ConstraintResult, lang: str) -> str:
    """One sentence for one evaluated constraint (logical constraints: their operands, joined)."""
    if isinstance(result.constraint, LogicalConstraint):
        head = _LOGICAL[short(result.constraint.operator)][0 if lang == "fr" else 1]
        verdict = ("satisfaite" if result.satisfied else "non satisfaite") if lang == "fr" else (
            "satisfied" if result.satisfied else "not satisfied")
        inner = " ; ".join(constraint_text(c, lang) for c in result.children)
        return f"{head} ({verdict}) : [{inner}]" if lang == "fr" else f"{head} ({verdict}): [{inner}]"
    compiled = result.compiled
    spec = compiled.spec
    label = spec.label(lang)
    if result.missing:
        if lang == "fr":
            missing = _agree("n'est pas renseigné(e)", spec.feminine)
            return f"{label} {missing} dans la demande (attendu : {short(compiled.op)} {_rights(compiled, lang)})"
        return f"{label} is not given in the request (expected: {short(compiled.op)} {_rights(compiled, lang)})"
    left = spec.shown(result.left, lang)
    if spec.iri == ODRL + "count":
        left = f"{left}, en comptant celle-ci" if lang == "fr" else f"{left}, counting this one"
    return f"{label} '{left}' {_phrase(compiled, result.satisfied, lang)} {_rights(compiled, lang)}"


def condition_text(compiled: Any, lang: str) -> str:
    """A constraint stated as a condition, without a left value (for duties and templates)."""
    if hasattr(compiled, "operands"):
        head = _LOGICAL[short(compiled.op)][0 if lang == "fr" else 1]
        return f"{head} [" + " ; ".join(condition_text(c, lang) for c in compiled.operands) + "]"
    return f"{compiled.spec.label(lang)} {_phrase(compiled, True, lang)} {_rights(compiled, lang)}"


def _rule_head(rule: Rule, lang: str) -> str:
    kind = (_KIND_FR if lang == "fr" else _KIND_EN)[rule.kind.value]
    action = short(rule.action.iri) if rule.action else ("toute action" if lang == "fr" else "any action")
    target = f" {'sur' if lang == 'fr' else 'on'} {rule.target.iri}" if rule.target and rule.target.iri else ""
    return f"{kind} « {action} »{target}" if lang == "fr" else f"{kind} '{action}'{target}"


def _mismatch_text(result: RuleResult, lang: str) -> str:
    what, requested, expected = result.mismatch
    if what == "action":
        if lang == "fr":
            return f"l'action demandée '{short(requested)}' n'est pas couverte par '{short(expected)}'"
        return f"the requested action '{short(requested)}' is not covered by '{short(expected)}'"
    if what == "target":
        if lang == "fr":
            return f"la ressource demandée '{requested}' n'est pas '{expected}'"
        return f"the requested asset '{requested}' is not '{expected}'"
    if what == "assignee":
        details = "; ".join(constraint_text(c, lang) for c in result.refinements if not c.satisfied)
        who = requested or ("inconnu" if lang == "fr" else "unknown")
        if lang == "fr":
            return f"le demandeur '{who}' n'est pas le bénéficiaire '{expected}'" + (f" ({details})" if details else "")
        return f"the requester '{who}' is not the assignee '{expected}'" + (f" ({details})" if details else "")
    details = "; ".join(constraint_text(c, lang) for c in result.refinements if not c.satisfied)
    return (f"raffinement de l'action non satisfait : {details}" if lang == "fr"
            else f"action refinement not satisfied: {details}")


def duty_text(duty: DutyResult, lang: str) -> str:
    words = action_words(duty.duty.action.iri if duty.duty.action else None, lang)
    state = (_STATE_FR if lang == "fr" else _STATE_EN)[duty.state]
    conditions = [condition_text(c.compiled, lang) for c in duty.constraints if c.compiled is not None]
    when = ""
    if conditions:
        when = (" — applicable quand " + " et ".join(conditions)) if lang == "fr" else (
            " — applies when " + " and ".join(conditions))
    if not duty.active:
        state = "pas encore applicable" if lang == "fr" else "not yet applicable"
    return f"{words} ({state}){when}"


def _failure_reasons(result: RuleResult, lang: str) -> list[str]:
    if not result.matched:
        return [_mismatch_text(result, lang)]
    reasons = [constraint_text(c, lang) for c in result.constraints if not c.satisfied]
    for duty in result.duties:
        if duty.blocking:
            state = duty.state
            if lang == "fr":
                reasons.append(f"le devoir « {action_words(duty.duty.action.iri if duty.duty.action else None, lang)} »"
                               f" est {'violé' if state == 'violated' else 'à remplir avant l’accès'}")
            else:
                reasons.append(f"duty '{action_words(duty.duty.action.iri if duty.duty.action else None, lang)}'"
                               f" is {'violated' if state == 'violated' else 'to be fulfilled before access'}")
    return reasons


def _best_failed_permission(decision: Decision) -> RuleResult | None:
    permissions = [r for r in decision.rules if r.rule.kind.value == "permission"]
    matched = [r for r in permissions if r.matched]
    return (matched or permissions or [None])[0]


def summary(decision: Decision, lang: str) -> str:
    fr = lang == "fr"
    applied = [r for r in decision.rules if r.applies]
    if decision.outcome == "permit":
        heads = ", ".join(_rule_head(r.rule, lang) for r in applied if r.rule.kind.value == "permission")
        text = f"autorisé : {heads} s'applique" if fr else f"permitted: {heads} applies"
        pending = [action_words(d.duty.action.iri if d.duty.action else None, lang) for d in decision.duties]
        if pending:
            text += (" ; devoirs : " if fr else "; duties: ") + ", ".join(dict.fromkeys(pending))
        if decision.reason == "conflict-perm":
            text += " (conflit résolu par la stratégie perm)" if fr else " (conflict resolved by strategy perm)"
        return text
    if decision.outcome == "deny":
        heads = ", ".join(_rule_head(r.rule, lang) for r in applied if r.rule.kind.value == "prohibition")
        text = f"refusé : {heads} s'applique" if fr else f"denied: {heads} applies"
        if decision.reason == "conflict-prohibit":
            text += " (conflit résolu par la stratégie prohibit)" if fr else " (conflict resolved by strategy prohibit)"
        return text
    prefix = "refusé" if decision.behaviour == "closed" else "autorisé (monde ouvert)"
    prefix_en = "denied" if decision.behaviour == "closed" else "permitted (open world)"
    if decision.reason == "conflict-void":
        return (f"{prefix} : une permission et une interdiction s'appliquent ensemble ; sans stratégie perm ou "
                "prohibit la politique est nulle (invalid)") if fr else (
            f"{prefix_en}: a permission and a prohibition both apply; without a perm or prohibit strategy the policy "
            "is void (invalid)")
    best = _best_failed_permission(decision)
    if best is None:
        return f"{prefix} : la politique ne contient aucune permission" if fr else f"{prefix_en}: the policy holds no permission"
    reasons = _failure_reasons(best, lang)
    return f"{prefix} : " + " ; ".join(reasons) if fr else f"{prefix_en}: " + "; ".join(reasons)


def explain_decision(decision: Decision, lang: str = "fr") -> list[str]:
    lines = [summary(decision, lang)]
    fr = lang == "fr"
    for result in decision.rules:
        head = _rule_head(result.rule, lang)
        if not result.matched:
            lines.append(f"{head} : ne s'applique pas à la demande — {_mismatch_text(result, lang)}" if fr
                         else f"{head}: does not apply to the request — {_mismatch_text(result, lang)}")
            continue
        state = ("active" if result.active else "inactive") if fr else ("active" if result.active else "inactive")
        lines.append(f"{head} : {state}" if fr else f"{head}: {state}")
        for c in result.constraints:
            mark = "✓" if c.satisfied else "✗"
            lines.append(f"  {mark} {constraint_text(c, lang)}")
        for d in result.duties:
            mark = "✗" if d.blocking else "•"
            lines.append(f"  {mark} {'devoir' if fr else 'duty'} : {duty_text(d, lang)}" if fr
                         else f"  {mark} duty: {duty_text(d, lang)}")
    return lines


def _constraint_json(result: ConstraintResult, lang: str) -> dict[str, Any]:
    if isinstance(result.constraint, LogicalConstraint):
        return {"operator": short(result.constraint.operator), "satisfied": result.satisfied,
                "constraints": [_constraint_json(c, lang) for c in result.children]}
    compiled = result.compiled
    return {
        "leftOperand": compiled.spec.name,
        "operator": short(compiled.op),
        "rightOperand": [compiled.spec.shown(v, lang) for v in compiled.rights],
        "value": None if result.missing else compiled.spec.shown(result.left, lang),
        "satisfied": result.satisfied,
        "text": constraint_text(result, lang),
    }


def duty_json(duty: DutyResult, lang: str) -> dict[str, Any]:
    return {
        "action": short(duty.duty.action.iri) if duty.duty.action else None,
        "uid": duty.duty.uid,
        "state": duty.state,
        "active": duty.active,
        "conditions": [condition_text(c.compiled, lang) for c in duty.constraints if c.compiled is not None],
        "constraints": [_constraint_json(c, lang) for c in duty.constraints],
        "text": duty_text(duty, lang),
    }


def decision_json(decision: Decision, lang: str = "fr") -> dict[str, Any]:
    rules = []
    for r in decision.rules:
        rules.append({
            "kind": r.rule.kind.value,
            "uid": r.rule.uid,
            "action": short(r.rule.action.iri) if r.rule.action else None,
            "target": r.rule.target.iri if r.rule.target else None,
            "applies": r.matched,
            "active": r.active,
            "mismatch": _mismatch_text(r, lang) if r.mismatch else None,
            "constraints": [_constraint_json(c, lang) for c in r.constraints],
            "duties": [duty_json(d, lang) for d in r.duties],
        })
    return {
        "decision": decision.outcome,
        "permitted": decision.permitted,
        "reason": decision.reason,
        "policy": decision.policy_uid,
        "explanation": explain_decision(decision, lang),
        "duties": [duty_json(d, lang) for d in decision.duties],
        "rules": rules,
    }
