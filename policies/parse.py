"""Reading ODRL 2.2 policies into the typed model, from JSON-LD (W3C ODRL context, DSP 2025-1 context, expanded
form) or Turtle. Both formats are first turned into one flat node map keyed by node id, then one walker builds
the model and checks it against the JNT profile: every problem is collected with the path of the element at
fault (`permission[0].constraint[1].leftOperand`), so a user sees them all at once."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from . import jsonld as jld
from .errors import PolicyError, Problem, problem
from .model import (
    IRI,
    Action,
    AnyConstraint,
    Asset,
    Constraint,
    Literal,
    LogicalConstraint,
    Party,
    Policy,
    Rule,
    RuleKind,
    Value,
)
from .profile import LEFT_OPERANDS, OperandValueError
from .values import JSON_LITERAL
from .vocab import (
    CONFLICT_TERMS,
    DCT,
    DSPACE,
    LOGICAL_OPERATORS,
    ODRL,
    OPERATORS,
    POLICY_CLASSES,
    RDF,
    XSD,
    expand_curie,
    short,
)

Node = dict[str, Any]
NodeMap = dict[str, Node]

_RULE_PROPS = (("permission", RuleKind.PERMISSION), ("prohibition", RuleKind.PROHIBITION),
               ("obligation", RuleKind.OBLIGATION))


# ---------------------------------------------------------------------------------------------------------------
# Entry points


def parse_policy(source: Any, *, format: str | None = None, include_requests: bool = False) -> Policy:
    """Exactly one policy from a document (dict/list/JSON text/Turtle text/Path)."""
    policies = parse_policies(source, format=format, include_requests=include_requests)
    if len(policies) != 1:
        uids = ", ".join(p.uid for p in policies)
        raise PolicyError(problem("", "policy-count",
                                  f"le document contient {len(policies)} politiques ({uids}), une seule est attendue",
                                  f"the document holds {len(policies)} policies ({uids}); exactly one is expected"))
    return policies[0]


# Parsed JSON documents, by their canonical JSON: a connector reads the same offers again and again (each request
# quotes one), and JSON-LD flattening costs far more than the lookup. The model is immutable; errors are not cached.
_PARSED: OrderedDict[tuple[str, bool], tuple[Policy, ...]] = OrderedDict()
_PARSED_MAX = 512
_PARSED_LOCK = threading.Lock()


def parse_policies(source: Any, *, format: str | None = None, include_requests: bool = False) -> list[Policy]:
    if isinstance(source, (dict, list)) and format in (None, "json-ld"):
        try:
            key = (json.dumps(source, sort_keys=True, separators=(",", ":"), ensure_ascii=False), include_requests)
        except (TypeError, ValueError):  # not plain JSON: parse it (and report it) without the cache
            return _parse_policies(source, format, include_requests)
        with _PARSED_LOCK:
            cached = _PARSED.get(key)
            if cached is not None:
                _PARSED.move_to_end(key)
                return list(cached)
        parsed = _parse_policies(source, format, include_requests)
        with _PARSED_LOCK:
            _PARSED[key] = tuple(parsed)
            while len(_PARSED) > _PARSED_MAX:
                _PARSED.popitem(last=False)
        return parsed
    return _parse_policies(source, format, include_requests)


def _parse_policies(source: Any, format: str | None, include_requests: bool) -> list[Policy]:
    nodes = node_map(source, format=format)
    walker = _Walker(nodes)
    policies = walker.policies(include_requests=include_requests)
    if walker.problems:
        raise PolicyError(walker.problems)
    if not policies:
        raise PolicyError(problem("", "no-policy", "aucune politique ODRL (Set, Offer, Agreement…) dans le document",
                                  "no ODRL policy (Set, Offer, Agreement…) found in the document"))
    return policies


def node_map(source: Any, *, format: str | None = None) -> NodeMap:
    """The flat node map of a JSON-LD or Turtle document (format sniffed when not given)."""
    if isinstance(source, Path):
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(problem("", "unreadable", f"fichier illisible {source} : {exc.strerror}",
                                      f"cannot read {source}: {exc.strerror}")) from exc
        if format is None and source.suffix.lower() in (".ttl", ".turtle"):
            format = "turtle"
        source = text
    if isinstance(source, bytes):
        source = source.decode("utf-8")
    if isinstance(source, str):
        if format is None:
            format = "json-ld" if source.lstrip()[:1] in ("{", "[") else "turtle"
        if format == "turtle":
            return _turtle_nodes(source)
        try:
            source = json.loads(source)
        except json.JSONDecodeError as exc:
            raise PolicyError(problem("", "malformed-json",
                                      f"JSON mal formé ligne {exc.lineno}, colonne {exc.colno} : {exc.msg}",
                                      f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")) from exc
    return _jsonld_nodes(source)


def _jsonld_nodes(doc: Any) -> NodeMap:
    try:
        flat = jld.flatten(doc)
    except jld.JsonLdError as exc:
        detail = _jsonld_reason(exc)
        raise PolicyError(problem("", "malformed-jsonld", f"JSON-LD invalide : {detail}",
                                  f"invalid JSON-LD: {detail}")) from exc
    return {node["@id"]: node for node in flat if "@id" in node}


def _jsonld_reason(exc: Exception) -> str:
    current: Any = exc
    messages = []
    while current is not None:
        if isinstance(current, jld.ContextNotShipped):
            return str(current)
        args = getattr(current, "args", ())
        msg = args[0] if args and isinstance(args[0], str) else str(current).splitlines()[0]
        code = getattr(current, "code", None)
        messages.append(f"{msg} ({code})" if code else msg)
        current = getattr(current, "cause", None) or current.__cause__
    return messages[-1] if messages else str(exc)


def _turtle_nodes(text: str) -> NodeMap:
    import rdflib  # only the Turtle path needs rdflib; JSON-LD policies never load it

    graph = rdflib.Graph()
    try:
        with _LITERALS_AS_WRITTEN:
            graph.parse(data=text, format="turtle")
    except Exception as exc:  # rdflib raises several unrelated types for syntax errors
        reason = str(exc).strip().splitlines()
        detail = " ".join(line.strip() for line in reason[:3])
        raise PolicyError(problem("", "malformed-turtle", f"Turtle invalide : {detail}",
                                  f"invalid Turtle: {detail}")) from exc

    def key(term) -> str:
        return f"_:{term}" if isinstance(term, rdflib.BNode) else str(term)

    list_nodes: set = set()

    def value(term) -> dict[str, Any]:
        if isinstance(term, rdflib.Literal):
            out: dict[str, Any] = {"@value": str(term)}
            if term.datatype is not None:
                out["@type"] = str(term.datatype)
            if term.language:
                out["@language"] = term.language
            return out
        if isinstance(term, rdflib.BNode) and (term, rdflib.RDF.first, None) in graph:
            items = []
            for node in rdflib.collection.Collection(graph, term):
                items.append(value(node))
            current = term
            while current and current != rdflib.RDF.nil:
                list_nodes.add(current)
                current = graph.value(current, rdflib.RDF.rest)
            return {"@list": items}
        return {"@id": key(term)}

    nodes: NodeMap = {}
    # RDF graphs are unordered: sort the triples so that rules and constraints (and so explanations) always come
    # out in the same order for the same document.
    for s, p, o in sorted(graph, key=lambda triple: tuple(str(t) for t in triple)):
        node = nodes.setdefault(key(s), {"@id": key(s)})
        if p == rdflib.RDF.type:
            node.setdefault("@type", []).append(str(o))
        else:
            node.setdefault(str(p), []).append(value(o))
    for item in list_nodes:
        nodes.pop(key(item), None)
    return nodes


class _LiteralsAsWritten:
    """Keep literals' lexical forms as written while rdflib parses (it normalises `...Z` to `+00:00` otherwise);
    the switch is a module global of rdflib, so it is held under a lock."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()

    def __enter__(self) -> None:
        import rdflib

        self._lock.acquire()
        self._saved = rdflib.NORMALIZE_LITERALS
        rdflib.NORMALIZE_LITERALS = False

    def __exit__(self, *exc: object) -> None:
        import rdflib

        rdflib.NORMALIZE_LITERALS = self._saved
        self._lock.release()


_LITERALS_AS_WRITTEN = _LiteralsAsWritten()


# ---------------------------------------------------------------------------------------------------------------
# The walker


class _Walker:
    def __init__(self, nodes: NodeMap):
        self.nodes = nodes
        self.problems: list[Problem] = []

    # -- helpers ---------------------------------------------------------------------------------------------
    def err(self, path: str, code: str, fr: str, en: str) -> None:
        self.problems.append(problem(path, code, fr, en))

    def values(self, node: Node, name: str) -> list[Any]:
        out = node.get(ODRL + name, [])
        result = []
        for item in out:
            if isinstance(item, dict) and "@list" in item:
                result.extend(item["@list"])
            else:
                result.append(item)
        return result

    def deref(self, item: Any) -> Node | None:
        if isinstance(item, dict) and "@id" in item:
            return self.nodes.get(item["@id"], {"@id": item["@id"]})
        return None

    def types(self, node: Node) -> list[str]:
        return node.get("@type", [])

    def term(self, item: Any, path: str, what: str) -> str | None:
        """An IRI naming a vocabulary term, tolerant of the ways JSON-LD producers write it."""
        if isinstance(item, dict) and "@id" in item:
            iri = expand_curie(item["@id"])
            if iri.startswith("_:"):
                self.err(path, "blank-term", f"{what} : un nœud anonyme n'est pas un terme", f"{what}: a blank node is not a term")
                return None
            return iri
        if isinstance(item, dict) and isinstance(item.get("@value"), str):
            text = item["@value"].strip()
            if ":" in text:
                return expand_curie(text)
            if text:
                return ODRL + text
        self.err(path, "bad-term", f"{what} : valeur inattendue {_show(item)}", f"{what}: unexpected value {_show(item)}")
        return None

    def ref(self, item: Any, path: str, what: str) -> str | None:
        """An IRI identifying a party or asset (a string literal is taken as the identifier it spells)."""
        if isinstance(item, dict) and "@id" in item:
            return item["@id"]
        if isinstance(item, dict) and isinstance(item.get("@value"), str):
            return item["@value"].strip()
        self.err(path, "bad-reference", f"{what} : identifiant attendu, trouvé {_show(item)}",
                 f"{what}: an identifier is expected, found {_show(item)}")
        return None

    # -- policies --------------------------------------------------------------------------------------------
    def policies(self, include_requests: bool) -> list[Policy]:
        found: list[tuple[Node, str]] = []
        for node in self.nodes.values():
            kinds = [POLICY_CLASSES[t] for t in self.types(node) if t in POLICY_CLASSES]
            if kinds:
                kind = next((k for k in kinds if k != "Set"), kinds[0])
                if kind == "Request" and not include_requests:
                    continue
                found.append((node, kind))
        if not found:
            referenced = {v["@id"] for n in self.nodes.values() for p, vs in n.items() if p != "@id"
                          for v in (vs if isinstance(vs, list) else []) if isinstance(v, dict) and "@id" in v}
            for node in self.nodes.values():
                has_rules = any(ODRL + name in node for name, _ in _RULE_PROPS)
                if has_rules and node["@id"] not in referenced:
                    found.append((node, "Set"))
        return [self.policy(node, kind) for node, kind in found]

    def policy(self, node: Node, kind: str) -> Policy:
        uid = node["@id"]
        base = "" if len(self.nodes) < 2 else ""
        if uid.startswith("_:"):
            self.err(base or "@id", "missing-uid", "la politique n'a pas d'identifiant (@id / uid)",
                     "the policy has no identifier (@id / uid)")
        rules: dict[RuleKind, list[Rule]] = {k: [] for _, k in _RULE_PROPS}
        for name, rule_kind in _RULE_PROPS:
            for i, item in enumerate(self.values(node, name)):
                rule_node = self.deref(item)
                undescribed = rule_node is not None and len(rule_node) == 1 and not rule_node["@id"].startswith("_:")
                if rule_node is None or undescribed:  # a literal, or a reference to a rule nothing describes
                    self.err(f"{name}[{i}]", "bad-rule", f"règle attendue, pas {_show(item)}",
                             f"a rule is expected, not {_show(item)}")
                    continue
                rules[rule_kind].append(self.rule(rule_node, rule_kind, f"{name}[{i}]"))
        if not any(rules.values()) and kind != "Request":
            self.err("", "no-rule", "la politique n'a ni permission, ni interdiction, ni obligation",
                     "the policy has no permission, prohibition or obligation")
        conflict = None
        conflicts = self.values(node, "conflict")
        if conflicts:
            term = self.term(conflicts[0], "conflict", "conflict")
            if term is not None and term not in CONFLICT_TERMS:
                self.err("conflict", "unknown-conflict", f"stratégie de conflit inconnue {short(term)} (perm, prohibit, invalid)",
                         f"unknown conflict strategy {short(term)} (perm, prohibit, invalid)")
            conflict = CONFLICT_TERMS.get(term or "")
        timestamp = None
        for prop in (ODRL + "timestamp", DSPACE + "timestamp", DCT + "issued"):
            if node.get(prop):
                timestamp = str(node[prop][0].get("@value", ""))
                break
        metadata = {}
        for prop in (DCT + "description", DCT + "title"):
            if node.get(prop):
                metadata[short(prop)] = str(node[prop][0].get("@value", ""))
        return Policy(
            uid=uid,
            type=kind,
            permissions=tuple(rules[RuleKind.PERMISSION]),
            prohibitions=tuple(rules[RuleKind.PROHIBITION]),
            obligations=tuple(rules[RuleKind.OBLIGATION]),
            targets=tuple(self.assets(node, "target", "target")),
            assigners=tuple(self.parties(node, "assigner", "assigner")),
            assignees=tuple(self.parties(node, "assignee", "assignee")),
            actions=tuple(self.actions(node, "action")),
            profiles=tuple(i for i in (self.ref(v, "profile", "profile") for v in self.values(node, "profile")) if i),
            inherit_from=tuple(i for i in (self.ref(v, "inheritFrom", "inheritFrom")
                                           for v in self.values(node, "inheritFrom")) if i),
            conflict=conflict,
            timestamp=timestamp,
            metadata=metadata,
        )

    # -- rules -----------------------------------------------------------------------------------------------
    def rule(self, node: Node, kind: RuleKind, path: str) -> Rule:
        uid = None if node["@id"].startswith("_:") else node["@id"]
        duties: list[Rule] = []
        remedies: list[Rule] = []
        consequences: list[Rule] = []
        for name, bucket, allowed in (("duty", duties, kind is RuleKind.PERMISSION),
                                      ("remedy", remedies, kind is RuleKind.PROHIBITION),
                                      ("consequence", consequences, kind in (RuleKind.DUTY, RuleKind.OBLIGATION))):
            items = self.values(node, name)
            if items and not allowed:
                self.err(f"{path}.{name}", "misplaced", f"« {name} » n'est pas permis sur une règle {kind.value}",
                         f"'{name}' is not allowed on a {kind.value} rule")
                continue
            for i, item in enumerate(items):
                child = self.deref(item)
                if child is not None:
                    bucket.append(self.rule(child, RuleKind.DUTY, f"{path}.{name}[{i}]"))
        actions = self.actions(node, path)
        if len(actions) > 1 and kind is RuleKind.DUTY:
            pass  # several actions on a duty are split by atomic expansion like any rule
        return Rule(
            kind=kind,
            uid=uid,
            actions=tuple(actions),
            targets=tuple(self.assets(node, "target", f"{path}.target")),
            assignees=tuple(self.parties(node, "assignee", f"{path}.assignee")),
            assigners=tuple(self.parties(node, "assigner", f"{path}.assigner")),
            constraints=tuple(self.constraints(self.values(node, "constraint"), f"{path}.constraint")),
            duties=tuple(duties),
            remedies=tuple(remedies),
            consequences=tuple(consequences),
            informed_parties=tuple(self.parties(node, "informedParty", f"{path}.informedParty")),
        )

    def actions(self, node: Node, path: str) -> list[Action]:
        out = []
        for i, item in enumerate(self.values(node, "action")):
            apath = f"{path}.action" if path else "action"
            if isinstance(item, dict) and "@id" in item and item["@id"].startswith("_:"):
                inner = self.nodes.get(item["@id"], {})
                names = inner.get(RDF + "value") or inner.get(ODRL + "action") or []
                if not names:
                    self.err(apath, "bad-action", "action raffinée sans rdf:value", "refined action without rdf:value")
                    continue
                iri = self.term(names[0], apath, "action")
                refinements = self.constraints(self.values(inner, "refinement"), f"{apath}.refinement")
                if iri:
                    out.append(Action(iri, tuple(refinements)))
            else:
                iri = self.term(item, apath + (f"[{i}]" if i else ""), "action")
                if iri:
                    out.append(Action(iri))
        return out

    def parties(self, node: Node, name: str, path: str) -> list[Party]:
        out = []
        for item in self.values(node, name):
            iri = self.ref(item, path, name)
            if iri is None:
                continue
            desc = self.nodes.get(iri, {})
            collection = ODRL + "PartyCollection" in self.types(desc) or ODRL + "refinement" in desc
            source = desc.get(ODRL + "source", [{}])[0].get("@id") if desc.get(ODRL + "source") else None
            refinements = self.constraints(self.values(desc, "refinement"), f"{path}.refinement") if desc else []
            out.append(Party(None if iri.startswith("_:") else iri, collection or bool(refinements),
                             tuple(refinements), source))
        return out

    def assets(self, node: Node, name: str, path: str) -> list[Asset]:
        out = []
        for item in self.values(node, name):
            iri = self.ref(item, path, name)
            if iri is None:
                continue
            desc = self.nodes.get(iri, {})
            collection = ODRL + "AssetCollection" in self.types(desc) or ODRL + "refinement" in desc
            source = desc.get(ODRL + "source", [{}])[0].get("@id") if desc.get(ODRL + "source") else None
            refinements = self.constraints(self.values(desc, "refinement"), f"{path}.refinement") if desc else []
            out.append(Asset(None if iri.startswith("_:") else iri, collection or bool(refinements),
                             tuple(refinements), source))
        return out

    # -- constraints -----------------------------------------------------------------------------------------
    def constraints(self, items: list[Any], path: str) -> list[AnyConstraint]:
        out = []
        for i, item in enumerate(items):
            node = self.deref(item)
            if node is None:
                self.err(f"{path}[{i}]", "bad-constraint", f"contrainte attendue, trouvé {_show(item)}",
                         f"a constraint is expected, found {_show(item)}")
                continue
            built = self.constraint(node, f"{path}[{i}]")
            if built is not None:
                out.append(built)
        return out

    def constraint(self, node: Node, path: str) -> AnyConstraint | None:
        uid = None if node["@id"].startswith("_:") else node["@id"]
        logical = [op for op in LOGICAL_OPERATORS if op in node]
        if logical:
            if len(logical) > 1 or ODRL + "leftOperand" in node:
                self.err(path, "ambiguous-logical",
                         "une contrainte logique a exactement un opérateur (and, or, xone, andSequence) et pas d'opérande gauche",
                         "a logical constraint has exactly one operator (and, or, xone, andSequence) and no left operand")
                return None
            op = logical[0]
            name = short(op)
            raw = node[op]
            items = []
            for entry in raw:
                items.extend(entry["@list"] if isinstance(entry, dict) and "@list" in entry else [entry])
            operands = self.constraints(items, f"{path}.{name}")
            if not operands:
                self.err(f"{path}.{name}", "empty-logical", f"la contrainte « {name} » n'a aucune opérande",
                         f"logical constraint '{name}' has no operand")
                return None
            return LogicalConstraint(op, tuple(operands), uid)

        lefts = node.get(ODRL + "leftOperand", [])
        ops = node.get(ODRL + "operator", [])
        if len(lefts) != 1:
            self.err(f"{path}.leftOperand", "missing-left-operand" if not lefts else "several-left-operands",
                     "une contrainte a exactement un leftOperand", "a constraint has exactly one leftOperand")
            return None
        if len(ops) != 1:
            self.err(f"{path}.operator", "missing-operator" if not ops else "several-operators",
                     "une contrainte a exactement un operator", "a constraint has exactly one operator")
            return None
        left = self.term(lefts[0], f"{path}.leftOperand", "leftOperand")
        operator = self.term(ops[0], f"{path}.operator", "operator")
        if left is None or operator is None:
            return None
        ok = True
        spec = LEFT_OPERANDS.get(left)
        if spec is None:
            known = ", ".join(sorted(s.name for s in LEFT_OPERANDS.values()))
            self.err(f"{path}.leftOperand", "unknown-left-operand",
                     f"opérande gauche inconnue « {short(left)} » : le profil JNT connaît {known}",
                     f"unknown left operand '{short(left)}': the JNT profile knows {known}")
            ok = False
        if operator not in OPERATORS:
            self.err(f"{path}.operator", "unknown-operator",
                     f"opérateur inconnu « {short(operator)} » : eq, neq, lt, lteq, gt, gteq, isA, hasPart, isPartOf, isAllOf, isAnyOf, isNoneOf",
                     f"unknown operator '{short(operator)}': eq, neq, lt, lteq, gt, gteq, isA, hasPart, isPartOf, isAllOf, isAnyOf, isNoneOf")
            ok = False
        elif spec is not None and operator not in spec.operators:
            allowed = ", ".join(sorted(short(o) for o in spec.operators))
            self.err(f"{path}.operator", "operator-not-allowed",
                     f"l'opérateur « {short(operator)} » ne s'applique pas à « {spec.name} » (permis : {allowed})",
                     f"operator '{short(operator)}' does not apply to '{spec.name}' (allowed: {allowed})")
            ok = False

        rights_raw = self.values(node, "rightOperand")
        refs_raw = node.get(ODRL + "rightOperandReference", [])
        if rights_raw and refs_raw:
            self.err(path, "both-right-operands",
                     "une contrainte a soit rightOperand soit rightOperandReference, pas les deux",
                     "a constraint has either rightOperand or rightOperandReference, not both")
            return None
        if not rights_raw and not refs_raw:
            self.err(f"{path}.rightOperand", "missing-right-operand", "rightOperand manquant", "rightOperand is missing")
            return None
        reference = None
        rights: list[Value] = []
        if refs_raw:
            reference = str(refs_raw[0].get("@id") or refs_raw[0].get("@value"))
            if spec is not None and spec.iri not in (ODRL + "spatial", ODRL + "purpose"):
                self.err(f"{path}.rightOperandReference", "unsupported-reference",
                         "rightOperandReference n'est accepté que pour spatial (territoire) et purpose ; donnez la valeur dans rightOperand",
                         "rightOperandReference is only accepted for spatial (territory) and purpose; give the value in rightOperand")
                return None
            rights = [IRI(reference)]
        else:
            for item in rights_raw:
                value = _value(item)
                if value is None:
                    self.err(f"{path}.rightOperand", "bad-right-operand", f"valeur inattendue {_show(item)}",
                             f"unexpected value {_show(item)}")
                    return None
                rights.append(value)
        if ok and spec is not None:
            single = (ODRL + "eq", ODRL + "neq", ODRL + "lt", ODRL + "lteq", ODRL + "gt", ODRL + "gteq")
            if operator in single and len(rights) > 1:
                self.err(f"{path}.rightOperand", "one-value-expected",
                         f"l'opérateur « {short(operator)} » compare à une seule valeur, {len(rights)} données",
                         f"operator '{short(operator)}' compares with one value, {len(rights)} given")
                ok = False
            for value in rights:
                try:
                    spec.read_right(value)
                except OperandValueError as exc:
                    self.err(f"{path}.rightOperand", "bad-value",
                             f"valeur invalide pour « {spec.name} » : {exc}", f"invalid value for '{spec.name}': {exc}")
                    ok = False
        if not ok:
            return None
        data_type = _first_id_or_value(node.get(ODRL + "dataType") or node.get(ODRL + "datatype"))
        unit = _first_id_or_value(node.get(ODRL + "unit"))
        status = _value(node[ODRL + "status"][0]) if node.get(ODRL + "status") else None
        return Constraint(left, operator, tuple(rights), reference, data_type, unit, status, uid)


def _first_id_or_value(items: list | None) -> str | None:
    if not items:
        return None
    item = items[0]
    return str(item.get("@id") or item.get("@value"))


def _value(item: Any) -> Value | None:
    if not isinstance(item, dict):
        return None
    if "@id" in item:
        return IRI(item["@id"])
    if "@value" not in item:
        return None
    raw = item["@value"]
    dtype = item.get("@type")
    if dtype == "@json":
        return Literal(json.dumps(raw), JSON_LITERAL)
    if isinstance(raw, bool):
        return Literal("true" if raw else "false", XSD + "boolean")
    if isinstance(raw, int):
        return Literal(str(raw), dtype or XSD + "integer")
    if isinstance(raw, float):
        return Literal(repr(raw), dtype or XSD + "double")
    if not isinstance(raw, str):
        return None
    return Literal(raw, dtype, item.get("@language"))


def _show(item: Any) -> str:
    text = json.dumps(item, ensure_ascii=False) if not isinstance(item, str) else item
    return text if len(text) < 80 else text[:77] + "..."
