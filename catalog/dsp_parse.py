"""Reading a DSP 2025-1 `Catalog` (or a lone `Dataset`) back, for the federated catalogue's crawler: the
participant, the DSP service endpoint, and per dataset every value the index needs (see `catalog.dsp_render` for
the mapping), its offers and its distributions.

Two paths give the same result. The fast path reads the keys directly: it is taken when the document is in the
canonical compact form, i.e. its `@context` is the DSP context (alone, or with the DSP ODRL profile), no node
carries its own `@context`, and no key or type uses another spelling of a term we read (`dcat:dataset`,
`http://purl.org/dc/terms/title`…). Anything else (expanded or flattened JSON-LD, other spellings) goes through
pyld once: framed against a Catalog (or Dataset) frame and compacted with the DSP context, offline (contexts from
`policies.jsonld`), which turns it into the canonical form the fast path then reads. Single values and one-item
arrays are read alike, so the shapes a JSON-LD processor produces are all accepted.

Offers are kept as their JSON (`ParsedOffer.raw`) and parsed into `policies.Policy` only when asked for
(`ParsedOffer.policy`, ~0.6 ms each), with the enclosing dataset as target. Problems name their place
(`dataset[3].dct:modified`); `strict=False` keeps the readable datasets and lists the others' problems."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pyld import jsonld

from policies import jsonld as jld
from policies.errors import Problem, problem
from policies.model import Policy
from policies.parse import parse_policy

from . import dsp_terms as t
from .vocabularies import CRS84, DATA_THEME, EPSG, INSPIRE_THEME, PUBLIC_PUBLISHER_TYPES

_ADMS_PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"
_SHORT = ((t.JNT, "jnt:"), (t.PROV, "prov:"), (t.FOAF, "foaf:"), (t.VCARD, "vcard:"), (t.DQV, "dqv:"),
          (t.GEODCAT, "geodcat:"))


class CatalogParseError(ValueError):
    """A document that is not a readable DSP catalog (or dataset); carries every problem found, each naming the
    place at fault."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("; ".join(p.message("en") for p in self.problems))

    def message(self, lang: str = "fr") -> str:
        return "\n".join(p.message(lang) for p in self.problems)


# --- the parsed model ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedService:
    id: str | None
    endpoint_url: str | None
    endpoint_description: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedAgent:
    name: str | None
    iri: str | None = None
    type: str | None = None  # ADMS publisher type IRI

    @property
    def category(self) -> str | None:
        """`public` for public-authority kinds, `private` for the other ADMS kinds, None when unknown."""
        if not self.type or not self.type.startswith(_ADMS_PUBLISHER_TYPE):
            return None
        return "public" if self.type[len(_ADMS_PUBLISHER_TYPE):] in PUBLIC_PUBLISHER_TYPES else "private"


@dataclass(frozen=True, slots=True)
class ParsedContact:
    name: str | None = None
    email: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedDistribution:
    format: str  # the DSP transfer format, e.g. HttpData-PULL
    access_service: ParsedService | None
    title: str | None = None
    file_type: str | None = None  # EU file-type IRI
    media_type: str | None = None
    byte_size: int | None = None
    conforms_to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedStandard:
    iri: str | None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedConformity:
    specification: str | None
    title: str | None
    degree: str | None


class ParsedOffer:
    """An offer of a dataset: its `@id` and JSON as published; `policy` parses it on first use (target = the
    dataset). Two offers are equal when their JSON is, or else when their parsed policies are."""

    __slots__ = ("id", "raw", "dataset_id", "_policy")

    def __init__(self, id: str, raw: dict[str, Any], dataset_id: str):
        self.id = id
        self.raw = raw
        self.dataset_id = dataset_id
        self._policy: Policy | None = None

    @property
    def policy(self) -> Policy:
        """The offer as a `policies.Policy` (raises `policies.PolicyError` if it does not parse)."""
        if self._policy is None:
            self._policy = parse_policy(self.message_offer())
        return self._policy

    def message_offer(self) -> dict[str, Any]:
        """The offer as a standalone DSP document with its `target`, as a ContractRequestMessage carries it."""
        return {"@context": list(t.CONTEXT), **self.raw, "target": self.dataset_id}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParsedOffer):
            return NotImplemented
        if self.id != other.id or self.dataset_id != other.dataset_id:
            return False
        return self.raw == other.raw or self.policy == other.policy

    def __hash__(self) -> int:
        return hash((self.id, self.dataset_id))

    def __repr__(self) -> str:
        return f"ParsedOffer(id={self.id!r}, dataset_id={self.dataset_id!r})"


@dataclass(frozen=True, slots=True)
class ParsedDataset:
    id: str
    title: str | None = None
    description: str | None = None
    geoconcept: str | None = None
    role: str | None = None
    themes: tuple[str, ...] = ()
    dataset_type: str | None = None
    keywords: tuple[str, ...] = ()
    identifier: str | None = None
    publisher: ParsedAgent | None = None
    contact: ParsedContact | None = None
    accrual_periodicity: str | None = None
    modified: date | datetime | None = None
    issued: date | datetime | None = None
    temporal_start: date | datetime | None = None
    temporal_end: date | datetime | None = None
    temporal_resolution: str | None = None
    version: str | None = None
    acquisition_mode: str | None = None
    licence: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # CRS84 minx, miny, maxx, maxy
    centroid: tuple[float, float] | None = None
    admin_units: tuple[str, ...] = ()
    reference_systems: tuple[str, ...] = ()
    access_rights: str | None = None
    landing_page: str | None = None
    resolution_m: float | None = None
    scale_denominator: int | None = None
    conformity: tuple[ParsedConformity, ...] = ()
    conforms_to: tuple[ParsedStandard, ...] = ()
    completeness: float | None = None
    mandatory_complete: bool | None = None
    missing_mandatory: tuple[str, ...] = ()
    offers: tuple[ParsedOffer, ...] = ()
    distributions: tuple[ParsedDistribution, ...] = ()

    @property
    def inspire_themes(self) -> tuple[str, ...]:
        return tuple(theme for theme in self.themes if theme.startswith(INSPIRE_THEME))

    @property
    def eu_themes(self) -> tuple[str, ...]:
        return tuple(theme for theme in self.themes if theme.startswith(DATA_THEME))

    @property
    def formats(self) -> tuple[str, ...]:
        """The DSP transfer formats offered, in order, without repeats."""
        return tuple(dict.fromkeys(d.format for d in self.distributions))


@dataclass(frozen=True, slots=True)
class ParsedCatalog:
    id: str
    participant_id: str | None
    title: str | None = None
    description: str | None = None
    publisher: ParsedAgent | None = None
    services: tuple[ParsedService, ...] = ()
    datasets: tuple[ParsedDataset, ...] = ()
    catalogs: tuple[ParsedCatalog, ...] = ()  # nested catalogs
    problems: tuple[Problem, ...] = ()  # datasets left out (strict=False only)
    via_jsonld: bool = field(default=False, compare=False)  # True when the document needed JSON-LD processing

    @property
    def endpoint_url(self) -> str | None:
        """The connector's DSP `<base>`: the first service's endpointURL."""
        return next((s.endpoint_url for s in self.services if s.endpoint_url), None)


# --- reading values -----------------------------------------------------------------------------------------------


class _NotCompact(Exception):
    """The document leaves the canonical compact form: read it through JSON-LD processing instead."""


class _Bad(Exception):
    def __init__(self, key: str, en: str, fr: str, code: str = "bad-value"):
        super().__init__(en)
        self.key, self.en, self.fr, self.code = key, en, fr, code


def _non_canonical_type(node: Mapping[str, Any]) -> bool:
    return any(isinstance(x, str) and x in t.NON_CANONICAL_TYPES for x in _items(node.get("@type")))


def _short(key: str) -> str:
    for ns, prefix in _SHORT:
        if key.startswith(ns):
            return prefix + key[len(ns):]
    return key


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _iri_of(value: Any, key: str) -> str:
    if isinstance(value, dict):
        iri = value.get("@id")
        if isinstance(iri, str):
            return t.expand(iri)
    elif isinstance(value, str):  # plain-JSON producers write IRIs as strings
        return t.expand(value)
    raise _Bad(key, f"expected an IRI ({{\"@id\": ...}}), got {json.dumps(value, ensure_ascii=False)[:80]}",
               f"IRI attendue ({{\"@id\": ...}}), reçu {json.dumps(value, ensure_ascii=False)[:80]}")


def _iri(node: Mapping[str, Any], key: str) -> str | None:
    value = _first(node.get(key))
    return None if value is None else _iri_of(value, key)


def _iris(node: Mapping[str, Any], key: str) -> tuple[str, ...]:
    return tuple(_iri_of(v, key) for v in _items(node.get(key)))


def _lexical(value: Any, key: str) -> tuple[str, str | None, str | None]:
    """(lexical form, datatype IRI, language) of a literal."""
    if isinstance(value, str):
        return value, None, None
    if isinstance(value, dict) and "@value" in value:
        raw = value["@value"]
        datatype = value.get("@type")
        language = value.get("@language")
        return (raw if isinstance(raw, str) else json.dumps(raw)), \
            (t.expand(datatype) if isinstance(datatype, str) else None), \
            (language if isinstance(language, str) else None)
    if isinstance(value, bool | int | float):
        return json.dumps(value), None, None
    raise _Bad(key, f"expected a literal, got {json.dumps(value, ensure_ascii=False)[:80]}",
               f"littéral attendu, reçu {json.dumps(value, ensure_ascii=False)[:80]}")


def _text(node: Mapping[str, Any], key: str, lang: str) -> str | None:
    """The value in `lang`, else an untagged one, else the first."""
    values = _items(node.get(key))
    if not values:
        return None
    if len(values) == 1:
        return _lexical(values[0], key)[0]
    literals = [_lexical(v, key) for v in values]
    for wanted in (lang, None):
        for lexical, _, language in literals:
            if language == wanted:
                return lexical
    return literals[0][0]


def _texts(node: Mapping[str, Any], key: str) -> tuple[str, ...]:
    return tuple(_lexical(v, key)[0] for v in _items(node.get(key)))


def _when(node: Mapping[str, Any], key: str) -> date | datetime | None:
    value = _first(node.get(key))
    if value is None:
        return None
    lexical = _lexical(value, key)[0].strip()
    try:
        if "T" in lexical:
            return datetime.fromisoformat(lexical)
        return date.fromisoformat(lexical[:10])
    except ValueError:
        raise _Bad(key, f"'{lexical}' is not an ISO 8601 date or date-time",
                   f"« {lexical} » n'est pas une date ou date-heure ISO 8601") from None


def _number(value: Any, key: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict) and isinstance(value.get("@value"), int | float) \
            and not isinstance(value.get("@value"), bool):
        return float(value["@value"])
    lexical = _lexical(value, key)[0]
    try:
        return float(lexical)
    except ValueError:
        raise _Bad(key, f"'{lexical}' is not a number", f"« {lexical} » n'est pas un nombre") from None


def _optional_number(node: Mapping[str, Any], key: str) -> float | None:
    value = _first(node.get(key))
    return None if value is None else _number(value, key)


def _boolean(node: Mapping[str, Any], key: str) -> bool | None:
    value = _first(node.get(key))
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("@value")
    if isinstance(value, bool):
        return value
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise _Bad(key, f"{value!r} is not a boolean", f"{value!r} n'est pas un booléen")


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_WKT = re.compile(r"^\s*(?:<([^>]*)>\s*)?(POLYGON|MULTIPOLYGON|POINT|ENVELOPE)\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)
_EPSG_4326 = (EPSG + "4326", "http://www.opengis.net/def/crs/EPSG/0/4326")


def _coordinates(text: str, key: str) -> tuple[str, list[tuple[float, float]]]:
    match = _WKT.match(text)
    if not match:
        raise _Bad(key, f"not a WKT POLYGON/POINT: '{text[:60]}'", f"pas un POLYGON/POINT WKT : « {text[:60]} »")
    crs, kind, body = match.groups()
    numbers = [float(n) for n in _NUMBER.findall(body)]
    if kind.upper() == "ENVELOPE":  # CQL / GeoSPARQL ENVELOPE(minx, maxx, maxy, miny)
        if len(numbers) != 4:
            raise _Bad(key, "ENVELOPE needs 4 numbers", "ENVELOPE demande 4 nombres")
        minx, maxx, maxy, miny = numbers
        numbers = [minx, miny, maxx, maxy]
    if not numbers or len(numbers) % 2:
        raise _Bad(key, f"odd or empty coordinate list in '{text[:60]}'",
                   f"liste de coordonnées vide ou impaire dans « {text[:60]} »")
    pairs = list(zip(numbers[::2], numbers[1::2], strict=True))
    if crs and crs in _EPSG_4326:  # EPSG:4326 is latitude first
        pairs = [(y, x) for x, y in pairs]
    elif crs and crs != CRS84:
        raise _Bad(key, f"unsupported CRS <{crs}> (CRS84 or EPSG:4326 expected)",
                   f"CRS <{crs}> non pris en charge (CRS84 ou EPSG:4326 attendu)")
    return kind.upper(), pairs


def _bbox(value: Any, key: str) -> tuple[float, float, float, float] | None:
    lexical, datatype, _ = _lexical(value, key)
    if datatype not in (None, t.GEO_WKT):
        return None  # GML or GeoJSON literals: not read (we only publish WKT)
    _, pairs = _coordinates(lexical, key)
    xs = [x for x, _ in pairs]
    ys = [y for _, y in pairs]
    box = (min(xs), min(ys), max(xs), max(ys))
    if not (-180 <= box[0] <= box[2] <= 180 and -90 <= box[1] <= box[3] <= 90):
        raise _Bad(key, f"bounding box {box} is outside CRS84 longitude/latitude ranges",
                   f"l'emprise {box} sort des plages longitude/latitude CRS84")
    return box


def _point(value: Any, key: str) -> tuple[float, float] | None:
    lexical, datatype, _ = _lexical(value, key)
    if datatype not in (None, t.GEO_WKT):
        return None
    kind, pairs = _coordinates(lexical, key)
    if kind != "POINT" or len(pairs) != 1:
        raise _Bad(key, "a centroid is a WKT POINT", "un centroïde est un POINT WKT")
    return pairs[0]


# --- reading nodes ------------------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, lang: str, strict: bool, fast: bool):
        self.lang = lang
        self.strict = strict
        self.fast = fast
        self.problems: list[Problem] = []
        self.services: dict[str, ParsedService] = {}

    def check_form(self, node: Mapping[str, Any], root: bool = False) -> None:
        if self.fast and ((not root and "@context" in node) or not t.NON_CANONICAL_KEYS.isdisjoint(node)
                          or _non_canonical_type(node)):
            raise _NotCompact

    # agents, services

    def agent(self, node: Mapping[str, Any], key: str) -> ParsedAgent | None:
        value = _first(node.get(key))
        if value is None:
            return None
        if isinstance(value, str):
            return ParsedAgent(name=None, iri=t.expand(value))
        if not isinstance(value, dict):
            raise _Bad(key, "expected an agent object", "objet agent attendu")
        iri = value.get("@id")
        return ParsedAgent(name=_text(value, t.FOAF_NAME, self.lang),
                           iri=t.expand(iri) if isinstance(iri, str) and iri else None, type=_iri(value, t.TYPE))

    def service(self, value: Any, key: str) -> ParsedService:
        if isinstance(value, str):
            iri = t.expand(value)
            return self.services.get(iri) or ParsedService(id=iri, endpoint_url=None)
        if not isinstance(value, dict):
            raise _Bad(key, "expected a DataService object or its @id", "objet DataService ou son @id attendu")
        self.check_form(value)
        iri = value.get("@id")
        url = _first(value.get(t.ENDPOINT_URL))
        description = _first(value.get(t.ENDPOINT_DESCRIPTION))
        return ParsedService(id=t.expand(iri) if isinstance(iri, str) else None,
                             endpoint_url=None if url is None else _lexical(url, t.ENDPOINT_URL)[0],
                             endpoint_description=None if description is None
                             else _lexical(description, t.ENDPOINT_DESCRIPTION)[0])

    # datasets

    def offers(self, node: Mapping[str, Any], dataset_id: str) -> tuple[ParsedOffer, ...]:
        values = _items(node.get(t.HAS_POLICY))
        if not values:
            raise _Bad(t.HAS_POLICY, "a DSP Dataset has at least one Offer", "un Dataset DSP a au moins une offre",
                       "no-offer")
        out = []
        seen: set[str] = set()
        for i, offer in enumerate(values):
            where = f"{t.HAS_POLICY}[{i}]"
            if not isinstance(offer, dict):
                raise _Bad(where, "an offer is a JSON object", "une offre est un objet JSON", "bad-offer")
            if self.fast and "@context" in offer:
                raise _NotCompact
            uid = offer.get("@id")
            if not isinstance(uid, str) or not uid:
                raise _Bad(where, "the offer has no @id", "l'offre n'a pas d'@id", "bad-offer")
            if not offer.get("permission") and not offer.get("prohibition") \
                    and not offer.get("odrl:permission") and not offer.get("odrl:prohibition"):
                raise _Bad(where, f"offer <{uid}> has neither permission nor prohibition",
                           f"l'offre <{uid}> n'a ni permission ni interdiction", "bad-offer")
            if uid in seen:
                raise _Bad(where, f"offer @id <{uid}> appears twice in the dataset",
                           f"l'@id d'offre <{uid}> apparaît deux fois dans le jeu", "bad-offer")
            seen.add(uid)
            out.append(ParsedOffer(uid, offer, dataset_id))
        return tuple(out)

    def distributions(self, node: Mapping[str, Any]) -> tuple[ParsedDistribution, ...]:
        values = _items(node.get(t.DISTRIBUTION))
        if not values:
            raise _Bad(t.DISTRIBUTION, "a DSP Dataset has at least one Distribution",
                       "un Dataset DSP a au moins une distribution", "no-distribution")
        out = []
        for i, dist in enumerate(values):
            where = f"{t.DISTRIBUTION}[{i}]"
            if not isinstance(dist, dict):
                raise _Bad(where, "a distribution is a JSON object", "une distribution est un objet JSON",
                           "bad-distribution")
            self.check_form(dist)
            fmt = _first(dist.get(t.FORMAT))
            if not isinstance(fmt, str) or not fmt:
                raise _Bad(f"{where}.format", "missing or not a string (e.g. \"HttpData-PULL\")",
                           "absent ou pas une chaîne (exemple : \"HttpData-PULL\")", "bad-distribution")
            access = _first(dist.get(t.ACCESS_SERVICE))
            if access is None:
                raise _Bad(f"{where}.accessService", "missing (the DataService to negotiate with)",
                           "absent (le DataService avec qui négocier)", "bad-distribution")
            try:
                size = _optional_number(dist, t.BYTE_SIZE)
                out.append(ParsedDistribution(
                    format=fmt, access_service=self.service(access, t.ACCESS_SERVICE),
                    title=_text(dist, t.TITLE, self.lang), file_type=_iri(dist, t.JNT_FILE_TYPE),
                    media_type=_iri(dist, t.MEDIA_TYPE), byte_size=None if size is None else int(size),
                    conforms_to=_iris(dist, t.CONFORMS_TO)))
            except _Bad as bad:
                raise _Bad(f"{where}.{bad.key}", bad.en, bad.fr, bad.code) from None
        return tuple(out)

    def dataset(self, node: Any, root: bool = False) -> ParsedDataset:
        if not isinstance(node, dict):
            raise _Bad("", "a dataset is a JSON object", "un jeu de données est un objet JSON", "bad-dataset")
        self.check_form(node, root)
        uid = node.get("@id")
        if not isinstance(uid, str) or not uid:
            raise _Bad("@id", "missing: every DSP Dataset has an @id", "absent : tout Dataset DSP a un @id",
                       "missing-id")
        uid = t.expand(uid)
        lang = self.lang
        offers = self.offers(node, uid)
        distributions = self.distributions(node)
        contact = None
        contact_node = _first(node.get(t.CONTACT_POINT))
        if isinstance(contact_node, dict):
            email = _iri(contact_node, t.VCARD_HAS_EMAIL)
            contact = ParsedContact(name=_text(contact_node, t.VCARD_FN, lang),
                                    email=email.removeprefix("mailto:") if email else None,
                                    url=_iri(contact_node, t.VCARD_HAS_URL))
        temporal = _first(node.get(t.TEMPORAL))
        temporal = temporal if isinstance(temporal, dict) else {}
        activity = _first(node.get(t.PROV_WAS_GENERATED_BY))
        bbox = centroid = None
        units = []
        for place in _items(node.get(t.SPATIAL)):
            if isinstance(place, dict) and (t.BBOX in place or t.CENTROID in place):
                if bbox is None and t.BBOX in place:
                    bbox = _bbox(_first(place[t.BBOX]), t.BBOX)
                if centroid is None and t.CENTROID in place:
                    centroid = _point(_first(place[t.CENTROID]), t.CENTROID)
            else:
                units.append(_iri_of(place, t.SPATIAL))
        scale = None
        for measurement in _items(node.get(t.DQV_HAS_QUALITY_MEASUREMENT)):
            if isinstance(measurement, dict) and _iri(measurement, t.DQV_IS_MEASUREMENT_OF) == t.SCALE_METRIC:
                value = _optional_number(measurement, t.DQV_VALUE)
                if value is not None and 0 < value <= 1:  # 1/denominator
                    scale = round(1 / value)
                    break
        conformity = tuple(
            ParsedConformity(specification=_iri(c, t.JNT_SPECIFICATION), title=_text(c, t.TITLE, lang),
                             degree=_iri(c, t.TYPE))
            for c in _items(node.get(t.JNT_CONFORMITY)) if isinstance(c, dict))
        standards = []
        for std in _items(node.get(t.CONFORMS_TO)):
            if isinstance(std, dict):
                iri = std.get("@id")
                standards.append(ParsedStandard(iri=t.expand(iri) if isinstance(iri, str) else None,
                                                title=_text(std, t.TITLE, lang)))
            else:
                standards.append(ParsedStandard(iri=_iri_of(std, t.CONFORMS_TO)))
        return ParsedDataset(
            id=uid,
            title=_text(node, t.TITLE, lang),
            description=_text(node, t.DESCRIPTION, lang),
            geoconcept=_iri(node, t.SUBJECT),
            role=_iri(node, t.JNT_ROLE),
            themes=_iris(node, t.THEME),
            dataset_type=_iri(node, t.TYPE),
            keywords=_texts(node, t.KEYWORD),
            identifier=_text(node, t.IDENTIFIER, lang),
            publisher=self.agent(node, t.PUBLISHER),
            contact=contact,
            accrual_periodicity=_iri(node, t.ACCRUAL_PERIODICITY),
            modified=_when(node, t.MODIFIED),
            issued=_when(node, t.ISSUED),
            temporal_start=_when(temporal, t.START_DATE),
            temporal_end=_when(temporal, t.END_DATE),
            temporal_resolution=_text(node, t.TEMPORAL_RESOLUTION, lang),
            version=_text(node, t.VERSION, lang),
            acquisition_mode=_iri(activity, t.TYPE) if isinstance(activity, dict) else None,
            licence=_iri(node, t.LICENSE),
            bbox=bbox,
            centroid=centroid,
            admin_units=tuple(units),
            reference_systems=_iris(node, t.REFERENCE_SYSTEM),
            access_rights=_iri(node, t.ACCESS_RIGHTS),
            landing_page=_iri(node, t.LANDING_PAGE),
            resolution_m=_optional_number(node, t.SPATIAL_RESOLUTION),
            scale_denominator=scale,
            conformity=conformity,
            conforms_to=tuple(standards),
            completeness=_optional_number(node, t.JNT_COMPLETENESS),
            mandatory_complete=_boolean(node, t.JNT_COMPLETE),
            missing_mandatory=_texts(node, t.JNT_MISSING),
            offers=offers,
            distributions=distributions,
        )

    def datasets(self, values: Any, prefix: str) -> tuple[ParsedDataset, ...]:
        out = []
        seen: set[str] = set()
        for i, node in enumerate(_items(values)):
            where = f"{prefix}{t.DATASET}[{i}]"
            try:
                parsed = self.dataset(node)
            except _Bad as bad:
                key = _short(bad.key)
                self.problems.append(problem(f"{where}.{key}" if key else where, bad.code, bad.fr, bad.en))
                continue
            if parsed.id in seen:
                self.problems.append(problem(f"{where}.@id", "duplicate-dataset",
                                             f"<{parsed.id}> figure déjà plus haut dans le catalogue",
                                             f"<{parsed.id}> already appears earlier in the catalog"))
                continue
            seen.add(parsed.id)
            out.append(parsed)
        return tuple(out)

    # catalogs

    def catalog(self, node: Mapping[str, Any], prefix: str, root: bool) -> ParsedCatalog:
        self.check_form(node, root)
        types = _items(node.get("@type"))
        if t.T_CATALOG not in types:
            got = ", ".join(map(str, types)) or "none"
            hint_en = " (use parse_dataset for a Dataset)" if t.T_DATASET in types else ""
            hint_fr = " (parse_dataset lit un Dataset)" if t.T_DATASET in types else ""
            raise CatalogParseError(problem(f"{prefix}@type", "not-a-catalog",
                                            f"« Catalog » attendu, reçu {got}{hint_fr}",
                                            f"expected \"Catalog\", got {got}{hint_en}"))
        uid = node.get("@id")
        if not isinstance(uid, str) or not uid:
            raise CatalogParseError(problem(f"{prefix}@id", "missing-id", "absent : un Catalog DSP a un @id",
                                            "missing: a DSP Catalog has an @id"))
        participant = _first(node.get(t.PARTICIPANT_ID))
        if isinstance(participant, dict):
            participant = participant.get("@id")
        if root and (not isinstance(participant, str) or not participant):
            raise CatalogParseError(problem(f"{prefix}{t.PARTICIPANT_ID}", "missing-participant",
                                            "absent : le catalogue racine nomme son fournisseur (participantId)",
                                            "missing: the root catalog names its provider (participantId)"))
        try:
            services = []
            for i, value in enumerate(_items(node.get(t.SERVICE))):
                services.append(self.service(value, f"{t.SERVICE}[{i}]"))
            self.services.update((s.id, s) for s in services if s.id)
            title = _text(node, t.TITLE, self.lang)
            description = _text(node, t.DESCRIPTION, self.lang)
            publisher = self.agent(node, t.PUBLISHER)
        except _Bad as bad:
            raise CatalogParseError(problem(f"{prefix}{_short(bad.key)}", bad.code, bad.fr, bad.en)) from None
        datasets = self.datasets(node.get(t.DATASET), prefix)
        nested = []
        for i, child in enumerate(_items(node.get(t.CATALOG))):
            if not isinstance(child, dict):
                raise CatalogParseError(problem(f"{prefix}{t.CATALOG}[{i}]", "bad-catalog",
                                                "un catalogue imbriqué est un objet JSON",
                                                "a nested catalog is a JSON object"))
            nested.append(self.catalog(child, f"{prefix}{t.CATALOG}[{i}].", False))
        return ParsedCatalog(id=t.expand(uid), participant_id=participant if isinstance(participant, str) else None,
                             title=title, description=description, publisher=publisher, services=tuple(services),
                             datasets=datasets, catalogs=tuple(nested))


# --- entry points -------------------------------------------------------------------------------------------------


def _load(doc: Any) -> Any:
    if isinstance(doc, str | bytes | bytearray):
        try:
            return json.loads(doc)  # bytes: UTF-8, -16 or -32, as RFC 8259 allows
        except json.JSONDecodeError as exc:
            raise CatalogParseError(problem("", "malformed-json",
                                            f"JSON mal formé ligne {exc.lineno}, colonne {exc.colno} : {exc.msg}",
                                            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
                                    ) from exc
        except UnicodeDecodeError as exc:
            raise CatalogParseError(problem("", "malformed-json", f"JSON mal formé : encodage illisible ({exc.reason})",
                                            f"malformed JSON: undecodable bytes ({exc.reason})")) from exc
    if isinstance(doc, Mapping) and not isinstance(doc, dict):
        return dict(doc)
    return doc


def is_canonical_compact(doc: Any) -> bool:
    """Whether the document's top level qualifies for the fast path (its nodes are checked while reading)."""
    if not isinstance(doc, dict):
        return False
    ctx = doc.get("@context")
    if ctx == jld.DSP_CONTEXT:
        return True
    return isinstance(ctx, list) and jld.DSP_CONTEXT in ctx and all(c in t.FAST_CONTEXTS for c in ctx)


def _frame(doc: Any, type_term: str) -> dict[str, Any]:
    """The document framed on its `type_term` node and compacted with the DSP context (offline)."""
    if not isinstance(doc, dict | list):
        raise CatalogParseError(problem("", "not-json-ld", f"objet JSON attendu, reçu {type(doc).__name__}",
                                        f"expected a JSON object, got {type(doc).__name__}"))
    frame = {"@context": list(t.CONTEXT), "@type": type_term, "@embed": "@always"}
    try:
        framed = jsonld.frame(doc, frame, {"documentLoader": jld.document_loader, "base": None})
    except Exception as exc:  # untrusted input: pyld raises JsonLdError, and TypeError etc. on odd shapes
        detail = _jsonld_reason(exc) if isinstance(exc, jsonld.JsonLdError) else f"{type(exc).__name__}: {exc}"
        raise CatalogParseError(problem("", "malformed-jsonld", f"JSON-LD invalide : {detail}",
                                        f"invalid JSON-LD: {detail}")) from exc
    nodes = framed.get("@graph") if "@graph" in framed else ([framed] if "@id" in framed else [])
    if not nodes:
        no_ctx = isinstance(doc, dict) and "@context" not in doc
        why_en = (" (the document has no @context; DSP documents carry "
                  f"\"@context\": [\"{jld.DSP_CONTEXT}\"])") if no_ctx else ""
        why_fr = f" (le document n'a pas de @context ; un document DSP porte [\"{jld.DSP_CONTEXT}\"])" if no_ctx else ""
        raise CatalogParseError(problem("@type", f"no-{type_term.lower()}",
                                        f"aucun nœud de type {type_term} (dcat:{type_term}){why_fr}",
                                        f"no node of type {type_term} (dcat:{type_term}){why_en}"))
    if len(nodes) > 1:  # nested nodes match the frame too: keep the one no other node embeds
        key = t.CATALOG if type_term == t.T_CATALOG else t.DATASET
        nested = {child.get("@id") for node in nodes for child in _items(node.get(key)) if isinstance(child, dict)}
        roots = [node for node in nodes if node.get("@id") not in nested]
        if len(roots) != 1:
            ids = ", ".join(str(n.get("@id")) for n in roots)
            raise CatalogParseError(problem("", "several-roots", f"plusieurs {type_term} racines : {ids}",
                                            f"several root {type_term} nodes: {ids}"))
        nodes = roots
    return nodes[0]


def _jsonld_reason(exc: Exception) -> str:
    current: Any = exc
    last = str(exc)
    while current is not None:
        if isinstance(current, jld.ContextNotShipped):
            return str(current)
        args = getattr(current, "args", ())
        last = args[0] if args and isinstance(args[0], str) else str(current).splitlines()[0]
        current = getattr(current, "cause", None) or current.__cause__
    return last


def _finish(reader: _Reader, parsed: ParsedCatalog, via_jsonld: bool) -> ParsedCatalog:
    if reader.problems and reader.strict:
        raise CatalogParseError(reader.problems)
    return ParsedCatalog(id=parsed.id, participant_id=parsed.participant_id, title=parsed.title,
                         description=parsed.description, publisher=parsed.publisher, services=parsed.services,
                         datasets=parsed.datasets, catalogs=parsed.catalogs, problems=tuple(reader.problems),
                         via_jsonld=via_jsonld)


def parse_catalog(doc: Any, *, strict: bool = True, lang: str = "fr") -> ParsedCatalog:
    """A DSP `Catalog` (dict, JSON text or bytes) read into a `ParsedCatalog`. `strict=True` raises
    `CatalogParseError` listing every problem; `strict=False` leaves out the datasets that have problems and lists
    them in `problems` (catalog-level problems always raise). `lang` picks the language of texts."""
    data = _load(doc)
    if is_canonical_compact(data):
        reader = _Reader(lang, strict, fast=True)
        try:
            return _finish(reader, reader.catalog(data, "", True), via_jsonld=False)
        except _NotCompact:
            pass
    reader = _Reader(lang, strict, fast=False)
    return _finish(reader, reader.catalog(_frame(data, t.T_CATALOG), "", True), via_jsonld=True)


def parse_dataset(doc: Any, *, lang: str = "fr") -> ParsedDataset:
    """A DSP `Dataset` response (GET `<base>/catalog/datasets/:id`) read into a `ParsedDataset`; raises
    `CatalogParseError` naming what is wrong."""
    data = _load(doc)

    def read(node: Any, fast: bool) -> ParsedDataset:
        reader = _Reader(lang, True, fast)
        types = _items(node.get("@type")) if isinstance(node, dict) else []
        if types and t.T_DATASET not in types:
            if fast and _non_canonical_type(node):
                raise _NotCompact
            raise CatalogParseError(problem("@type", "not-a-dataset",
                                            f"« Dataset » attendu, reçu {', '.join(map(str, types))}",
                                            f"expected \"Dataset\", got {', '.join(map(str, types))}"))
        try:
            return reader.dataset(node, root=True)
        except _Bad as bad:
            raise CatalogParseError(problem(_short(bad.key), bad.code, bad.fr, bad.en)) from None

    if is_canonical_compact(data):
        try:
            return read(data, True)
        except _NotCompact:
            pass
    return read(_frame(data, t.T_DATASET), False)
