"""Reading evaluation requests and states of the world from files: the simple JSON form
(`{"action", "assignee", "target", "purpose", "category", ...}`) and the RDF form of the SolidLab ODRL test suite
(an `odrl:Request` policy; a state of the world with the current time, `odrl:partOf` memberships and
compliance-report duty states). Both produce the typed `Request` and `World` the engine evaluates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import PolicyError, problem
from .parse import node_map, parse_policies
from .profile import CATEGORIES, normalise_request_value
from .request import Request, World
from .values import ValueFormatError, parse_datetime
from .vocab import DCT, ODRL, expand_curie

REPORT = "https://w3id.org/force/compliance-report#"
_DEONTIC = {REPORT + "Fulfilled": "fulfilled", REPORT + "Violated": "violated", REPORT + "NonSet": "not-set"}

# JSON key -> (Request attribute, left operand used to read it)
_REQUEST_FIELDS = {
    "purpose": ("purpose", ODRL + "purpose"),
    "category": ("category", "https://w3id.org/jnt/odrl/recipientCategory"),
    "recipientCategory": ("category", "https://w3id.org/jnt/odrl/recipientCategory"),
    "industry": ("industry", ODRL + "industry"),
    "deliveryChannel": ("delivery_channel", ODRL + "deliveryChannel"),
    "fileFormat": ("file_format", ODRL + "fileFormat"),
}
_WORLD_KEYS = {"now", "dateTime", "agreementStart", "count", "memberships", "duties", "performed"}


def _read(source: Any) -> tuple[Any, str | None]:
    if isinstance(source, Path):
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(problem("", "unreadable", f"fichier illisible {source} : {exc.strerror}",
                                      f"cannot read {source}: {exc.strerror}")) from exc
        return text, ("turtle" if source.suffix.lower() in (".ttl", ".turtle") else None)
    return source, None


def _as_json(source: Any) -> dict | None:
    """The JSON object of a simple-JSON document, or None when the document is RDF."""
    if isinstance(source, dict):
        return None if "@context" in source or "@graph" in source else source
    if isinstance(source, str) and source.lstrip().startswith("{"):
        try:
            data = json.loads(source)
        except json.JSONDecodeError as exc:
            raise PolicyError(problem("", "malformed-json",
                                      f"JSON mal formé ligne {exc.lineno}, colonne {exc.colno} : {exc.msg}",
                                      f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")) from exc
        return None if isinstance(data, dict) and ("@context" in data or "@graph" in data) else data
    return None


# ---------------------------------------------------------------------------------------------------------------
# Requests


def load_request(source: Any) -> tuple[Request, World | None]:
    """A request, and the state of the world the simple JSON form may carry along (now, count...)."""
    source, fmt = _read(source)
    data = _as_json(source) if fmt is None else None
    if data is not None:
        world = world_from_json(data) if _WORLD_KEYS & data.keys() else None
        return request_from_json(data), world
    return _request_from_rdf(source, fmt), None


def request_from_json(data: dict[str, Any]) -> Request:
    if not isinstance(data, dict):
        raise PolicyError(problem("", "bad-request", "la demande doit être un objet JSON", "the request must be a JSON object"))
    unknown = set(data) - {"action", "assignee", "target", "area", "territory", *_REQUEST_FIELDS, *_WORLD_KEYS}
    if unknown:
        names = ", ".join(sorted(unknown))
        raise PolicyError(problem(names, "unknown-field", f"champ(s) inconnu(s) dans la demande : {names}",
                                  f"unknown field(s) in the request: {names}"))
    request = Request(action=str(data.get("action", "use")), target=data.get("target"), assignee=data.get("assignee"))
    problems = []
    for key, (attr, operand) in _REQUEST_FIELDS.items():
        if data.get(key) is None:
            continue
        value = data[key]
        if key in ("category", "recipientCategory") and isinstance(value, str) and value in CATEGORIES:
            value = CATEGORIES[value]
        try:
            setattr(request, attr, normalise_request_value(operand, value))
        except (ValueError, ValueFormatError) as exc:
            problems.append(problem(key, "bad-value", f"valeur invalide : {exc}", f"invalid value: {exc}"))
    area = data.get("area", data.get("territory"))
    if area is not None:
        from .spatial import read_area

        try:
            request.area = read_area(area)
        except ValueError as exc:
            problems.append(problem("area", "bad-area", f"emprise invalide : {exc}", f"invalid area: {exc}"))
    if problems:
        raise PolicyError(problems)
    return request


def _request_from_rdf(source: Any, fmt: str | None) -> Request:
    requests = [p for p in parse_policies(source, format=fmt, include_requests=True) if p.type == "Request"]
    if len(requests) != 1 or not requests[0].permissions:
        raise PolicyError(problem("", "bad-request",
                                  "le document doit contenir exactement un odrl:Request avec une permission",
                                  "the document must hold exactly one odrl:Request with one permission"))
    rule = requests[0].permissions[0]
    action = rule.action.iri if rule.action else ODRL + "use"
    request = Request(action=action, target=rule.target.iri if rule.target else None,
                      assignee=rule.assignee.iri if rule.assignee else None)
    # Facts stated as `eq` constraints on the request's permission (purpose eq ..., spatial eq ...).
    for constraint in rule.constraints:
        if getattr(constraint, "operator", None) != ODRL + "eq" or not constraint.right_operand:
            continue
        value = constraint.right_operand[0]
        text = getattr(value, "value", None) or getattr(value, "lexical", "")
        for attr, operand in _REQUEST_FIELDS.values():
            if operand == constraint.left_operand:
                setattr(request, attr, normalise_request_value(operand, text))
        if constraint.left_operand == ODRL + "spatial":
            from .spatial import read_area

            request.area = read_area(text)
    return request


# ---------------------------------------------------------------------------------------------------------------
# States of the world


def load_world(source: Any) -> World:
    source, fmt = _read(source)
    data = _as_json(source) if fmt is None else None
    if data is not None:
        return world_from_json(data)
    return _world_from_rdf(source, fmt)


def world_from_json(data: dict[str, Any]) -> World:
    world = World()
    problems = []
    now = data.get("now", data.get("dateTime"))
    try:
        if now is not None:
            world.now = parse_datetime(str(now))
        if data.get("agreementStart") is not None:
            world.agreement_start = parse_datetime(str(data["agreementStart"]))
    except ValueFormatError as exc:
        problems.append(problem("now", "bad-value", f"date invalide : {exc}", f"invalid date: {exc}"))
    count = data.get("count", 0)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        problems.append(problem("count", "bad-count", f"count doit être un entier positif ou nul, pas {count!r}",
                                f"count must be a non-negative whole number, not {count!r}"))
    else:
        world.count = count
    memberships = data.get("memberships", {})
    if not isinstance(memberships, dict):
        problems.append(problem("memberships", "bad-value", "objet {partie: [collections]} attendu",
                                "an object {party: [collections]} is expected"))
    else:
        world.memberships = {k: set(v if isinstance(v, list) else [v]) for k, v in memberships.items()}
    duties = data.get("duties", {})
    for uid, state in (duties.items() if isinstance(duties, dict) else []):
        if state not in ("fulfilled", "violated", "not-set"):
            problems.append(problem(f"duties.{uid}", "bad-value", "état attendu : fulfilled, violated ou not-set",
                                    "expected state: fulfilled, violated or not-set"))
        world.duty_states[uid] = state
    world.performed = {expand_curie(a) if ":" in a else ODRL + a for a in data.get("performed", [])}
    if problems:
        raise PolicyError(problems)
    return world


def _world_from_rdf(source: Any, fmt: str | None) -> World:
    nodes = node_map(source, format=fmt)
    world = World()
    for node in nodes.values():
        node_id = node["@id"]
        issued = node.get(DCT + "issued")
        if issued and node_id.rsplit("/", 1)[-1].rsplit("#", 1)[-1] == "currentTime":
            world.now = parse_datetime(str(issued[0]["@value"]))
        for key, values in node.items():
            if key.endswith("currentTime") and key != "@id" and values and "@value" in values[0]:
                world.now = parse_datetime(str(values[0]["@value"]))
        for collection in node.get(ODRL + "partOf", []):
            if "@id" in collection:
                world.memberships.setdefault(node_id, set()).add(collection["@id"])
        if REPORT + "DutyReport" in node.get("@type", []) or REPORT + "ObligationReport" in node.get("@type", []):
            rules = node.get(REPORT + "rule", [])
            states = node.get(REPORT + "deonticState", [])
            if rules and states and "@id" in rules[0]:
                state = _DEONTIC.get(states[0].get("@id", ""))
                if state:
                    world.duty_states[rules[0]["@id"]] = state
    return world
