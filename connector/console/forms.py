"""The console's forms, as plain functions over submitted form values: the editors of a sheet's mandatory fields
(what an ISO 19139 record did not fill, as inputs with the controlled vocabularies as choices), the policy form
(a C5 x C7 template with its restrictions, or an ODRL offer pasted as JSON-LD) and the test request of the
policy page. Each parser returns values or per-field error messages in French and English; nothing here talks
to the management API."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from catalog import vocabularies as voc
from catalog.geoconcepts import ROLE_NS, ROLES, Registry
from catalog.sheet import Agent, Conformity, Contact, Distribution, Sheet, StandardRef
from policies import Policy, PolicyError, World, compile_policy, parse_policy, request_from_json
from policies.profile import CATEGORIES, CATEGORY_LABELS
from policies.purposes import PURPOSES
from policies.templates import ACCESS_RIGHTS, LICENCES, Restrictions, describe_policy, offer_template
from policies.templates import licence as licence_of

Form = Mapping[str, Any]  # a submitted form: name -> str, or list of str for repeated names


def values(form: Form, name: str) -> list[str]:
    value = form.get(name)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return [str(value)] if str(value).strip() else []


def value(form: Form, name: str) -> str:
    found = values(form, name)
    return found[0].strip() if found else ""


@dataclass
class Message:
    fr: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


# --- the sheet's mandatory fields --------------------------------------------------------------------------------


@dataclass
class Choice:
    value: str
    fr: str
    en: str

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


@dataclass
class Input:
    name: str  # form field name
    kind: str  # text | textarea | select | multiselect | date | number | email | url
    fr: str
    en: str
    choices: list[Choice] = field(default_factory=list)
    hint_fr: str = ""
    hint_en: str = ""
    step: str | None = None


@dataclass
class Editor:
    """The inputs of one mandatory field, and how their values become the field's value."""

    path: str  # sheet path, e.g. "frequency.modified"; one-of groups "precision.resolution_m|scale_denominator"
    inputs: list[Input]
    apply: Callable[[Sheet, Form], dict[str, Any]]  # -> {part: {name: value}} updates, raises ValueError(fr, en)


class FieldError(ValueError):
    def __init__(self, fr: str, en: str) -> None:
        super().__init__(en)
        self.message = Message(fr, en)


def _need(form: Form, name: str) -> str:
    text = value(form, name)
    if not text:
        raise FieldError("à remplir", "to be filled")
    return text


def _one(path: str, convert: Callable[[str], Any]) -> Callable[[Sheet, Form], dict[str, Any]]:
    part, name = path.split(".")

    def apply(_sheet: Sheet, form: Form) -> dict[str, Any]:
        return {part: {name: convert(_need(form, "f." + path))}}

    return apply


def _many(path: str, convert: Callable[[str], Any]) -> Callable[[Sheet, Form], dict[str, Any]]:
    part, name = path.split(".")

    def apply(_sheet: Sheet, form: Form) -> dict[str, Any]:
        chosen = values(form, "f." + path)
        if not chosen:
            raise FieldError("choisir au moins une valeur", "choose at least one value")
        return {part: {name: [convert(v) for v in chosen]}}

    return apply


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError("date attendue (AAAA-MM-JJ)", "a date is expected (YYYY-MM-DD)") from None


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        numbers = tuple(float(v) for v in text.replace(";", ",").split(","))
    except ValueError:
        numbers = ()
    if len(numbers) != 4:
        raise FieldError("quatre nombres attendus : ouest, sud, est, nord (degrés)",
                         "four numbers are expected: west, south, east, north (degrees)")
    minx, miny, maxx, maxy = numbers
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise FieldError("emprise hors limites ou inversée (longitudes puis latitudes, min ≤ max)",
                         "extent out of range or reversed (longitudes then latitudes, min ≤ max)")
    return numbers  # type: ignore[return-value]


def _epsg(text: str) -> str:
    code = text.upper().removeprefix("EPSG:").strip()
    if text.startswith("http"):
        return text
    if not code.isdigit():
        raise FieldError("code EPSG attendu (ex. 2154)", "an EPSG code is expected (e.g. 2154)")
    return voc.epsg_iri(code)


def _url(text: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise FieldError("adresse http(s) attendue", "an http(s) address is expected")
    return text


def _email(text: str) -> str:
    if "@" not in text or " " in text:
        raise FieldError("adresse électronique attendue", "an email address is expected")
    return text


def _precision(_sheet: Sheet, form: Form) -> dict[str, Any]:
    resolution, scale = value(form, "f.precision.resolution_m"), value(form, "f.precision.scale_denominator")
    if not resolution and not scale:
        raise FieldError("donner la résolution (grilles) ou l'échelle (vecteurs)",
                         "give the resolution (grids) or the scale (vectors)")
    updates: dict[str, Any] = {}
    try:
        if resolution:
            updates["resolution_m"] = float(resolution)
        if scale:
            updates["scale_denominator"] = int(scale)
    except ValueError:
        raise FieldError("nombre attendu", "a number is expected") from None
    if any(v <= 0 for v in updates.values()):
        raise FieldError("nombre positif attendu", "a positive number is expected")
    return {"precision": updates}


def _conformity(_sheet: Sheet, form: Form) -> dict[str, Any]:
    title = _need(form, "f.quality.conformity")
    degree = value(form, "f.quality.conformity.degree") or "notEvaluated"
    if degree not in voc.DEGREES:
        raise FieldError("degré de conformité inconnu", "unknown degree of conformity")
    return {"quality": {"conformity": [Conformity(specification_title=title,
                                                  degree=voc.DEGREE_OF_CONFORMITY + degree)]}}


_FREQUENCY_FR = {"CONT": "en continu", "HOURLY": "toutes les heures", "DAILY": "quotidienne", "WEEKLY": "hebdomadaire",
                 "MONTHLY": "mensuelle", "QUARTERLY": "trimestrielle", "ANNUAL": "annuelle", "IRREG": "irrégulière",
                 "AS_NEEDED": "au besoin", "NOT_PLANNED": "non prévue", "UNKNOWN": "inconnue"}
_PUBLISHER_FR = {"NationalAuthority": "autorité nationale", "RegionalAuthority": "autorité régionale",
                 "LocalAuthority": "collectivité / autorité locale", "Company": "entreprise",
                 "Academia-ScientificOrganisation": "organisme scientifique",
                 "NonGovernmentalOrganisation": "organisation non gouvernementale"}
_DEGREE_WORDS = {"conformant": ("conforme", "conformant"), "notConformant": ("non conforme", "not conformant"),
                 "notEvaluated": ("non évalué", "not evaluated")}


def editors(registry: Registry) -> dict[str, Editor]:
    """An editor for every mandatory field of the sheet, by path."""
    geoconcepts = [Choice(c.iri(registry.base_iri), f"{c.id} — {c.label_fr}", f"{c.id} — {c.label_fr}")
                   for c in sorted(registry.concepts.values(), key=lambda c: c.label_fr)]
    roles = [Choice(ROLE_NS + r, r, {"calcul": "computation", "contextualisation": "context"}.get(r, r))
             for r in ROLES]
    inspire = [Choice(voc.inspire_theme_iri(code), f"{label} ({code})", f"{code}")
               for code, label in voc.INSPIRE_THEMES.items()]
    eu = [Choice(voc.data_theme_iri(code), code, code) for code in voc.EU_DATA_THEMES]
    publishers = [Choice(voc.ADMS_PUBLISHER_TYPE + code, _PUBLISHER_FR.get(code, code), code)
                  for code in voc.PUBLISHER_TYPES]
    frequencies = [Choice(voc.frequency_iri(code), _FREQUENCY_FR.get(code, code), code) for code in voc.FREQUENCIES]
    origins = [Choice(voc.origin_iri(code), fr, en) for code, (fr, en) in voc.ORIGINS.items()]
    licences = [Choice(iri, key, key) for key, iri in voc.LICENCES.items()]
    licences.append(Choice(LICENCES["restricted"].iri, "licence restreinte (conditions du fournisseur)",
                           "restricted licence (provider's terms)"))
    access = [Choice(voc.access_right_iri(code), {"PUBLIC": "public", "RESTRICTED": "restreint",
                                                  "NON_PUBLIC": "non public"}[code], code.lower())
              for code in voc.ACCESS_RIGHTS]
    degrees = [Choice(code, fr, en) for code, (fr, en) in _DEGREE_WORDS.items()]

    def one(path: str, kind: str, fr: str, en: str, convert: Callable[[str], Any] = str,
            choices: list[Choice] | None = None, hint: tuple[str, str] = ("", "")) -> Editor:
        return Editor(path, [Input("f." + path, kind, fr, en, choices or [], *hint)], _one(path, convert))

    def many(path: str, fr: str, en: str, choices: list[Choice]) -> Editor:
        return Editor(path, [Input("f." + path, "multiselect", fr, en, choices)], _many(path, str))

    found = [
        one("nature.title", "text", "Titre", "Title"),
        one("nature.description", "textarea", "Description", "Description"),
        one("nature.geoconcept", "select", "Géo-concept JNT", "JNT géo-concept", choices=geoconcepts),
        one("nature.role", "select", "Rôle", "Role", choices=roles),
        many("nature.inspire_themes", "Thèmes INSPIRE", "INSPIRE themes", inspire),
        many("nature.eu_themes", "Thèmes EU (data-theme)", "EU data themes", eu),
        Editor("provenance.publisher", [Input("f.provenance.publisher", "text", "Producteur / diffuseur (nom)",
                                              "Publisher (name)")],
               lambda s, f: {"provenance": {"publisher": Agent(name=_need(f, "f.provenance.publisher"))}}),
        one("provenance.publisher_type", "select", "Type d'acteur", "Kind of body", choices=publishers),
        Editor("provenance.contact", [Input("f.provenance.contact", "email", "Courriel du contact", "Contact email")],
               lambda s, f: {"provenance": {"contact": Contact(email=_email(_need(f, "f.provenance.contact")))}}),
        one("frequency.accrual_periodicity", "select", "Fréquence de mise à jour", "Update frequency",
            choices=frequencies),
        one("frequency.modified", "date", "Dernière mise à jour", "Last modified", _date),
        one("origin.lineage", "textarea", "Généalogie", "Lineage"),
        one("origin.acquisition_mode", "select", "Mode d'obtention", "Acquisition mode", choices=origins),
        one("licence.licence", "select", "Licence", "Licence", choices=licences),
        one("extent.bbox", "text", "Emprise (ouest, sud, est, nord en degrés)", "Extent (west, south, east, north, "
            "degrees)", _bbox, hint=("ex. -2.2,47.1,-1.4,47.4", "e.g. -2.2,47.1,-1.4,47.4")),
        Editor("extent.reference_systems",
               [Input("f.extent.reference_systems", "text", "Système de référence (code EPSG)",
                      "Reference system (EPSG code)", hint_fr="ex. 2154", hint_en="e.g. 2154")],
               lambda s, f: {"extent": {"reference_systems": [_epsg(_need(f, "f.extent.reference_systems"))]}}),
        one("access.access_rights", "select", "Droit d'accès", "Access rights", choices=access),
        Editor("access.distributions", [Input("f.access.distributions", "url", "Adresse d'accès d'une distribution",
                                              "Access URL of a distribution")],
               lambda s, f: {"access": {"distributions": [
                   Distribution(access_url=_url(_need(f, "f.access.distributions")))]}}),
        Editor("precision.resolution_m|scale_denominator",
               [Input("f.precision.resolution_m", "number", "Résolution (m)", "Resolution (m)", step="any"),
                Input("f.precision.scale_denominator", "number", "ou échelle (dénominateur, ex. 25000)",
                      "or scale (denominator, e.g. 25000)", step="1")], _precision),
        Editor("quality.conformity",
               [Input("f.quality.conformity", "text", "Spécification de conformité", "Conformity specification",
                      hint_fr="ex. CNIG PPRN v1.0", hint_en="e.g. CNIG PPRN v1.0"),
                Input("f.quality.conformity.degree", "select", "Degré de conformité", "Degree of conformity",
                      degrees)], _conformity),
        Editor("standard.conforms_to", [Input("f.standard.conforms_to", "text", "Standard de données (titre)",
                                              "Data standard (title)", hint_fr="ex. Géostandard CNIG PPR",
                                              hint_en="e.g. CNIG PPR géostandard")],
               lambda s, f: {"standard": {"conforms_to": [StandardRef(title=_need(f, "f.standard.conforms_to"))]}}),
    ]
    return {e.path: e for e in found}


def missing_paths(sheet: Sheet) -> list[str]:
    return [f.path for f in sheet.completeness().missing_mandatory()]


def apply_fields(sheet: Sheet, paths: list[str], form: Form, registry: Registry
                 ) -> tuple[Sheet, dict[str, Message]]:
    """`sheet` with the fields of `paths` set from the form (fields left empty stay missing, without error);
    the errors of the fields given wrongly, by path."""
    table = editors(registry)
    data = sheet.model_dump(mode="python")
    errors: dict[str, Message] = {}
    for path in paths:
        editor = table.get(path)
        if editor is None or not any(values(form, i.name) for i in editor.inputs):
            continue
        try:
            updates = editor.apply(sheet, form)
        except FieldError as exc:
            errors[path] = exc.message
            continue
        for part, changes in updates.items():
            data[part].update({k: (v.model_dump() if hasattr(v, "model_dump") else
                                   [x.model_dump() if hasattr(x, "model_dump") else x for x in v]
                                   if isinstance(v, list) else v) for k, v in changes.items()})
    try:
        return Sheet.model_validate(data), errors
    except ValidationError as exc:
        for error in exc.errors():
            loc = ".".join(str(p) for p in error["loc"][:2])
            errors[loc] = Message(f"valeur refusée : {error['msg']}", f"value refused: {error['msg']}")
        return sheet, errors


def sheet_from_json(text: str) -> Sheet:
    return Sheet.model_validate_json(text)


# --- the policy form ---------------------------------------------------------------------------------------------


LICENCE_CHOICES = [Choice(key, lic.label_fr, lic.label_en) for key, lic in LICENCES.items()]
ACCESS_CHOICES = [Choice("public", "public", "public"), Choice("restricted", "restreint", "restricted"),
                  Choice("non-public", "non public", "non-public")]
CATEGORY_CHOICES = [Choice(key, *CATEGORY_LABELS[CATEGORIES[key]]) for key in ("public", "private")]
PURPOSE_CHOICES = [Choice(p.name, p.label_fr, p.label_en) for p in PURPOSES.values()]


def licence_key(iri: str | None) -> str:
    """The template licence key of a sheet's licence IRI ('' when it has none or it is not a template's)."""
    if not iri:
        return ""
    try:
        return licence_of(iri).key
    except PolicyError:
        for key, known in voc.LICENCES.items():
            if known == iri:
                try:
                    return licence_of(key).key
                except PolicyError:
                    return ""
        return ""


def access_key(iri: str | None) -> str:
    for key, known in ACCESS_RIGHTS.items():
        if iri == known:
            return key
    return ""


def _moment(text: str, end: bool = False) -> datetime | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise FieldError("date attendue (AAAA-MM-JJ)", "a date is expected (YYYY-MM-DD)") from None
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass
class PolicyChoice:
    """What the policy form asks for: the management API's `template` or `policy` member, and the offer as the
    engine reads it (for the plain-words preview and test requests)."""

    body: dict[str, Any]
    policy: Policy | None
    errors: dict[str, Message]


def split_list(text: str) -> list[str]:
    return [v.strip() for v in text.replace(";", ",").replace("\n", ",").split(",") if v.strip()]


def read_policy_form(form: Form, *, uid: str, assigner: str, sheet: Sheet | None = None) -> PolicyChoice:
    """The template (licence, access, restrictions) or the pasted ODRL of the form, checked by the policy library
    as the management API will check it."""
    errors: dict[str, Message] = {}
    if value(form, "policy_mode") == "odrl":
        text = value(form, "odrl")
        if not text:
            return PolicyChoice({}, None, {"odrl": Message("coller une offre ODRL (JSON-LD)",
                                                           "paste an ODRL offer (JSON-LD)")})
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            return PolicyChoice({}, None, {"odrl": Message(f"JSON mal formé ligne {exc.lineno} : {exc.msg}",
                                                           f"malformed JSON at line {exc.lineno}: {exc.msg}")})
        if not isinstance(doc, dict):
            return PolicyChoice({}, None, {"odrl": Message("objet JSON attendu", "a JSON object is expected")})
        preview = dict(doc)
        preview.setdefault("@context", ["https://w3id.org/dspace/2025/1/context.jsonld"])
        if not (preview.get("@id") or preview.get("uid")):
            preview["@id"] = uid
        try:
            policy = parse_policy(preview)
        except PolicyError as exc:
            return PolicyChoice({"policy": doc}, None, {"odrl": Message(
                "; ".join(p.message_fr for p in exc.problems), "; ".join(p.message_en for p in exc.problems))})
        return PolicyChoice({"policy": doc}, policy, errors)
    licence = value(form, "licence") or (licence_key(sheet.licence.licence) if sheet else "")
    access = value(form, "access") or (access_key(sheet.access.access_rights) if sheet else "")
    restrictions: dict[str, Any] = {}
    try:
        restrictions["valid_from"] = _moment(value(form, "valid_from"))
    except FieldError as exc:
        errors["valid_from"] = exc.message
    try:
        restrictions["valid_until"] = _moment(value(form, "valid_until"))
    except FieldError as exc:
        errors["valid_until"] = exc.message
    count = value(form, "max_count")
    if count:
        if count.isdigit() and int(count) >= 1:
            restrictions["max_count"] = int(count)
        else:
            errors["max_count"] = Message("nombre entier d'au moins 1", "a whole number of at least 1")
    restrictions.update(categories=values(form, "categories"), purposes=values(form, "purposes"),
                        territories=split_list(value(form, "territories")),
                        recipients=split_list(value(form, "recipients")),
                        duration=value(form, "duration") or None,
                        no_distribute=bool(value(form, "no_distribute")),
                        delete_at_end=bool(value(form, "delete_at_end")))
    if not licence:
        errors["licence"] = Message("choisir la licence (C5)", "choose the licence (C5)")
    if not access:
        errors["access"] = Message("choisir la modalité d'accès (C7)", "choose the access mode (C7)")
    template: dict[str, Any] = {"licence": licence or None, "access": access or None}
    kept = {k: v for k, v in restrictions.items() if v not in (None, [], False)}
    if kept:
        template["restrictions"] = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in kept.items()}
    body = {"template": template}
    if errors:
        return PolicyChoice(body, None, errors)
    try:
        policy = offer_template(licence, access, Restrictions(**{k: v for k, v in restrictions.items()
                                                                  if v is not None}),
                                uid=uid, assigner=assigner)
    except PolicyError as exc:
        for p in exc.problems:
            name = p.path.split(".")[0].split("[")[0] if p.path else "licence"
            errors[name if name in ("licence", "access") else name] = Message(p.message_fr, p.message_en)
        return PolicyChoice(body, None, errors)
    return PolicyChoice(body, policy, errors)


def plain_words(policy: Policy | None, lang: str) -> list[str]:
    return describe_policy(policy, lang) if policy is not None else []


@dataclass
class TestOutcome:
    decision: str  # permit | deny | not-applicable
    permitted: bool
    explanation: list[str]
    duties: list[str]


def test_request(policy: Policy, form: Form, lang: str) -> tuple[TestOutcome | None, dict[str, Message]]:
    """The engine's decision on the form's request (recipient category, purpose, territory, date)."""
    request: dict[str, Any] = {"action": "use"}
    for key, name in (("category", "test_category"), ("purpose", "test_purpose"), ("territory", "test_territory")):
        if value(form, name):
            request[key] = value(form, name)
    errors: dict[str, Message] = {}
    now = datetime.now(UTC)
    if value(form, "test_date"):
        try:
            now = _moment(value(form, "test_date")) or now
        except FieldError as exc:
            errors["test_date"] = exc.message
    try:
        parsed = request_from_json(request)
    except PolicyError as exc:
        for p in exc.problems:
            key = {"area": "test_territory", "purpose": "test_purpose", "category": "test_category"}.get(
                p.path, "test_purpose")
            errors[key] = Message(p.message_fr, p.message_en)
    if errors:
        return None, errors
    decision = compile_policy(policy).decide(parsed, World(now=now))
    from policies.explain import duty_text

    duties = [duty_text(duty, lang) for duty in decision.duties]
    return TestOutcome(decision.outcome, decision.permitted, decision.explain(lang), duties), {}


# --- data sources ------------------------------------------------------------------------------------------------


def source_choices(root: Path, limit: int = 500) -> list[tuple[str, str]]:
    """(value, label) of the files and folders under the sources directory, hidden ones left out."""
    found: list[tuple[str, str]] = []
    if not root.is_dir():
        return found
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or path.is_symlink():
            continue
        kind = "folder" if path.is_dir() else "file"
        found.append((f"{kind}:{rel.as_posix()}", f"{rel.as_posix()}{'/' if kind == 'folder' else ''}"))
        if len(found) >= limit:
            break
    return found


def data_source(choice: str) -> dict[str, Any] | None:
    kind, _, path = choice.partition(":")
    if kind in ("file", "folder") and path:
        return {"type": kind, "path": path}
    return None
