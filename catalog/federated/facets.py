"""The criteria the federated catalogue filters and counts on (facets), one table for the index, the query parser
and the API: each facet's query parameter, criterion (C1–C10), labels, whether it is single-valued (a column of
the datasets table) or multi-valued (rows of the facet table), how a value typed in a query is read into the
stored value (short codes accepted: `licence=etalab-2.0`, `access=PUBLIC`, `crs=2154`, `geoconcept=GC039`), and
how a stored value is labelled in French and English.

Values are stored as the sheet gives them (IRIs of the controlled vocabularies), so any producer's value can be
filtered on by its IRI even when no short code exists for it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from catalog.geoconcepts import ROLE_NS, ROLES, Registry, fold
from catalog.label_lookup import INSPIRE_THEME_LABELS, crs_iri
from catalog.vocabularies import (
    ACCESS_RIGHT,
    CRS84,
    DATA_THEME,
    DEGREE_OF_CONFORMITY,
    EPSG,
    ETALAB_EQUIVALENTS,
    EU,
    EU_DATA_THEMES,
    FILE_TYPE,
    FREQUENCIES,
    FREQUENCY,
    INSPIRE_THEME,
    JNT_ORIGIN,
    LICENCES,
    ORIGINS,
)
from policies.territories import Territory, find_territory

from .errors import QueryError

DATASET_TYPE = EU + "dataset-type/"
Label = dict[str, str]

ROLE_LABELS = {"calcul": ("calcul", "computation"), "contextualisation": ("contextualisation", "context")}
CATEGORY_LABELS = {"public": ("organisme public", "public body"), "private": ("entreprise privée", "private company")}
ACCESS_LABELS = {"PUBLIC": ("public", "public"), "RESTRICTED": ("restreint", "restricted"),
                 "NON_PUBLIC": ("non public", "non-public")}
DEGREE_LABELS = {"conformant": ("conforme", "conformant"), "notConformant": ("non conforme", "not conformant"),
                 "notEvaluated": ("non évalué", "not evaluated")}
FREQUENCY_LABELS = {
    "CONT": ("continue", "continuous"), "1MIN": ("chaque minute", "every minute"),
    "5MIN": ("toutes les 5 minutes", "every five minutes"), "10MIN": ("toutes les 10 minutes", "every ten minutes"),
    "15MIN": ("tous les quarts d'heure", "every fifteen minutes"),
    "30MIN": ("toutes les demi-heures", "every thirty minutes"), "HOURLY": ("horaire", "hourly"),
    "DAILY": ("quotidienne", "daily"), "WEEKLY": ("hebdomadaire", "weekly"),
    "BIWEEKLY": ("tous les quinze jours", "biweekly"), "MONTHLY": ("mensuelle", "monthly"),
    "MONTHLY_2": ("deux fois par mois", "semimonthly"), "QUARTERLY": ("trimestrielle", "quarterly"),
    "ANNUAL": ("annuelle", "annual"), "ANNUAL_2": ("semestrielle", "semiannual"),
    "BIENNIAL": ("tous les deux ans", "biennial"), "IRREG": ("irrégulière", "irregular"),
    "AS_NEEDED": ("au besoin", "as needed"), "NOT_PLANNED": ("non planifiée", "not planned"),
    "UNKNOWN": ("inconnue", "unknown"), "OTHER": ("autre", "other"),
}
COMPLETE_LABELS = {True: ("fiche complète", "complete sheet"), False: ("fiche incomplète", "incomplete sheet")}
_SHORT_LICENCES = {iri: short for short, iri in LICENCES.items()}
_INSEE = re.compile(r"^https?://id\.insee\.fr/geo/(commune|departement|region)/([0-9A-Za-z]+)$")
_TRUE = ("true", "1", "oui", "yes", "vrai")
_FALSE = ("false", "0", "non", "no", "faux")


def _pair(fr: str, en: str | None = None) -> Label:
    return {"fr": fr, "en": en if en is not None else fr}


def _tail(iri: str) -> str:
    return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1] or iri


def _is_iri(value: str) -> bool:
    return value.startswith(("http://", "https://", "urn:", "did:"))


def _unknown(name: str, value: str, accepted_fr: str, accepted_en: str) -> QueryError:
    return QueryError(name, "unknown-value", f"valeur « {value} » inconnue ; attendu : {accepted_fr}",
                      f"unknown value '{value}'; expected: {accepted_en}", value)


def territory_of(unit: str) -> Territory | None:
    """The bundled territory an administrative unit names: a territory IRI or code, or an INSEE geography IRI
    (http://id.insee.fr/geo/commune/44109)."""
    territory = find_territory(unit)
    if territory is None:
        match = _INSEE.match(unit)
        if match:
            territory = find_territory(f"{match.group(1)}:{match.group(2)}")
    return territory


def canonical_licence(iri: str) -> str:
    """One IRI per licence: the Etalab 2.0 variants become the SPDX IRI the sheets use."""
    return LICENCES["etalab-2.0"] if iri in ETALAB_EQUIVALENTS else iri


# --- readers: query value -> stored value -------------------------------------------------------------------------


def _read_geoconcept(value: str, registry: Registry) -> str:
    concept = registry.get(value)
    if concept is not None:
        return concept.iri(registry.base_iri)
    if _is_iri(value):
        return value
    raise _unknown("geoconcept", value, "un identifiant du registre (ex. GC039) ou une IRI",
                   "a registry id (e.g. GC039) or an IRI")


def _read_role(value: str, registry: Registry) -> str:
    if value.startswith(ROLE_NS) or fold(value) in ROLES:
        return value if value.startswith(ROLE_NS) else ROLE_NS + fold(value)
    raise _unknown("role", value, "calcul ou contextualisation", "calcul or contextualisation")


def _read_theme(value: str, registry: Registry) -> str:
    if _is_iri(value):
        return value
    if value.lower() in INSPIRE_THEME_LABELS:
        return INSPIRE_THEME + value.lower()
    if value.upper() in EU_DATA_THEMES:
        return DATA_THEME + value.upper()
    raise _unknown("theme", value, "un code de thème INSPIRE (nz, hy…), un thème EU (ENVI…) ou une IRI",
                   "an INSPIRE theme code (nz, hy…), an EU data theme (ENVI…) or an IRI")


def _read_type(value: str, registry: Registry) -> str:
    return value if _is_iri(value) else DATASET_TYPE + value.upper()


def _read_provider(value: str, registry: Registry) -> str:
    if value.startswith("did:"):
        return value
    raise _unknown("provider", value, "le DID du fournisseur (did:web:…)", "the provider's DID (did:web:…)")


def _read_category(value: str, registry: Registry) -> str:
    if value.lower() in CATEGORY_LABELS:
        return value.lower()
    raise _unknown("category", value, "public ou private", "public or private")


def _read_frequency(value: str, registry: Registry) -> str:
    if _is_iri(value):
        return value
    if value.upper() in FREQUENCIES:
        return FREQUENCY + value.upper()
    raise _unknown("frequency", value, "un code de fréquence EU (ANNUAL, DAILY…) ou une IRI",
                   "an EU frequency code (ANNUAL, DAILY…) or an IRI")


def _read_origin(value: str, registry: Registry) -> str:
    if _is_iri(value):
        return value
    if value.lower() in ORIGINS:
        return JNT_ORIGIN + value.lower()
    raise _unknown("origin", value, ", ".join(ORIGINS) + " ou une IRI", ", ".join(ORIGINS) + " or an IRI")


def _read_licence(value: str, registry: Registry) -> str:
    if _is_iri(value):
        return canonical_licence(value)
    if value.lower() in LICENCES:
        return LICENCES[value.lower()]
    raise _unknown("licence", value, ", ".join(LICENCES) + " ou une IRI de licence",
                   ", ".join(LICENCES) + " or a licence IRI")


def _read_crs(value: str, registry: Registry) -> str:
    iri = crs_iri(value)
    if iri is not None:
        return iri
    if _is_iri(value):
        return value
    raise _unknown("crs", value, "un code EPSG (2154, EPSG:2154), CRS84 ou une IRI",
                   "an EPSG code (2154, EPSG:2154), CRS84 or an IRI")


def _read_access(value: str, registry: Registry) -> str:
    if _is_iri(value):
        return value
    code = value.upper().replace("-", "_")
    if code in ACCESS_LABELS:
        return ACCESS_RIGHT + code
    raise _unknown("access", value, "PUBLIC, RESTRICTED ou NON_PUBLIC", "PUBLIC, RESTRICTED or NON_PUBLIC")


def _read_format(value: str, registry: Registry) -> str:
    return value if _is_iri(value) else FILE_TYPE + value.upper()


def _read_as_is(value: str, registry: Registry) -> str:
    return value


def _read_positive(name: str, integer: bool) -> Callable[[str, Registry], Any]:
    def read(value: str, registry: Registry) -> float | int:
        try:
            number = int(value) if integer else float(value)
        except ValueError:
            kind_fr, kind_en = ("un entier", "an integer") if integer else ("un nombre", "a number")
            raise QueryError(name, "number", f"« {value} » n'est pas {kind_fr}", f"'{value}' is not {kind_en}",
                             value) from None
        if not 0 < number < float("inf"):
            raise QueryError(name, "range", f"vaut {value}, doit être strictement positif",
                             f"is {value}, must be greater than 0", value)
        return number

    return read


def _read_conformity(value: str, registry: Registry) -> str:
    if _is_iri(value):
        return value
    for degree in DEGREE_LABELS:
        if degree.lower() == value.lower().replace("-", "").replace("_", ""):
            return DEGREE_OF_CONFORMITY + degree
    raise _unknown("conformity", value, "conformant, notConformant ou notEvaluated",
                   "conformant, notConformant or notEvaluated")


def _read_boolean(name: str) -> Callable[[str, Registry], bool]:
    def read(value: str, registry: Registry) -> bool:
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise QueryError(name, "boolean", f"« {value} » : attendu true ou false", f"'{value}': expected true or false",
                         value)

    return read


# --- labels: stored value -> {"fr", "en"} -------------------------------------------------------------------------


def _label_geoconcept(value: str, registry: Registry) -> Label:
    concept = registry.get(value)
    return _pair(f"{concept.label_fr} ({concept.id})") if concept else _pair(_tail(value))


def _label_role(value: str, registry: Registry) -> Label:
    return _pair(*ROLE_LABELS.get(value.removeprefix(ROLE_NS), (_tail(value), _tail(value))))


def _label_theme(value: str, registry: Registry) -> Label:
    if value.startswith(INSPIRE_THEME):
        code = value[len(INSPIRE_THEME):].strip("/")
        return _pair(*INSPIRE_THEME_LABELS.get(code, (code, code)))
    return _pair(_tail(value))


def _label_category(value: str, registry: Registry) -> Label:
    return _pair(*CATEGORY_LABELS.get(value, (value, value)))


def _label_frequency(value: str, registry: Registry) -> Label:
    code = value.removeprefix(FREQUENCY)
    return _pair(*FREQUENCY_LABELS.get(code, (_tail(value), _tail(value))))


def _label_origin(value: str, registry: Registry) -> Label:
    return _pair(*ORIGINS.get(value.removeprefix(JNT_ORIGIN), (_tail(value), _tail(value))))


def _label_licence(value: str, registry: Registry) -> Label:
    short = _SHORT_LICENCES.get(value)
    if short == "etalab-2.0":
        return _pair("Licence Ouverte 2.0 (Etalab)", "Open Licence 2.0 (Etalab)")
    return _pair(short or _tail(value))


def _label_crs(value: str, registry: Registry) -> Label:
    if value.startswith(EPSG):
        return _pair("EPSG:" + value[len(EPSG):])
    return _pair("CRS84") if value == CRS84 else _pair(_tail(value))


def _label_admin_unit(value: str, registry: Registry) -> Label:
    territory = territory_of(value)
    return _pair(territory.label()) if territory else _pair(_tail(value))


def _label_access(value: str, registry: Registry) -> Label:
    code = value.removeprefix(ACCESS_RIGHT)
    return _pair(*ACCESS_LABELS.get(code, (_tail(value), _tail(value))))


def _label_conformity(value: str, registry: Registry) -> Label:
    return _pair(*DEGREE_LABELS.get(value.removeprefix(DEGREE_OF_CONFORMITY), (_tail(value), _tail(value))))


def _label_tail(value: str, registry: Registry) -> Label:
    return _pair(_tail(value) if _is_iri(value) else value)


def _label_resolution(value: Any, registry: Registry) -> Label:
    return _pair(f"{float(value):g} m")


def _label_scale(value: Any, registry: Registry) -> Label:
    text = f"{int(value):,}".replace(",", "\u202f")
    return _pair(f"1:{text}")


def _label_complete(value: Any, registry: Registry) -> Label:
    return _pair(*COMPLETE_LABELS[bool(value)])


# --- the table ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facet:
    """One criterion as a filter and a count. A single-valued facet is the column `column` of the datasets table;
    a multi-valued one lives in the facet table (and, for counting, in the column `m_<name>`, values separated by
    newlines)."""

    name: str
    criterion: str
    label_fr: str
    label_en: str
    read_value: Callable[[str, Registry], Any]
    label_value: Callable[[Any, Registry], Label]
    column: str | None = None
    boolean: bool = False

    @property
    def multi(self) -> bool:
        return self.column is None

    @property
    def count_column(self) -> str:
        return self.column or f"m_{self.name}"

    def read(self, value: str, registry: Registry) -> Any:
        """The stored value a query value stands for; raises `QueryError` naming this facet."""
        value = value.strip()
        if not value:
            raise QueryError(self.name, "empty", "valeur vide", "empty value", value)
        return self.read_value(value, registry)

    def label(self, value: Any, registry: Registry) -> Label:
        return self.label_value(value, registry)

    def key(self, value: Any) -> str:
        """A stored value as the string the API shows (and accepts back)."""
        if self.boolean or isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "criterion": self.criterion, "label": _pair(self.label_fr, self.label_en),
                "multi": self.multi}


FACETS: tuple[Facet, ...] = (
    Facet("geoconcept", "C1", "Géo-concept", "Géo-concept", _read_geoconcept, _label_geoconcept, "geoconcept"),
    Facet("role", "C1", "Rôle", "Role", _read_role, _label_role, "role"),
    Facet("theme", "C1", "Thème", "Theme", _read_theme, _label_theme),
    Facet("type", "C1", "Type de données", "Dataset type", _read_type, _label_tail, "dataset_type"),
    Facet("provider", "C2", "Fournisseur", "Provider", _read_provider, _label_tail, "connector_did"),
    Facet("category", "C2", "Catégorie du fournisseur", "Provider category", _read_category, _label_category,
          "category"),
    Facet("frequency", "C3", "Fréquence de mise à jour", "Update frequency", _read_frequency, _label_frequency,
          "frequency"),
    Facet("origin", "C4", "Mode d'obtention", "Acquisition mode", _read_origin, _label_origin, "origin"),
    Facet("licence", "C5", "Licence", "Licence", _read_licence, _label_licence, "licence"),
    Facet("crs", "C6", "Système de référence", "Reference system", _read_crs, _label_crs),
    Facet("admin_unit", "C6", "Unité administrative", "Administrative unit", _read_as_is, _label_admin_unit),
    Facet("access", "C7", "Droit d'accès", "Access rights", _read_access, _label_access, "access_rights"),
    Facet("format", "C7", "Format de fichier", "File format", _read_format, _label_tail),
    Facet("transfer", "C7", "Format de transfert", "Transfer format", _read_as_is, _label_tail),
    Facet("resolution", "C8", "Résolution", "Resolution", _read_positive("resolution", False), _label_resolution,
          "resolution_m"),
    Facet("scale", "C8", "Échelle", "Scale", _read_positive("scale", True), _label_scale, "scale_denominator"),
    Facet("conformity", "C9", "Conformité", "Conformity", _read_conformity, _label_conformity),
    Facet("standard", "C10", "Standard de données", "Data standard", _read_as_is, _label_tail),
    Facet("complete", "", "Complétude (champs obligatoires)", "Completeness (mandatory fields)",
          _read_boolean("complete"), _label_complete, "mandatory_complete", boolean=True),
)
FACETS_BY_NAME: dict[str, Facet] = {facet.name: facet for facet in FACETS}
MULTI_FACETS: tuple[Facet, ...] = tuple(f for f in FACETS if f.multi)
SINGLE_FACETS: tuple[Facet, ...] = tuple(f for f in FACETS if not f.multi)
