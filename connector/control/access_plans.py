"""Reading an access plan before running it: the federated catalogue's JSON Schema
(`catalog/data/schemas/access-plan.schema.json`, the contract between the catalogue that writes plans and the
connector that runs them) and the rules a schema cannot say — every provider's DSP address is an http(s) URL, the
plan is for this consumer (or for nobody in particular), each offer is an ODRL policy whose rules name their action
and which targets its item's dataset, the declared purpose and territory are ones the policy engine knows. Every
refusal names the field (`plan.items[0].provider.dsp`) and the rule, in French and English; a schema violation is a
422, a broken rule a 400.

    plan = read_plan(body["plan"], consumer_did=plane.did, field="plan")   # PlanError if refused
    candidates(plan.items[0], use_alternatives=True)  # the item, then its alternatives
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from connector.dsp.schemas import CONTEXT_URL
from policies import PolicyError, parse_policy, request_from_json

MAX_ITEMS = 500
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_TYPES_FR = {"string": "un texte", "number": "un nombre", "integer": "un entier", "array": "une liste",
             "object": "un objet", "boolean": "un booléen", "null": "null"}


class PlanError(Exception):
    """A plan refused: the HTTP status (422 schema, 400 rule, 409 conflict), a stable code, the field at fault and
    the reason in French and English; `problems` lists every problem when there are several."""

    def __init__(self, status: int, code: str, field: str, fr: str, en: str,
                 problems: list[dict[str, str]] | None = None) -> None:
        self.status, self.code, self.field, self.fr, self.en, self.problems = status, code, field, fr, en, problems
        super().__init__(f"{status} {code}: {en}")


def _problem(code: str, field: str, fr: str, en: str) -> dict[str, str]:
    return {"field": field, "code": code, "fr": f"{field} : {fr}", "en": f"{field}: {en}"}


def _refuse(status: int, problems: list[dict[str, str]], code: str) -> PlanError:
    # Every problem is listed, even a single one: its `code` names the rule (the JSON Schema keyword for a 422).
    first = problems[0]
    return PlanError(status, code, first["field"], first["fr"], first["en"], problems)


@cache
def plan_schema() -> dict[str, Any]:
    """The access-plan JSON Schema shipped with the catalogue package."""
    text = files("catalog").joinpath("data/schemas/access-plan.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = plan_schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _path(prefix: str, parts: Any) -> str:
    out = prefix
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _branch(error: ValidationError) -> ValidationError:
    """What is wrong with a value that matches no branch of a `oneOf` / `anyOf`: when every branch is a type, a
    type error naming them all; else the error of the branch that went deepest into the value."""
    if all(e.validator == "type" and e.absolute_path == error.absolute_path for e in error.context):
        types = [t for e in error.context for t in (e.validator_value if isinstance(e.validator_value, list)
                                                      else [e.validator_value])]
        return ValidationError(error.message, validator="type", validator_value=types, instance=error.instance,
                               path=error.absolute_path)
    typed = [e for e in error.context if e.validator != "type"]
    return best_match(typed) if typed else best_match(error.context)


def _schema_problem(error: ValidationError, prefix: str) -> dict[str, str]:
    """One schema violation, named by its field and its rule (the JSON Schema keyword)."""
    if error.context:  # oneOf / anyOf
        error = _branch(error)
    rule, expected = error.validator, error.validator_value
    where = _path(prefix, error.absolute_path)
    if rule == "required" and isinstance(error.instance, Mapping):
        missing = next((name for name in expected if name not in error.instance), "?")
        return _problem("required", _path(prefix, [*error.absolute_path, missing]), "champ obligatoire manquant",
                        "required field missing")
    if rule == "type":
        names = expected if isinstance(expected, list) else [expected]
        fr = " ou ".join(_TYPES_FR.get(n, n) for n in names)
        return _problem("type", where, f"{fr} attendu", f"{' or '.join(names)} expected")
    if rule in ("const", "enum"):
        allowed = [expected] if rule == "const" else list(expected)
        shown = ", ".join(json.dumps(v, ensure_ascii=False) for v in allowed)
        return _problem(rule, where, f"valeur non permise ; valeurs permises : {shown}",
                        f"value not allowed; allowed: {shown}")
    if rule == "pattern":
        return _problem("pattern", where, f"« {error.instance} » ne suit pas la forme attendue ({expected})",
                        f"'{error.instance}' does not have the expected form ({expected})")
    if rule in ("minLength", "minItems", "maxItems"):
        fr = {"minLength": f"au moins {expected} caractère(s)", "minItems": f"au moins {expected} élément(s)",
              "maxItems": f"au plus {expected} élément(s)"}[rule]
        en = {"minLength": f"at least {expected} character(s)", "minItems": f"at least {expected} item(s)",
              "maxItems": f"at most {expected} item(s)"}[rule]
        return _problem(rule, where, fr, en)
    return _problem(str(rule), where, f"valeur invalide ({error.message})", f"invalid value ({error.message})")


def _url_problems(plan: Mapping[str, Any], prefix: str) -> list[dict[str, str]]:
    """Every provider DSP address of the plan that is not an http(s) URL with a host (looked for wherever the plan
    has one, before the schema: this is a rule of its own, answered 400)."""
    problems = []
    items = plan.get("items")
    for i, item in enumerate(items if isinstance(items, list) else []):
        alternatives = item.get("alternatives") if isinstance(item, Mapping) else None
        entries = [([i], item), *(([i, "alternatives", j], alt) for j, alt in
                                  enumerate(alternatives if isinstance(alternatives, list) else []))]
        for where, entry in entries:
            provider = entry.get("provider") if isinstance(entry, Mapping) else None
            dsp = provider.get("dsp") if isinstance(provider, Mapping) else None
            if not isinstance(dsp, str):
                continue
            parts = urlsplit(dsp.strip())
            if parts.scheme not in ("http", "https") or not parts.netloc:
                problems.append(_problem("http-url", _path(prefix, ["items", *where, "provider", "dsp"]),
                                         f"adresse DSP http(s) attendue, reçu « {dsp} »",
                                         f"an http(s) DSP address is expected, got '{dsp}'"))
    return problems


def _offer_problems(entry: Mapping[str, Any], where: str) -> list[dict[str, str]]:
    offer, dataset = dict(entry["offer"]), entry["dataset"]["id"]
    target = offer.get("target")
    target = target.get("@id") if isinstance(target, Mapping) else target
    if target and target != dataset:
        return [_problem("offer-target", f"{where}.offer.target", f"l'offre vise {target}, pas le jeu {dataset}",
                         f"the offer targets {target}, not the dataset {dataset}")]
    offer.setdefault("@context", [CONTEXT_URL])
    try:
        policy = parse_policy(offer)
    except PolicyError as exc:
        return [_problem(p.code, f"{where}.offer" + (f".{p.path}" if p.path else ""), p.message_fr, p.message_en)
                for p in exc.problems]
    rules = (("permission", policy.permissions), ("prohibition", policy.prohibitions),
             ("obligation", policy.obligations))
    return [_problem("action", f"{where}.offer.{kind}[{i}].action", "chaque règle nomme son action (ex. « use »)",
                     "every rule names its action (e.g. 'use')")
            for kind, found in rules for i, rule in enumerate(found) if not rule.actions]


@dataclass(frozen=True)
class AccessPlan:
    """A plan accepted for running: the document as posted and what each contract request declares."""

    doc: dict[str, Any]
    purpose: str
    territory: str | None
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.doc["id"])



def candidates(item: Mapping[str, Any], *, use_alternatives: bool) -> list[dict[str, Any]]:
    """What a plan item may be obtained from, in order: the plan's choice, then (if allowed) its alternatives."""
    first = {k: v for k, v in item.items() if k != "alternatives"}
    return [first, *(item.get("alternatives") or [])] if use_alternatives else [first]


def declared(plan: Mapping[str, Any]) -> tuple[str, str | None]:
    """The purpose and territory each contract request declares: the plan's `declared` member when it has one (the
    catalogue decided for those), else the plan's purpose and its territory's code (or its bbox, as WKT)."""
    said = plan.get("declared") if isinstance(plan.get("declared"), Mapping) else {}
    purpose = said.get("purpose") or plan["purpose"]
    if "territory" in said:
        return purpose, said.get("territory")
    territory, bbox = plan.get("territory"), plan.get("bbox")
    if isinstance(territory, Mapping):
        return purpose, territory["code"]
    if bbox:
        minx, miny, maxx, maxy = bbox
        return purpose, f"POLYGON(({minx} {miny}, {maxx} {miny}, {maxx} {maxy}, {minx} {maxy}, {minx} {miny}))"
    return purpose, None


def read_plan(doc: Any, *, consumer_did: str, field: str = "plan") -> AccessPlan:
    """`doc` as a plan this connector (`consumer_did`) may run; PlanError naming the field and the rule otherwise.
    `field`: where the plan sits in the request (prefix of the fields named)."""
    if not isinstance(doc, Mapping):
        raise PlanError(422, "invalid-plan", field or "body", f"{field or 'corps'} : un plan d'accès (objet JSON "
                        "AccessPlan) est attendu", f"{field or 'body'}: an access plan (an AccessPlan JSON object) "
                        "is expected")
    urls = _url_problems(doc, field)
    if urls:
        raise _refuse(400, urls, "invalid-input")
    # By field; at one field, the plain rules before the combinations (`oneOf`) that repeat them.
    errors = sorted(_validator().iter_errors(doc),
                    key=lambda e: ([str(p) for p in e.absolute_path], bool(e.context)))
    if errors:
        problems: dict[tuple[str, str], dict[str, str]] = {}
        for error in errors:
            problem = _schema_problem(error, field)
            problems.setdefault((problem["field"], problem["code"]), problem)
        raise _refuse(422, list(problems.values()), "invalid-plan")
    rules: list[dict[str, str]] = []
    at = (lambda name: f"{field}.{name}") if field else (lambda name: name)
    consumer = doc.get("consumer")
    if consumer is not None and consumer != consumer_did:
        raise _refuse(400, [_problem(
            "wrong-consumer", at("consumer"),
            f"ce plan a été établi pour {consumer}, pas pour ce connecteur ({consumer_did}) : les décisions qu'il "
            "annonce ne valent pas pour lui ; demander un plan au catalogue avec l'identité de ce connecteur",
            f"this plan was made for {consumer}, not for this connector ({consumer_did}): the decisions it "
            "announces do not hold for it; ask the catalogue for a plan with this connector's identity")],
            "wrong-consumer")
    try:
        datetime.fromisoformat(str(doc["created"]).replace("Z", "+00:00"))
    except ValueError:
        rules.append(_problem("date-time", at("created"), "date-heure ISO 8601 attendue",
                              "an ISO 8601 date-time is expected"))
    if len(doc["items"]) > MAX_ITEMS:
        rules.append(_problem("maxItems", at("items"), f"au plus {MAX_ITEMS} éléments par plan",
                              f"at most {MAX_ITEMS} items per plan"))
    for i, item in enumerate(doc["items"]):
        for where, entry in ((at(f"items[{i}]"), item),
                             *((at(f"items[{i}].alternatives[{j}]"), alt)
                               for j, alt in enumerate(item.get("alternatives") or []))):
            did = entry["provider"]["did"]
            if not _IRI.match(did):
                rules.append(_problem("participant-id", f"{where}.provider.did",
                                      f"DID de participant attendu (ex. did:web:…), reçu « {did} »",
                                      f"a participant DID (e.g. did:web:…) is expected, got '{did}'"))
            rules.extend(_offer_problems(entry, where))
    purpose, territory = declared(doc)
    for name, value, where in (("purpose", purpose, "purpose"), ("territory", territory, "declared.territory")):
        if value is None:
            continue
        try:
            request_from_json({name: value})
        except PolicyError as exc:
            rules.extend(_problem(p.code, at(where), p.message_fr, p.message_en) for p in exc.problems)
    if rules:
        raise _refuse(400, rules, "invalid-input")
    return AccessPlan(doc=dict(doc), purpose=purpose, territory=territory, items=list(doc["items"]))


__all__ = ["MAX_ITEMS", "AccessPlan", "PlanError", "candidates", "declared", "plan_schema", "read_plan"]
