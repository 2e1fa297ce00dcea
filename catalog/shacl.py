"""SHACL validation of characterisation sheets: the official DCAT-AP 3.0.0 shapes plus the project's JNT shapes
(mandatory fields of the 10 criteria, controlled vocabularies), run by pySHACL, with a report that speaks of the
sheet's fields in French or English ("C5 Licence — Licence : champ obligatoire manquant") and keeps the SHACL
details (path, focus node, source shape) for experts.

Both shapes files and the controlled vocabularies that type the values (`catalog/data/`) are parsed once per
process and the pySHACL shapes graph is reused, so validating a sheet costs only the validation itself. The data
graph under validation is the sheet's graph, plus the vocabulary descriptions of the IRIs it uses, plus
`rdf:type rdfs:Resource` for every resource — the one RDFS entailment the DCAT-AP shapes rely on
(`dcat:accessURL` has `sh:class rdfs:Resource`), added directly rather than by running a full RDFS closure."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, Literal

from pydantic import BaseModel
from pyshacl import ShapesGraph, Validator
from pyshacl.graph_abstraction import DataGraph
from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from .dcat import JNT, NodeIndex, SheetMappingError, build_graph, find_datasets, join_path, read_fields
from .geoconcepts import Registry
from .sheet import CRITERIA, Sheet

Severity = Literal["violation", "warning", "info"]
OFFICIAL_SHAPES = "dcat-ap-3.0.0-SHACL.ttl"
JNT_SHAPES = "jnt-shapes.ttl"
VOCABULARIES = "controlled-vocabularies.ttl"
JNT_SHAPES_NS = "https://w3id.org/jnt/shapes/sheet#"
PLACEHOLDER_ID = "urn:jnt:sheet:without-iri"

_SEVERITIES: dict[Node, Severity] = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
_MISSING = {SH.MinCountConstraintComponent, SH.QualifiedMinCountConstraintComponent}
_TOP_LABELS = {"id": ("Identifiant (IRI) du jeu de données", "Dataset identifier (IRI)"),
               "language": ("Langue de la fiche", "Sheet language")}


class SheetProblem(BaseModel):
    """One thing to fix, said in the sheet's words; `shacl_path`, `focus_node` and `source_shape` are for experts."""

    field: str  # sheet path, e.g. "licence.licence", "access.distributions[0].format"; "" if unknown
    label: str  # the field's label, e.g. "Licence"
    criterion: str  # e.g. "C5 Licence"; "" if the field is not part of a criterion
    severity: Severity
    message: str  # « C5 Licence — Licence : champ obligatoire manquant »
    messages: dict[str, str] = {}  # the message in each language ("fr", "en"), for to_text
    value: str | None = None
    shacl_path: str | None = None
    focus_node: str | None = None
    source_shape: str | None = None
    shapes: Literal["jnt", "dcat-ap"] = "jnt"


class SheetReport(BaseModel):
    conforms: bool  # no violation (warnings and infos do not prevent publication)
    problems: list[SheetProblem]
    lang: str = "fr"

    @property
    def violations(self) -> list[SheetProblem]:
        return [p for p in self.problems if p.severity == "violation"]

    @property
    def warnings(self) -> list[SheetProblem]:
        return [p for p in self.problems if p.severity == "warning"]

    def fields(self, severity: Severity | None = "violation") -> list[str]:
        return [p.field for p in self.problems if severity is None or p.severity == severity]

    def to_text(self, lang: str | None = None) -> str:
        return to_text(self, lang)


# --- shapes, loaded once ------------------------------------------------------------------------------------------


def _data_file(*parts: str) -> str:
    return (files("catalog") / "data").joinpath(*parts).read_text(encoding="utf-8")


@dataclass(frozen=True)
class _Shapes:
    graph: Graph  # official + JNT shapes, for reading annotations (jnt:sheetField, sh:message…)
    shapes_graph: ShapesGraph  # pySHACL's parsed form, reused by every validation
    official: frozenset[Node]  # shapes that come from the official DCAT-AP file


_lock = threading.Lock()


@cache
def _load_shapes(which: str) -> _Shapes:
    graph = Graph()
    official = Graph()
    if which in ("all", "dcat-ap"):
        official.parse(data=_data_file("shapes", OFFICIAL_SHAPES), format="turtle")
        graph += official
    if which in ("all", "jnt"):
        graph.parse(data=_data_file("shapes", JNT_SHAPES), format="turtle")
    shapes_graph = ShapesGraph(graph)
    _ = shapes_graph.shapes  # parse the shapes now, not during the first validation
    return _Shapes(graph, shapes_graph, frozenset(official.subjects()))


@cache
def _vocabularies() -> Graph:
    return Graph().parse(data=_data_file("vocab", VOCABULARIES), format="turtle")


def warm_up() -> None:
    """Load and parse the shapes and vocabularies now (an app factory calls this at start-up)."""
    _load_shapes("all")
    _vocabularies()


# --- validation --------------------------------------------------------------------------------------------------


def _data_graph(graph: Graph) -> Graph:
    """The graph under validation: the sheet, the vocabulary descriptions of the IRIs it uses (and of the IRIs
    those descriptions use: schemes, licence types…), and rdf:type rdfs:Resource for every resource."""
    data = Graph()
    for triple in graph:
        data.add(triple)
    vocab = _vocabularies()
    resources = {n for s, _p, o in graph for n in (s, o) if not isinstance(n, RdfLiteral)}
    frontier = [n for n in resources if isinstance(n, URIRef)]
    seen = set(frontier)
    while frontier:
        node = frontier.pop()
        for triple in vocab.triples((node, None, None)):
            data.add(triple)
            obj = triple[2]
            if isinstance(obj, URIRef) and obj not in seen:
                seen.add(obj)
                frontier.append(obj)
    for node in resources | seen:
        data.add((node, RDF.type, RDFS.Resource))
    return data


def _run(data: Graph, which: str) -> tuple[Graph, _Shapes]:
    shapes = _load_shapes(which)
    options = {"inference": "none", "allow_warnings": True, "allow_infos": True}
    validator = Validator(DataGraph.from_rdflib(data), shacl_graph=Graph(), options=options)
    # pySHACL builds a ShapesGraph from the graph it is given; hand it the cached, already parsed one instead
    # (tests/catalog/test_shacl_*.py fail if a pySHACL upgrade changes this attribute).
    validator.shacl_graph = shapes.shapes_graph
    with _lock:  # pySHACL's shape objects keep per-run state
        _conforms, report, _text = validator.run()
    return report, shapes


def validate_sheet(sheet: Sheet, lang: str = "fr", *, registry: Registry | None = None,
                   shapes: str = "all") -> SheetReport:
    """Validate a sheet against DCAT-AP 3.0.0 and the JNT shapes (`shapes`: "all", "dcat-ap" or "jnt")."""
    problems: list[SheetProblem] = []
    try:
        graph, index = build_graph(sheet, registry)
    except SheetMappingError as exc:  # an id that is not an IRI: say so, and check the rest anyway
        label = _TOP_LABELS["id"][0 if lang == "fr" else 1]
        messages = {"fr": f"{_TOP_LABELS['id'][0]} : {exc}", "en": f"{_TOP_LABELS['id'][1]}: {exc}"}
        problems.append(SheetProblem(field="id", label=label, criterion="", severity="violation",
                                     message=messages.get(lang, messages["en"]), messages=messages, value=sheet.id))
        graph, index = build_graph(sheet.model_copy(update={"id": PLACEHOLDER_ID}), registry)
    report, loaded = _run(_data_graph(graph), shapes)
    problems.extend(_problems(report, loaded, index, lang))
    return _report(problems, lang)


def validate_graph(graph: Graph, lang: str = "fr", *, shapes: str = "all") -> SheetReport:
    """Validate raw DCAT RDF (from an import, a harvested catalogue…). Fields are named where the graph can be read
    as sheets (one per dcat:Dataset); other problems keep their SHACL path."""
    index = NodeIndex()
    for dataset in find_datasets(graph):
        if isinstance(dataset, URIRef):
            try:
                _fields, found = read_fields(graph, str(dataset))
            except SheetMappingError:
                continue
            for node, place in found.nodes.items():
                index.nodes.setdefault(node, place)
            for triple, path in found.values.items():
                index.values.setdefault(triple, path)
    report, loaded = _run(_data_graph(graph), shapes)
    return _report(_problems(report, loaded, index, lang), lang)


def _report(problems: list[SheetProblem], lang: str) -> SheetReport:
    order = {code: i for i, (code, _fr, _en) in enumerate(CRITERIA.values())}
    severity_order = {"violation": 0, "warning": 1, "info": 2}
    problems.sort(key=lambda p: (order.get(p.criterion.split(" ", 1)[0], 99), _field_sort_key(p.field),
                                 severity_order[p.severity]))
    conforms = not any(p.severity == "violation" for p in problems)
    return SheetReport(conforms=conforms, problems=problems, lang=lang)


def _field_sort_key(field: str) -> tuple:
    """Fields in the order of the sheet model (title before description…), list items by position."""
    key: list[int] = []
    model: type[BaseModel] | None = Sheet
    for segment in field.split("."):
        name, _, rest = segment.partition("[")
        names = list(model.model_fields) if model is not None else []
        first = name.split("|", 1)[0]
        key.append(names.index(first) if first in names else len(names))
        key.append(int(rest.rstrip("]")) if rest.rstrip("]").isdigit() else -1)
        info = model.model_fields.get(first) if model is not None else None
        model = _inner_model(info.annotation) if info is not None else None
    return tuple(key)


# --- from SHACL results to sheet problems ------------------------------------------------------------------------


@dataclass
class _Result:
    focus: Node
    path: Node | None
    value: Node | None
    source: Node
    component: Node
    severity: Severity


def _results(report: Graph) -> Iterable[_Result]:
    for result in report.subjects(RDF.type, SH.ValidationResult):
        yield _Result(
            focus=report.value(result, SH.focusNode),
            path=report.value(result, SH.resultPath),
            value=report.value(result, SH.value),
            source=report.value(result, SH.sourceShape),
            component=report.value(result, SH.sourceConstraintComponent),
            severity=_SEVERITIES.get(report.value(result, SH.resultSeverity), "violation"),
        )


def _problems(report: Graph, shapes: _Shapes, index: NodeIndex, lang: str) -> list[SheetProblem]:
    kept: dict[tuple, SheetProblem] = {}
    severity_order = {"violation": 0, "warning": 1, "info": 2}
    for result in _results(report):
        problem = _problem(result, shapes, index, lang)
        missing = result.component in _MISSING or _missing_when_violated(shapes, result)
        key = (problem.field or problem.shacl_path, "missing" if missing else problem.value,
               problem.field == "" and problem.focus_node)
        previous = kept.get(key)
        rank = (severity_order[problem.severity], problem.shapes != "jnt")
        if previous is None or rank < (severity_order[previous.severity], previous.shapes != "jnt"):
            kept[key] = problem
    return list(kept.values())


def _missing_when_violated(shapes: _Shapes, result: _Result) -> bool:
    return shapes.graph.value(result.source, JNT.missingWhenViolated) is not None


def _problem(result: _Result, shapes: _Shapes, index: NodeIndex, lang: str) -> SheetProblem:
    declared = shapes.graph.value(result.source, JNT.sheetField)
    predicate = result.path if isinstance(result.path, URIRef) else None
    field = None
    if result.value is not None and predicate is not None:
        field = index.values.get((result.focus, predicate, result.value))
    if field is None and declared is not None:
        place = index.nodes.get(result.focus, ("", ""))[1]
        field = join_path(place, str(declared))
    if field is None:
        field = index.field_of(result.focus, predicate, result.value) or ""
    messages = {}
    for language in ("fr", "en"):
        _label, display = field_label(field, language)
        if not display:  # not a sheet field (raw RDF): name the node and the property
            path = _curie(shapes.graph, result.path) if result.path is not None else ""
            display = " › ".join(x for x in (_show(result.focus, language), path) if x)
        criterion = criterion_of(field, language)
        separator = " : " if language == "fr" else ": "
        messages[language] = (f"{criterion + ' — ' if criterion else ''}{display}{separator}"
                              f"{_detail(result, shapes, language)}")
    label = field_label(field, lang)[0] or (_curie(shapes.graph, result.path) if result.path is not None else "")
    return SheetProblem(
        field=field, label=label, criterion=criterion_of(field, lang), severity=result.severity,
        message=messages.get(lang, messages["en"]), messages=messages,
        value=_show(result.value, lang) if result.value is not None else None,
        shacl_path=_curie(shapes.graph, result.path) if result.path is not None else None,
        focus_node=str(result.focus) if result.focus is not None else None,
        source_shape=str(result.source) if isinstance(result.source, URIRef) else None,
        shapes="dcat-ap" if result.source in shapes.official else "jnt",
    )


def _detail(result: _Result, shapes: _Shapes, lang: str) -> str:
    fr = lang == "fr"
    component = result.component
    if component in _MISSING or _missing_when_violated(shapes, result):
        if result.severity == "violation":
            return "champ obligatoire manquant" if fr else "mandatory field missing"
        return "champ recommandé manquant" if fr else "recommended field missing"
    if component == SH.MaxCountConstraintComponent:
        return "une seule valeur est permise" if fr else "only one value is allowed"
    value = _show(result.value, lang) if result.value is not None else ""
    message = _message(shapes.graph, result.source, lang)
    if message:
        return message.replace("{value}", value)
    if component == SH.ClassConstraintComponent:
        expected = _curie(shapes.graph, shapes.graph.value(result.source, SH["class"]))
        return (f"la valeur {value} n'a pas le type attendu ({expected}) : valeur hors des vocabulaires connus ?"
                if fr else f"{value} does not have the expected type ({expected}): not a known vocabulary value?")
    if component == SH.DatatypeConstraintComponent:
        expected = _curie(shapes.graph, shapes.graph.value(result.source, SH.datatype))
        return (f"la valeur {value} n'est pas du type {expected}" if fr
                else f"{value} is not of type {expected}")
    if component == SH.NodeKindConstraintComponent:
        kind = shapes.graph.value(result.source, SH.nodeKind)
        if kind in (SH.IRI, SH.BlankNodeOrIRI):
            return (f"la valeur {value} doit être une IRI (adresse web), pas un texte" if fr
                    else f"{value} must be an IRI (a web address), not a text")
        return f"la valeur {value} doit être un texte" if fr else f"{value} must be a text"
    if component == SH.InConstraintComponent:
        return (f"la valeur {value} n'est pas dans la liste autorisée" if fr
                else f"{value} is not in the allowed list")
    if component == SH.PatternConstraintComponent:
        return f"la valeur {value} n'a pas la forme attendue" if fr else f"{value} does not have the expected form"
    return (f"la valeur {value} ne respecte pas la règle {_curie(shapes.graph, component)}" if fr
            else f"{value} breaks the rule {_curie(shapes.graph, component)}")


def _message(graph: Graph, shape: Node, lang: str) -> str | None:
    messages = list(graph.objects(shape, SH.message))
    for wanted in (lang, "en", None):
        for message in messages:
            if wanted is None or getattr(message, "language", None) == wanted:
                return str(message)
    return None


def _show(node: Node, lang: str) -> str:
    if isinstance(node, BNode):
        return "(nœud anonyme)" if lang == "fr" else "(blank node)"
    if isinstance(node, RdfLiteral):
        return f"« {node} »" if lang == "fr" else f"'{node}'"
    return str(node)


def _curie(graph: Graph, node: Node | None) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(node).strip("<>")
        except Exception:  # rdflib raises on IRIs it cannot split
            return str(node)
    return "(chemin SHACL composé)" if isinstance(node, BNode) else str(node)


# --- sheet fields: labels and criteria -----------------------------------------------------------------------------


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def field_label(field: str, lang: str = "fr") -> tuple[str, str]:
    """The field's own label and a display name with its place in lists, from the sheet model's labels:
    "access.distributions[0].format" → ("Format", "Distributions n° 1 › Format")."""
    if not field:
        return "", ""
    key = "label_fr" if lang == "fr" else "label_en"
    segments = field.split(".")
    if segments[0] in _TOP_LABELS and len(segments) == 1:
        label = _TOP_LABELS[segments[0]][0 if lang == "fr" else 1]
        return label, label
    model: type[BaseModel] | None = Sheet
    names: list[str] = []
    label = ""
    for position, segment in enumerate(segments):
        name, _, rest = segment.partition("[")
        number = int(rest.rstrip("]")) + 1 if rest else None
        if model is None:
            return label, " › ".join(names)
        if "|" in name:  # a one-of group (C8: resolution or scale)
            labels = [_extra(model, part, key) or part for part in name.split("|")]
            label = (" ou " if lang == "fr" else " or ").join(labels)
            names.append(label)
            break
        info = model.model_fields.get(name)
        if info is None:
            return label, " › ".join(names)
        label = _extra(model, name, key) or name
        if position > 0:  # the criterion itself is named by `criterion_of`
            names.append(label if number is None else f"{label} n° {number}" if lang == "fr" else f"{label} #{number}")
        model = _inner_model(info.annotation)
    return label, " › ".join(names) or label


def _extra(model: type[BaseModel], name: str, key: str) -> str | None:
    info = model.model_fields.get(name)
    extra = info.json_schema_extra if info is not None and isinstance(info.json_schema_extra, dict) else {}
    return extra.get(key)


def criterion_of(field: str, lang: str = "fr") -> str:
    part = field.split(".", 1)[0].split("[", 1)[0]
    if part not in CRITERIA:
        return ""
    code, name_fr, name_en = CRITERIA[part]
    return f"{code} {name_fr if lang == 'fr' else name_en}"


# --- text ----------------------------------------------------------------------------------------------------------


def to_text(report: SheetReport, lang: str | None = None) -> str:
    """The report for a person: a verdict line, then one line per problem, violations first within a criterion."""
    lang = lang or report.lang
    fr = lang == "fr"
    counts = {s: sum(1 for p in report.problems if p.severity == s) for s in ("violation", "warning", "info")}
    if fr:
        words = {"violation": "violation", "warning": "avertissement", "info": "information"}
        verdict = "Fiche conforme" if report.conforms else "Fiche non conforme"
    else:
        words = {"violation": "violation", "warning": "warning", "info": "note"}
        verdict = "The sheet conforms" if report.conforms else "The sheet does not conform"
    summary = ", ".join(f"{n} {words[s]}{'s' if n > 1 else ''}" for s, n in counts.items() if n)
    lines = [f"{verdict}{' : ' if fr else ': '}{summary}" if summary else verdict]
    tags = {"violation": "✗", "warning": "!", "info": "i"}
    for problem in report.problems:
        lines.append(f"  {tags[problem.severity]} {problem.messages.get(lang, problem.message)}")
    return "\n".join(lines)


__all__ = [
    "SheetProblem",
    "SheetReport",
    "criterion_of",
    "field_label",
    "to_text",
    "validate_graph",
    "validate_sheet",
    "warm_up",
]
