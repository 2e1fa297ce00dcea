"""The use-case readiness report: for a use case and a territory (or bbox), géo-concept by géo-concept — every one
of the use case, in registry order, grouped by role (calcul, then contextualisation) — whether it is offered there,
by whom, how many datasets, the best sheet completeness, the licences and access rights, and, when a purpose is
given, whether the consumer (its verified claims, or an unknown participant) can obtain it; with totals: coverage of
the calcul géo-concepts against the contextualisation ones (counts and percentages), offered and obtainable.

`readiness_report` builds the JSON; `render_readiness` renders it as an HTML page (Jinja2 template shipped in the
package, French by default, English with `lang="en"`; table captions and header scopes; print-friendly): a page of
the catalogue site when given the site's frame (`chrome`, `catalog.web.Chrome`), else a self-contained page (style
inlined, no external asset)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment

from catalog.geoconcepts import ROLES, GeoConcept
from catalog.web import Chrome, environment, translator
from policies.purposes import PURPOSES
from policies.requester import Requester

from .connectors import iso, utcnow
from .eligibility import Declaration, caller_view
from .errors import QueryError
from .index import FederatedIndex
from .plans import Candidate, gather, geoconcept_view, provider_view, role_label, territory_view
from .query import DatasetQuery
from .views import labelled

REPORT_TYPE = "ReadinessReport"


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _distinct(items: Sequence[dict[str, Any] | None]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for item in items:
        if item is not None:
            seen.setdefault(item["value"], item)
    return list(seen.values())


def _row(concept: GeoConcept, candidates: list[Candidate], index: FederatedIndex, evaluated: bool) -> dict[str, Any]:
    registry = index.registry
    providers: dict[str, dict[str, Any]] = {}
    for candidate in candidates:
        view = provider_view(candidate.record)
        providers.setdefault(view["did"], {key: view[key] for key in ("did", "name", "category", "stale")})
    completeness = [c.record.values.get("completeness") for c in candidates]
    completeness = [value for value in completeness if value is not None]
    row: dict[str, Any] = {
        "geoconcept": geoconcept_view(concept, registry),
        "offered": bool(candidates),
        "datasets": len(candidates),
        "providers": list(providers.values()),
        "best_completeness": round(max(completeness), 3) if completeness else None,
        "licences": _distinct([labelled("licence", c.record.values.get("licence"), registry) for c in candidates]),
        "access_rights": _distinct([labelled("access", c.record.values.get("access_rights"), registry)
                                    for c in candidates]),
        "typical": {"provider": concept.typical_provider or None, "licence": concept.typical_licence or None,
                    "access": concept.typical_access or None},
        "obtainable": None, "obtainable_datasets": None, "decision": None, "best": None,
    }
    if candidates:
        best = candidates[0]  # ranked: obtainable first, then by score
        row["best"] = {"dataset": {"id": best.record.dataset_id, "record": best.record.record_id,
                                   "title": best.record.values.get("title")},
                       "provider": provider_view(best.record), "score": best.score}
    if evaluated:
        obtainable = [c for c in candidates if c.obtainable]
        row["obtainable"] = bool(obtainable)
        row["obtainable_datasets"] = len(obtainable)
        if candidates:
            best = candidates[0]
            row["decision"] = best.decision
            decision = best.best
            if decision is not None:
                row["best"]["decision"] = best.decision
                row["best"]["explanation"] = decision.explanation
                row["best"]["duties"] = decision.duties if best.obtainable else []
    return row


def _totals(rows: Sequence[dict[str, Any]], evaluated: bool) -> dict[str, Any]:
    total = len(rows)
    offered = sum(1 for row in rows if row["offered"])
    out: dict[str, Any] = {"geoconcepts": total, "offered": offered, "offered_pct": _percent(offered, total),
                           "obtainable": None, "obtainable_pct": None}
    if evaluated:
        obtainable = sum(1 for row in rows if row["obtainable"])
        out.update(obtainable=obtainable, obtainable_pct=_percent(obtainable, total))
    return out


def readiness_report(index: FederatedIndex, query: DatasetQuery, *, declaration: Declaration | None = None,
                     requester: Requester | None = None, catalogue: str | None = None,
                     now: datetime | None = None) -> dict[str, Any]:
    """The report for `query`'s use case and territory or bbox; with a `declaration` (purpose, territory), whether
    `requester` (None: an unknown participant) can obtain each géo-concept."""
    if not query.use_case:
        raise QueryError("usecase", "required", "cas d'usage obligatoire", "a use case is required")
    registry = index.registry
    now = now or utcnow()
    evaluated = declaration is not None
    gathered = gather(index, query, requester=requester, declaration=declaration, now=now)
    rows = {cid: _row(registry.concepts[cid], candidates, index, evaluated) for cid, candidates in gathered.items()}
    groups = []
    for role in ROLES:
        role_rows = [row for row in rows.values() if row["geoconcept"]["role"] == role]
        groups.append({"role": role, "label": role_label(role), "geoconcepts": role_rows,
                       "totals": _totals(role_rows, evaluated)})
    use_case = registry.use_cases()[query.use_case]
    return {
        "type": REPORT_TYPE, "created": iso(now), "catalogue": catalogue,
        "usecase": query.use_case, "usecase_label": {"fr": use_case.label_fr, "en": use_case.label_en},
        "territory": territory_view(query),
        "bbox": list(query.bbox) if query.bbox and not query.territory else None,
        "purpose": declaration.purpose if declaration is not None else None,
        "declared": declaration.to_json() if declaration is not None else None,
        "caller": caller_view(requester) if evaluated else None,
        "groups": groups,
        "totals": {**{group["role"]: group["totals"] for group in groups},
                   "all": _totals(list(rows.values()), evaluated)},
    }


# -- HTML ------------------------------------------------------------------------------------------------------------

#: The page's words: key -> (French, English).
_WORDS: dict[str, tuple[str, str]] = {
    "title": ("Préparation du cas d'usage", "Use-case readiness"),
    "territory": ("Territoire", "Territory"),
    "bbox": ("Emprise", "Bounding box"),
    "purpose": ("Finalité", "Purpose"),
    "consumer": ("Consommateur", "Consumer"),
    "anonymous": ("participant inconnu (aucun jeton)", "unknown participant (no token)"),
    "everywhere": ("tout l'espace de données", "the whole data space"),
    "created": ("Établi le", "Made on"),
    "summary": ("Couverture par rôle", "Coverage by role"),
    "role": ("Rôle", "Role"),
    "geoconcepts": ("Géo-concepts", "Géo-concepts"),
    "offered": ("Offerts", "Offered"),
    "obtainable": ("Obtenables", "Obtainable"),
    "geoconcept": ("Géo-concept", "Géo-concept"),
    "is_offered": ("Offert", "Offered"),
    "providers": ("Fournisseurs", "Providers"),
    "datasets": ("Jeux de données", "Datasets"),
    "completeness": ("Meilleure complétude", "Best completeness"),
    "licences": ("Licences", "Licences"),
    "access": ("Droits d'accès", "Access rights"),
    "is_obtainable": ("Obtenable", "Obtainable"),
    "yes": ("oui", "yes"),
    "no": ("non", "no"),
    "all": ("Tous", "All"),
    "group_caption": ("Géo-concepts de rôle {role} : offre et accès",
                      "Géo-concepts of role {role}: offer and access"),
    "summary_caption": ("Géo-concepts offerts et obtenables, par rôle",
                        "Géo-concepts offered and obtainable, by role"),
    "typical": ("fournisseur type :", "typical provider:"),
    "form": ("Paramètres", "Parameters"),
    "usecase": ("Cas d'usage", "Use case"),
    "submit": ("Afficher", "Show"),
    "json": ("Version JSON", "JSON version"),
    "not_evaluated": ("Indiquez une finalité pour savoir ce qui est obtenable.",
                      "Give a purpose to learn what is obtainable."),
    "error": ("Paramètre invalide", "Invalid parameter"),
    "best": ("Meilleur jeu", "Best dataset"),
    "stale": ("collecte en échec", "crawl failing"),
    "language": ("English", "Français"),
    "formats": ("Autres formats", "Other formats"),
    "no_purpose": ("— aucune —", "— none —"),
}
TEXTS = {lang: {key: pair[i] for key, pair in _WORDS.items()} for i, lang in enumerate(("fr", "en"))}
DECISION_TEXTS = {
    "fr": {"obtainable": "obtenable", "obtainable-with-duties": "obtenable avec devoirs",
           "not-obtainable": "non obtenable"},
    "en": {"obtainable": "obtainable", "obtainable-with-duties": "obtainable with duties",
           "not-obtainable": "not obtainable"},
}


def _number(lang: str) -> Any:
    def number(value: float | None, digits: int = 1, unit: str = "") -> str:
        if value is None:
            return "—"
        text = f"{value:.{digits}f}"
        return (text.replace(".", ",") if lang == "fr" else text) + unit

    return number


@cache
def _environment() -> Environment:
    return environment(("catalog.federated", "templates"))


def render_readiness(report: Mapping[str, Any] | None, *, lang: str = "fr", params: Mapping[str, str] | None = None,
                     use_cases: Mapping[str, Mapping[str, str]] | None = None, error: QueryError | None = None,
                     json_url: str | None = None, switch_url: str | None = None,
                     form_action: str = "/reports/readiness", chrome: Chrome | None = None) -> str:
    """The report as an HTML page in `lang` (fr or en); with `error`, the page says which parameter is wrong. With
    `chrome`, the page takes the site's frame (navigation, language switch, who is signed in)."""
    lang = "en" if lang == "en" else "fr"
    return _environment().get_template("readiness.html").render(
        report=report, lang=lang, t=TEXTS[lang], tr=translator(lang), num=_number(lang),
        decisions=DECISION_TEXTS[lang], params=dict(params or {}), chrome=chrome,
        purposes=[(p.name, p.label(lang)) for p in PURPOSES.values()],
        use_cases=dict(use_cases or {}), error=error.message(lang) if error is not None else None,
        json_url=json_url, switch_url=switch_url, form_action=form_action)


__all__ = ["REPORT_TYPE", "readiness_report", "render_readiness"]
