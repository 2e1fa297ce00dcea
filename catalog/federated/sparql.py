"""A read-only SPARQL 1.1 query service over the federated catalogue's DCAT-AP graph (the export of
`catalog.federated.export`), run by rdflib's SPARQL engine.

* **The graph** (`CatalogueGraph`) is built on the first query and built again, once, by the first query after the
  index changes (the index's generation changes with every write that changes what a search may answer); queries
  wait for the build rather than read a graph being built.
* **Read only.** Only the four query forms are accepted: a SPARQL Update (`INSERT`, `DELETE`, `LOAD`, `CLEAR`…)
  is refused (`update-refused`), as are `SERVICE` (it would make the catalogue fetch from elsewhere) and
  `FROM` / `FROM NAMED` (there is one graph: the catalogue). A query that does not parse is refused naming the
  parse error (`malformed-query`). The usual prefixes (`dcat:`, `dct:`, `foaf:`, `skos:`, `jnt:`… those of
  `catalog.dcat`, plus `rdf:`, `rdfs:`, `owl:`) are declared in advance.
* **Bounded cost** (`SparqlLimits`): a query runs at most `timeout_seconds` (default 10 s; checked each time the
  engine reads the graph, so joins, paths and sorts all stop; a single regular expression runs to its end) and
  then answers `query-timeout` (HTTP 503); a SELECT may give at most `max_results` rows (10,000) and a CONSTRUCT /
  DESCRIBE `max_triples` triples (100,000), beyond which it answers `too-many-results` (HTTP 400: add a LIMIT);
  the query text is at most `max_query_length` characters (20,000).

Errors are `SparqlError`s (a stable code, a French and an English message, the parse error as `detail`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from pyparsing import ParseException
from rdflib import Graph, Namespace
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.plugins.sparql.algebra import translateQuery, traverse
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Result

from catalog.dcat import PREFIXES

from .export import CatalogueDescription, CatalogueExport, new_graph
from .index import FederatedIndex

PREDECLARED: dict[str, Namespace] = {**{p: Namespace(str(ns)) for p, ns in PREFIXES.items()},
                                     "rdf": Namespace(str(RDF)), "rdfs": Namespace(str(RDFS)),
                                     "owl": Namespace(str(OWL))}
FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}


@dataclass(frozen=True)
class SparqlLimits:
    timeout_seconds: float = 10.0
    max_results: int = 10_000
    max_triples: int = 100_000
    max_query_length: int = 20_000


DEFAULT_LIMITS = SparqlLimits()


class SparqlError(Exception):
    """A query the service does not run. `code`: `missing-query`, `query-too-long`, `malformed-query`,
    `update-refused`, `service-refused`, `dataset-refused`, `query-failed`, `too-many-results`, `query-timeout`;
    `status`: the HTTP status to answer."""

    def __init__(self, code: str, fr: str, en: str, *, status: int = 400, detail: str | None = None) -> None:
        self.code = code
        self.fr = fr
        self.en = en
        self.status = status
        self.detail = detail
        super().__init__(f"{code}: {en}")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.code, "message": {"fr": self.fr, "en": self.en}}
        if self.detail:
            out["detail"] = self.detail
        return out


def _malformed(detail: str) -> SparqlError:
    return SparqlError("malformed-query", f"requête SPARQL mal formée : {detail}", f"malformed SPARQL query: {detail}",
                       detail=detail)


def update_refused() -> SparqlError:
    return SparqlError("update-refused", "ce point d'accès SPARQL est en lecture seule : les mises à jour (INSERT, "
                       "DELETE, LOAD, CLEAR…) sont refusées ; seules SELECT, ASK, CONSTRUCT et DESCRIBE sont acceptées",
                       "this SPARQL endpoint is read-only: updates (INSERT, DELETE, LOAD, CLEAR…) are refused; only "
                       "SELECT, ASK, CONSTRUCT and DESCRIBE are accepted")


def dataset_refused() -> SparqlError:
    return SparqlError("dataset-refused", "FROM, FROM NAMED, default-graph-uri et named-graph-uri ne sont pas "
                       "acceptés : les requêtes portent sur le seul graphe du catalogue", "FROM, FROM NAMED, "
                       "default-graph-uri and named-graph-uri are not accepted: queries run on the catalogue's one "
                       "graph")


def _uses_service(query: Query) -> bool:
    found: list[bool] = []

    def visit(node: Any) -> None:
        if getattr(node, "name", None) == "ServiceGraphPattern":
            found.append(True)

    traverse(query.algebra, visitPre=visit)
    return bool(found)


def prepare_query(text: str | None, limits: SparqlLimits = DEFAULT_LIMITS) -> Query:
    """The query `text`, parsed and checked: read-only, no SERVICE, no FROM. Raises `SparqlError`."""
    if text is None or not text.strip():
        raise SparqlError("missing-query", "aucune requête : donnez-la dans le paramètre query (GET ou formulaire "
                          "POST) ou comme corps application/sparql-query",
                          "no query: give it as the query parameter (GET or POST form) or as an "
                          "application/sparql-query body")
    if len(text) > limits.max_query_length:
        raise SparqlError("query-too-long", f"requête de {len(text)} caractères ; au plus {limits.max_query_length}",
                          f"the query has {len(text)} characters; at most {limits.max_query_length}")
    try:
        parsed = parseQuery(text)
    except ParseException as exc:
        try:
            parseUpdate(text)
        except ParseException:
            raise _malformed(str(exc)) from None
        raise update_refused() from None
    try:
        query = translateQuery(parsed, initNs=PREDECLARED)
    except Exception as exc:  # rdflib raises plain Exceptions (an unknown prefix…)
        raise _malformed(str(exc)) from None
    if query.algebra.get("datasetClause"):
        raise dataset_refused()
    if _uses_service(query):
        raise SparqlError("service-refused", "SERVICE n'est pas accepté : le catalogue n'interroge pas d'autre point "
                          "d'accès", "SERVICE is not accepted: the catalogue does not query other endpoints")
    return query


def query_form(query: Query) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE."""
    return FORMS[query.algebra.name]


class _Deadline(BaseException):
    """Raised inside the engine when a query's time is up. A BaseException, so that no `except Exception` of the
    engine swallows it."""


class _BoundedGraph(Graph):
    """A view of a graph (same store) that stops the query reading it once `deadline` (monotonic) has passed: every
    triple pattern, path step and DESCRIBE goes through `triples`."""

    def __init__(self, graph: Graph, deadline: float) -> None:
        super().__init__(store=graph.store, identifier=graph.identifier, namespace_manager=graph.namespace_manager)
        self._deadline = deadline

    def triples(self, triple: Any) -> Iterator[Any]:  # type: ignore[override]
        deadline = self._deadline
        if time.monotonic() > deadline:
            raise _Deadline
        for count, found in enumerate(super().triples(triple), start=1):
            if not count % 512 and time.monotonic() > deadline:
                raise _Deadline
            yield found


def run_query(graph: Graph, query: Query, limits: SparqlLimits = DEFAULT_LIMITS) -> Result:
    """Evaluate `query` on `graph` within `limits`: the rdflib result, rows and triples all computed. Raises
    `SparqlError`."""
    bounded = _BoundedGraph(graph, time.monotonic() + limits.timeout_seconds)
    form = query_form(query)
    try:
        result = bounded.query(query)
        if form == "SELECT":
            rows = list(islice(result, limits.max_results + 1))
            if len(rows) > limits.max_results:
                raise _too_many(f"plus de {limits.max_results} résultats", f"more than {limits.max_results} results",
                                "LIMIT")
            variables = list(result.vars or ())
            complete = Result("SELECT")
            complete.vars = variables
            complete.bindings = [{v: term for v, term in zip(variables, row, strict=True) if term is not None}
                                 for row in rows]
            return complete
        if form in ("CONSTRUCT", "DESCRIBE"):
            assert result.graph is not None
            if len(result.graph) > limits.max_triples:
                raise _too_many(f"plus de {limits.max_triples} triplets", f"more than {limits.max_triples} triples",
                                "LIMIT")
            for prefix, namespace in PREDECLARED.items():
                result.graph.bind(prefix, namespace)
        return result
    except _Deadline:
        raise SparqlError("query-timeout", f"la requête a dépassé {limits.timeout_seconds:g} s et a été arrêtée ; "
                          "restreignez-la (motifs plus précis, LIMIT)",
                          f"the query ran over {limits.timeout_seconds:g} s and was stopped; narrow it (more "
                          "specific patterns, LIMIT)", status=503) from None
    except SparqlError:
        raise
    except Exception as exc:  # the engine's own errors while evaluating (a type error in an expression…)
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SparqlError("query-failed", f"la requête n'a pas pu être évaluée : {detail}",
                          f"the query could not be evaluated: {detail}", detail=detail) from None


def _too_many(fr: str, en: str, remedy: str) -> SparqlError:
    return SparqlError("too-many-results", f"la requête donne {fr} ; ajoutez {remedy} (et OFFSET pour la suite)",
                       f"the query gives {en}; add {remedy} (and OFFSET for the rest)")


# --- result formats ------------------------------------------------------------------------------------------------

# media type -> rdflib serializer, by query form; the first is the default
RESULT_FORMATS: dict[str, Mapping[str, str]] = {
    "SELECT": {"application/sparql-results+json": "json", "text/csv": "csv",
               "application/sparql-results+xml": "xml"},
    "ASK": {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml"},
    "CONSTRUCT": {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/n-triples": "nt"},
}
RESULT_FORMATS["DESCRIBE"] = RESULT_FORMATS["CONSTRUCT"]
# the `format` parameter's short names
FORMAT_NAMES = {"json": ("application/sparql-results+json", "application/ld+json"),
                "csv": ("text/csv",), "xml": ("application/sparql-results+xml",),
                "turtle": ("text/turtle",), "ttl": ("text/turtle",), "jsonld": ("application/ld+json",),
                "json-ld": ("application/ld+json",), "nt": ("application/n-triples",),
                "ntriples": ("application/n-triples",)}


def serialize_result(result: Result, media_type: str) -> bytes:
    """The result in `media_type` (one of `RESULT_FORMATS` for its form)."""
    serializer = RESULT_FORMATS[result.type][media_type]
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        assert result.graph is not None
        if serializer == "json-ld":
            return result.graph.serialize(format="json-ld", context={p: str(n) for p, n in PREDECLARED.items()},
                                          encoding="utf-8")
        return result.graph.serialize(format=serializer, encoding="utf-8")
    out = result.serialize(format=serializer, encoding="utf-8")
    assert out is not None
    return out


# --- the graph, kept up to date ----------------------------------------------------------------------------------


class CatalogueGraph:
    """The catalogue's DCAT-AP graph for queries: built on first use and again when the index's generation has
    changed. Thread-safe; the graph handed out is never written to."""

    def __init__(self, index: FederatedIndex, description: CatalogueDescription) -> None:
        self.index = index
        self.description = description
        self._lock = threading.Lock()
        self._graph: Graph | None = None
        self._generation: str | None = None
        self.builds = 0
        self.build_seconds: float | None = None

    def current(self) -> Graph:
        generation = self.index.generation()
        with self._lock:
            if self._graph is None or generation != self._generation:
                started = time.perf_counter()
                # SimpleMemory: no named graphs to track, so lighter and faster than rdflib's default store.
                graph = CatalogueExport(self.index, self.description).graph(into=_simple_graph())
                self._graph, self._generation = graph, generation
                self.builds += 1
                self.build_seconds = time.perf_counter() - started
            return self._graph

    def query(self, text: str | None, limits: SparqlLimits = DEFAULT_LIMITS) -> Result:
        """Parse, check and run `text` on the current graph. Raises `SparqlError`."""
        prepared = prepare_query(text, limits)
        return run_query(self.current(), prepared, limits)


def _simple_graph() -> Graph:
    graph = Graph(store="SimpleMemory", bind_namespaces="core")
    for prefix, namespace in new_graph().namespaces():
        graph.bind(prefix, namespace)
    return graph


__all__ = ["DEFAULT_LIMITS", "FORMAT_NAMES", "PREDECLARED", "RESULT_FORMATS", "CatalogueGraph", "SparqlError", "SparqlLimits",
           "dataset_refused", "prepare_query", "query_form", "run_query", "serialize_result",
           "update_refused"]
