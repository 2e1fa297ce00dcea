"""Policy templates from two criteria of a dataset's sheet: C5 (licence) and C7 (access mode). Open licences with
public access give open offers (Etalab Licence Ouverte 2.0 and CC-BY 4.0: use, with a duty to attribute; ODbL:
attribute, and share alike on derived databases; CC0: use). Restricted and non-public access give a "restricted"
offer whose parameters say who (recipient categories, named recipients), why (purposes), when (a validity window or a
duration from the agreement), how often (a maximum count), where (territories), with a prohibition to distribute
and a duty to delete at the end. Every template is a valid DSP 2025-1 Offer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from .errors import PolicyError, problem
from .model import IRI, Action, Asset, Constraint, Literal, LogicalConstraint, Party, Policy, Rule, RuleKind
from .profile import CATEGORIES, LEFT_OPERANDS
from .purposes import UnknownPurpose, purpose_iri
from .values import ValueFormatError, display, parse_duration
from .vocab import CC, JNT, JNT_PROFILE, ODRL, XSD

ACCESS_RIGHT_NS = "http://publications.europa.eu/resource/authority/access-right/"
# Licence IRIs as the characterisation sheet records them (CRITERIA.md C5): SPDX for Etalab, which the EU licence
# table lacks, the EU licence authority table for the others — one IRI per licence across the data space.
EU_LICENCE = "http://publications.europa.eu/resource/authority/licence/"
ACCESS_RIGHTS = {
    "public": ACCESS_RIGHT_NS + "PUBLIC",
    "restricted": ACCESS_RIGHT_NS + "RESTRICTED",
    "non-public": ACCESS_RIGHT_NS + "NON_PUBLIC",
}


@dataclass(frozen=True)
class Licence:
    key: str
    iri: str
    label_fr: str
    label_en: str
    open: bool
    attribution: bool
    share_alike: bool = False


LICENCES: dict[str, Licence] = {
    lic.key: lic
    for lic in (
        Licence("etalab-2.0", "https://spdx.org/licenses/etalab-2.0.html", "Licence Ouverte Etalab 2.0",
                "Etalab Open Licence 2.0", True, True),
        Licence("odbl-1.0", EU_LICENCE + "ODC_BL", "Open Database License (ODbL) 1.0",
                "Open Database License (ODbL) 1.0", True, True, True),
        Licence("cc-by-4.0", EU_LICENCE + "CC_BY_4_0", "Creative Commons Attribution 4.0",
                "Creative Commons Attribution 4.0", True, True),
        Licence("cc0-1.0", EU_LICENCE + "CC0", "Creative Commons Zero 1.0 (domaine public)",
                "Creative Commons Zero 1.0 (public domain)", True, False),
        Licence("restricted", JNT + "licence/restricted", "licence restreinte (conditions du fournisseur)",
                "restricted licence (provider's terms)", False, False),
    )
}
_LICENCE_ALIASES = {
    "etalab": "etalab-2.0", "lo-2.0": "etalab-2.0", "licence-ouverte": "etalab-2.0", "odbl": "odbl-1.0",
    "cc-by": "cc-by-4.0", "cc0": "cc0-1.0", "proprietary": "restricted", "proprietaire": "restricted",
}


@dataclass
class Restrictions:
    """Parameters of the restricted template. Every field left empty adds no constraint."""

    categories: list[str] = field(default_factory=list)  # public | private
    recipients: list[str] = field(default_factory=list)  # named organisations (DIDs)
    purposes: list[str] = field(default_factory=list)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    duration: str | None = None  # xsd:duration from the agreement, e.g. P1Y
    max_count: int | None = None
    territories: list[str] = field(default_factory=list)  # INSEE codes or territory IRIs
    actions: list[str] = field(default_factory=lambda: ["use"])
    no_distribute: bool = False
    delete_at_end: bool = False

    def is_empty(self) -> bool:
        return not (self.categories or self.recipients or self.purposes or self.valid_from or self.valid_until
                    or self.duration or self.max_count is not None or self.territories or self.no_distribute
                    or self.delete_at_end or self.actions != ["use"])


def licence(key: str) -> Licence:
    norm = key.strip().lower()
    norm = _LICENCE_ALIASES.get(norm, norm)
    for lic in LICENCES.values():
        if norm == lic.key or key.strip() in (lic.iri, lic.iri.removesuffix(".html")):
            return lic
    raise PolicyError(problem("licence", "unknown-licence",
                              f"licence inconnue « {key} » : {', '.join(LICENCES)}",
                              f"unknown licence '{key}': {', '.join(LICENCES)}"))


def access_right(key: str) -> str:
    norm = key.strip().lower().replace("_", "-")
    if norm in ACCESS_RIGHTS:
        return norm
    for name, iri in ACCESS_RIGHTS.items():
        if key.strip() == iri:
            return name
    raise PolicyError(problem("access", "unknown-access-right",
                              f"modalité d'accès inconnue « {key} » : public, restricted, non-public",
                              f"unknown access right '{key}': public, restricted, non-public"))


def _c(operand: str, operator: str, *values) -> Constraint:
    return Constraint(operand, ODRL + operator, tuple(values))


def _action(name: str) -> Action:
    if ":" in name:
        from .vocab import expand_curie

        return Action(expand_curie(name))
    return Action(ODRL + name)


def offer_template(licence_key: str, access: str, restrictions: Restrictions | None = None, *,
                   uid: str | None = None, assigner: str | None = None, target: str | None = None) -> Policy:
    """An ODRL Offer for a dataset from its licence (C5) and access mode (C7)."""
    lic = licence(licence_key)
    mode = access_right(access)
    restrictions = restrictions or Restrictions()
    problems = []
    if mode == "public" and not lic.open:
        problems.append(problem("licence", "licence-access-mismatch",
                                "une licence restreinte exige un accès restreint ou non public",
                                "a restricted licence needs restricted or non-public access"))
    if mode == "public" and not restrictions.is_empty():
        problems.append(problem("access", "public-with-restrictions",
                                "un accès public n'a pas de restriction : choisissez l'accès restreint",
                                "public access carries no restriction: choose restricted access"))
    if mode == "restricted" and restrictions.is_empty():
        problems.append(problem("access", "restricted-without-restriction",
                                "un accès restreint demande au moins une restriction (catégorie, finalité, durée, "
                                "nombre, territoire, destinataires…)",
                                "restricted access needs at least one restriction (category, purpose, period, "
                                "count, territory, recipients…)"))
    if mode == "non-public" and not restrictions.recipients:
        problems.append(problem("recipients", "non-public-without-recipients",
                                "un accès non public nomme ses destinataires (au moins un DID)",
                                "non-public access names its recipients (at least one DID)"))
    if problems:
        raise PolicyError(problems)

    constraints, extra_problems = _restriction_constraints(restrictions)
    if extra_problems:
        raise PolicyError(extra_problems)
    duties: list[Rule] = []
    if lic.attribution:
        duties.append(Rule(RuleKind.DUTY, actions=(Action(ODRL + "attribute"),)))
    if restrictions.delete_at_end:
        if restrictions.valid_until:
            when = _c(ODRL + "dateTime", "gteq", Literal(display(restrictions.valid_until), XSD + "dateTime"))
        elif restrictions.duration:
            when = _c(ODRL + "elapsedTime", "gteq", Literal(restrictions.duration, XSD + "duration"))
        else:
            raise PolicyError(problem("delete_at_end", "delete-without-end",
                                      "la suppression à la fin demande une date de fin ou une durée",
                                      "deletion at the end needs an end date or a duration"))
        duties.append(Rule(RuleKind.DUTY, actions=(Action(ODRL + "delete"),), constraints=(when,)))

    permissions = [Rule(RuleKind.PERMISSION, actions=(_action(a),), constraints=tuple(constraints), duties=tuple(duties))
                   for a in restrictions.actions]
    if lic.share_alike:
        share = duties + [Rule(RuleKind.DUTY, actions=(Action(CC + "ShareAlike"),))]
        permissions.append(Rule(RuleKind.PERMISSION, actions=(Action(ODRL + "derive"),),
                                constraints=tuple(constraints), duties=tuple(share)))
    prohibitions = []
    if restrictions.no_distribute:
        prohibitions.append(Rule(RuleKind.PROHIBITION, actions=(Action(ODRL + "distribute"),)))
    return Policy(
        uid=uid or f"urn:uuid:{uuid.uuid4()}",
        type="Offer",
        permissions=tuple(permissions),
        prohibitions=tuple(prohibitions),
        targets=(Asset(target),) if target else (),
        assigners=(Party(assigner),) if assigner else (),
        profiles=(JNT_PROFILE,),
        # The permission on `use` also covers `distribute`: the prohibition must win, not void the policy.
        conflict="prohibit" if prohibitions else None,
        metadata={"licence": lic.iri, "accessRights": ACCESS_RIGHTS[mode]},
    )


def _restriction_constraints(r: Restrictions) -> tuple[list, list]:
    constraints: list = []
    problems = []
    if r.categories:
        try:
            cats = [IRI(CATEGORIES[c.strip()]) if c.strip() in CATEGORIES else IRI(LEFT_OPERANDS[JNT + "recipientCategory"].normalise(c)) for c in r.categories]
            constraints.append(_c(JNT + "recipientCategory", "isAnyOf", *cats))
        except ValueError as exc:
            problems.append(problem("categories", "bad-value", str(exc), str(exc)))
    if r.recipients:
        constraints.append(_c(ODRL + "recipient", "isAnyOf", *(IRI(d) for d in r.recipients)))
    if r.purposes:
        try:
            constraints.append(_c(ODRL + "purpose", "isAnyOf", *(IRI(purpose_iri(p)) for p in r.purposes)))
        except UnknownPurpose as exc:
            problems.append(problem("purposes", "unknown-purpose", str(exc), str(exc)))
    window = []
    if r.valid_from:
        window.append(_c(ODRL + "dateTime", "gteq", Literal(display(r.valid_from), XSD + "dateTime")))
    if r.valid_until:
        window.append(_c(ODRL + "dateTime", "lt", Literal(display(r.valid_until), XSD + "dateTime")))
    if r.valid_from and r.valid_until and r.valid_from >= r.valid_until:
        problems.append(problem("valid_until", "empty-window", "la fin de validité précède son début",
                                "the end of validity comes before its start"))
    if len(window) == 2:
        constraints.append(LogicalConstraint(ODRL + "and", tuple(window)))
    else:
        constraints.extend(window)
    if r.duration:
        try:
            parse_duration(r.duration)
            constraints.append(_c(ODRL + "elapsedTime", "lteq", Literal(r.duration, XSD + "duration")))
        except ValueFormatError as exc:
            problems.append(problem("duration", "bad-duration", str(exc), str(exc)))
    if r.max_count is not None:
        if r.max_count < 1:
            problems.append(problem("max_count", "bad-count", "le nombre maximal d'utilisations est au moins 1",
                                    "the maximum number of uses is at least 1"))
        else:
            constraints.append(_c(ODRL + "count", "lteq", Literal(str(r.max_count), XSD + "integer")))
    if r.territories:
        from .territories import TERRITORY_NS, TerritoryError, get_territory

        refs = []
        for ref in r.territories:
            try:
                refs.append(IRI(get_territory(ref).iri))
            except TerritoryError as exc:
                problems.append(problem("territories", "unknown-territory", str(exc), str(exc)))
        if refs:
            assert all(i.value.startswith(TERRITORY_NS) for i in refs)
            constraints.append(_c(ODRL + "spatial", "isPartOf", *refs))
    return constraints, problems


def describe_policy(policy: Policy, lang: str = "fr") -> list[str]:
    """The offer in plain words, one line per rule: what is permitted or prohibited, on which conditions, with
    which duties."""
    from .engine import _compile_constraint
    from .explain import action_words, condition_text

    fr = lang == "fr"
    lines = []
    for rule in policy.permissions + policy.prohibitions + policy.obligations:
        verb = {"permission": ("Permis", "Permitted"), "prohibition": ("Interdit", "Prohibited"),
                "obligation": ("Obligation", "Obligation")}[rule.kind.value][0 if fr else 1]
        actions = ", ".join(action_words(a.iri, lang) for a in rule.actions) or action_words(None, lang)
        text = f"{verb} : {actions}" if fr else f"{verb}: {actions}"
        conditions = [condition_text(_compile_constraint(c), lang) for c in rule.constraints]
        if conditions:
            text += (" — si " + " et ".join(conditions)) if fr else (" — if " + " and ".join(conditions))
        duties = []
        for duty in rule.duties:
            words = action_words(duty.action.iri if duty.action else None, lang)
            when = [condition_text(_compile_constraint(c), lang) for c in duty.constraints]
            duties.append(words + ((" (quand " if fr else " (when ") + " et ".join(when) + ")" if when else ""))
        if duties:
            text += ("; devoirs : " if fr else "; duties: ") + ", ".join(duties)
        lines.append(text)
    return lines
