"""The whole federated catalogue as one DCAT-AP 3.0.0 catalogue (RDF), for harvesters (data.gouv.fr, data.europa.eu)
and for the SPARQL endpoint: a `dcat:Catalog` published by the catalogue participant, every indexed dataset with
its sheet mapped by `catalog.dcat` (from its crawled form: `iso_view.record_sheet`), a `dcat:CatalogRecord` per
index record (the crawl dates), and each provider connector as the `dcat:DataService` that serves its datasets.

What the graph holds, node by node:

| node | IRI | main properties |
|---|---|---|
| the catalogue | `<base>/api/export/catalog` | `dct:title`, `dct:description` (fr, en), `dct:publisher` the catalogue participant (its DID), `dct:modified` the last change seen, `foaf:homepage`, `dct:language`, `dcat:dataset`, `dcat:record`, `dcat:service` |
| a dataset | its own IRI | the sheet (C1…C10) as `catalog.dcat` writes it; `dct:publisher` the sheet's publisher, or the provider when the sheet names none |
| a distribution | `<dataset>#distribution-N` | `dcat:accessURL` the provider's DSP endpoint, `dcat:accessService` the provider's connector |
| a catalogue record | `<base>/api/datasets/<record id>` | `foaf:primaryTopic` the dataset, `dct:issued` first seen, `dct:modified` last changed, `dct:conformsTo` DCAT-AP 3.0.0 |
| a provider connector | `<base>/api/connectors/<DID>` | `dcat:DataService`: `dct:title`, `dcat:endpointURL` its DSP endpoint, `dct:conformsTo` DSP 2025-1, `dct:publisher` the provider (its DID, `foaf:name`), `dcat:servesDataset` |

Choices:

* **Everything, as published, by default.** A dataset whose sheet lacks what DCAT-AP 3.0.0 makes mandatory for a
  dataset (`dct:title`, `dct:description`; a distribution's `dcat:accessURL` is always the provider's endpoint) is
  exported as it is: the catalogue does not hide what a provider publishes, and the export then fails DCAT-AP
  validation at that dataset only. `valid_only=True` leaves those datasets out (`ExportSummary.left_out` says
  which and why), and the export then validates. JNT completeness (the ten criteria) is another matter: the search
  filter `complete=true` selects it.
* **One dataset per IRI.** The same dataset IRI published by two connectors is one `dcat:Dataset` (the first
  record met, by index order) with two catalogue records, and both connectors serve it: two sheets merged under one
  IRI would break DCAT-AP's single-valued properties.
* **A dataset that cannot be mapped** (an id that is not an IRI, a value the sheet model refuses) is left out and
  listed in `ExportSummary.failed`, never half-written.
* **Streamed.** Records are read from the index `batch` at a time; each becomes a small graph (its sheet's graph
  plus its record), serialised and dropped (`turtle_stream`, `jsonld_stream`, `ntriples_stream`): memory stays
  flat whatever the size of the index. The catalogue
  node comes last, once its `dct:modified` is known (RDF has no order). Turtle chunks are complete documents whose
  prefix lines are written once; JSON-LD is one `@graph` with an inline context of prefixes only (no context to
  fetch)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.plugins.serializers.jsonld import from_rdf

from catalog.dcat import DCAT, DCT, FOAF, PREFIXES, SheetMappingError, is_iri, sheet_to_graph
from catalog.dsp_parse import ParsedDataset
from catalog.sheet import Agent, Sheet

from .index import DatasetRecord, FederatedIndex, ProviderInfo
from .iso_view import record_sheet
from .query import DatasetQuery

log = logging.getLogger(__name__)

TURTLE = "text/turtle"
JSONLD = "application/ld+json"
NTRIPLES = "application/n-triples"
DEFAULT_BATCH = 200
DCAT_AP_3 = URIRef("https://semiceu.github.io/DCAT-AP/releases/3.0.0/")
DSP_2025_1 = URIRef("https://w3id.org/dspace/2025/1/")
FRENCH = URIRef("http://publications.europa.eu/resource/authority/language/FRA")
JSONLD_CONTEXT: dict[str, str] = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}

_TITLE = {"fr": "Catalogue fédéré JNT", "en": "JNT federated catalogue"}
_DESCRIPTION = {
    "fr": "Les jeux de données que les connecteurs de l'espace de données des jumeaux numériques du territoire "
          "(JNT) publient, caractérisés selon les dix critères du groupe de travail, et les connecteurs qui les "
          "servent par le Dataspace Protocol.",
    "en": "The datasets the connectors of the territorial digital twins (JNT) data space publish, characterised "
          "by the working group's ten criteria, and the connectors that serve them through the Dataspace Protocol.",
}


@dataclass(frozen=True)
class CatalogueDescription:
    """The catalogue itself: its public address (`base_url`: every IRI the export mints is under it and
    dereferenceable), the participant that runs it (its DID and name: the catalogue's `dct:publisher`), its title
    and description in French and English, and the prefix of its API."""

    base_url: str
    publisher_did: str
    publisher_name: str = "Opérateur du catalogue fédéré JNT"
    title: Mapping[str, str] = field(default_factory=lambda: dict(_TITLE))
    description: Mapping[str, str] = field(default_factory=lambda: dict(_DESCRIPTION))
    api_prefix: str = "/api"

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")) or not is_iri(self.base_url):
            raise ValueError(f"base_url must be the catalogue's http(s) address, not {self.base_url!r}")
        if not is_iri(self.publisher_did):
            raise ValueError(f"publisher_did must be an IRI (did:web:…), not {self.publisher_did!r}")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    @property
    def api(self) -> str:
        return self.base_url + self.api_prefix

    @property
    def iri(self) -> URIRef:
        return URIRef(f"{self.api}/export/catalog")

    def record_iri(self, record_id: str) -> URIRef:
        return URIRef(f"{self.api}/datasets/{quote(record_id, safe='')}")

    def service_iri(self, did: str) -> URIRef:
        return URIRef(f"{self.api}/connectors/{quote(did, safe=':')}")


def dcat_ap_gaps(parsed: ParsedDataset) -> tuple[str, ...]:
    """The properties DCAT-AP 3.0.0 makes mandatory for a dataset that its crawled form lacks."""
    gaps = []
    if not (parsed.title or "").strip():
        gaps.append("dct:title")
    if not (parsed.description or "").strip():
        gaps.append("dct:description")
    return tuple(gaps)


@dataclass
class ExportSummary:
    """What an export wrote and left out (filled as the export runs: complete once its chunks are consumed)."""

    datasets: int = 0  # dcat:Dataset nodes
    records: int = 0  # dcat:CatalogRecord nodes (one per index record)
    services: int = 0  # provider connectors
    left_out: list[dict[str, Any]] = field(default_factory=list)  # valid_only: {"record", "dataset", "missing"}
    failed: list[dict[str, Any]] = field(default_factory=list)  # could not be mapped: {"record", "dataset", "error"}

    def to_json(self) -> dict[str, Any]:
        return {"datasets": self.datasets, "records": self.records, "services": self.services,
                "left_out": self.left_out, "failed": self.failed}


def new_graph() -> Graph:
    """An empty graph with the mapping's prefixes (and only the core ones besides)."""
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def _records(index: FederatedIndex, query: DatasetQuery | None, batch: int) -> Iterator[DatasetRecord]:
    if query is None or query.signature() == DatasetQuery().signature():
        yield from index.iter_records(batch=batch)
        return
    page = 1
    while True:  # the index keeps the matches for paging: each page costs only its records
        result = index.search(replace(query, page=page, per_page=batch, with_facets=False))
        yield from result.records
        if page >= result.pages:
            return
        page += 1


class CatalogueExport:
    """One export of `index` (all of it, or what `query` matches): iterate `chunks()` once for the graphs, then
    read `summary`."""

    def __init__(self, index: FederatedIndex, description: CatalogueDescription, *,
                 query: DatasetQuery | None = None, valid_only: bool = False, batch: int = DEFAULT_BATCH) -> None:
        self.index = index
        self.description = description
        self.query = query
        self.valid_only = valid_only
        self.batch = batch
        self.summary = ExportSummary()
        self._catalogue = description.iri
        self._seen: set[str] = set()  # dataset IRIs written
        self._records_seen: set[str] = set()  # record ids written (a record rewritten by a crawl meanwhile comes again)
        self._providers: dict[str, ProviderInfo] = {}
        self._modified: datetime | None = None

    def chunks(self) -> Iterator[Graph]:
        """The export as a sequence of small graphs: one per index record (its dataset's sheet the first time the
        dataset IRI is met, its catalogue record), then the catalogue itself. Records are read `batch` at a time."""
        for record in _records(self.index, self.query, self.batch):
            graph = self._record_graph(record)
            if graph is not None:
                yield graph
        yield self._catalogue_graph()

    def graph(self, into: Graph | None = None) -> Graph:
        """The whole export as one graph (added to `into` if given)."""
        out = new_graph() if into is None else into
        for chunk in self.chunks():
            out += chunk
        return out

    def _service(self, provider: ProviderInfo) -> URIRef | None:
        if not is_iri(provider.address):  # never crawled: it has no datasets anyway
            return None
        self._providers.setdefault(provider.did, provider)
        return self.description.service_iri(provider.did)

    def _record_graph(self, record: DatasetRecord) -> Graph | None:
        if record.record_id in self._records_seen:
            return None
        self._records_seen.add(record.record_id)
        parsed = record.parsed
        gaps = dcat_ap_gaps(parsed)
        if gaps and self.valid_only:
            self.summary.left_out.append({"record": record.record_id, "dataset": record.dataset_id,
                                          "missing": list(gaps)})
            return None
        dataset = URIRef(record.dataset_id)
        service = self._service(record.provider)
        if record.dataset_id in self._seen:
            graph = new_graph()
        else:
            try:
                graph = sheet_to_graph(self._sheet(record), self.index.registry)
            except (ValidationError, SheetMappingError, ValueError) as exc:
                error = str(exc).splitlines()[0]
                log.warning("export: dataset %s of %s left out: %s", record.dataset_id, record.provider.did, error)
                self.summary.failed.append({"record": record.record_id, "dataset": record.dataset_id,
                                            "error": error})
                return None
            self._seen.add(record.dataset_id)
            if service is not None:
                for distribution in list(graph.objects(dataset, DCAT.distribution)):
                    graph.add((distribution, DCAT.accessService, service))
            graph.add((self._catalogue, DCAT.dataset, dataset))
            self.summary.datasets += 1
        if service is not None:
            graph.add((service, DCAT.servesDataset, dataset))
        node = self.description.record_iri(record.record_id)
        graph.add((node, RDF.type, DCAT.CatalogRecord))
        graph.add((node, FOAF.primaryTopic, dataset))
        graph.add((node, DCT.issued, Literal(record.first_seen)))
        graph.add((node, DCT.modified, Literal(record.last_changed)))
        graph.add((node, DCT.conformsTo, DCAT_AP_3))
        graph.add((self._catalogue, DCAT.record, node))
        self.summary.records += 1
        if self._modified is None or record.last_changed > self._modified:
            self._modified = record.last_changed
        return graph

    @staticmethod
    def _sheet(record: DatasetRecord) -> Sheet:
        sheet = record_sheet(record)
        # The export links every distribution to the provider's connector (one DataService per connector) rather
        # than to a service minted per distribution; a sheet without publisher is published by the provider.
        for distribution in sheet.access.distributions:
            distribution.access_service = None
        if record.parsed.publisher is None:
            provider = record.provider
            sheet.provenance.publisher = Agent(name=provider.name or provider.did, iri=provider.did)
        return sheet

    def _catalogue_graph(self) -> Graph:
        d, catalogue = self.description, self._catalogue
        graph = new_graph()
        graph.add((catalogue, RDF.type, DCAT.Catalog))
        for lang, text in d.title.items():
            graph.add((catalogue, DCT.title, Literal(text, lang=lang)))
        for lang, text in d.description.items():
            graph.add((catalogue, DCT.description, Literal(text, lang=lang)))
        _agent(graph, URIRef(d.publisher_did), d.publisher_name)
        graph.add((catalogue, DCT.publisher, URIRef(d.publisher_did)))
        if self._modified is not None:
            graph.add((catalogue, DCT.modified, Literal(self._modified)))
        homepage = URIRef(d.base_url + "/")
        graph.add((homepage, RDF.type, FOAF.Document))
        graph.add((catalogue, FOAF.homepage, homepage))
        graph.add((FRENCH, RDF.type, DCT.LinguisticSystem))
        graph.add((catalogue, DCT.language, FRENCH))
        _standard(graph, DCAT_AP_3, "DCAT-AP 3.0.0")
        if self._providers:
            _standard(graph, DSP_2025_1, "Dataspace Protocol 2025-1")
        for did, provider in sorted(self._providers.items()):
            service = d.service_iri(did)
            name = provider.name or did
            graph.add((service, RDF.type, DCAT.DataService))
            graph.add((service, DCT.title, Literal(f"Connecteur DSP — {name}", lang="fr")))
            graph.add((service, DCT.title, Literal(f"DSP connector — {name}", lang="en")))
            graph.add((service, DCAT.endpointURL, URIRef(provider.address)))
            graph.add((service, DCT.conformsTo, DSP_2025_1))
            graph.add((service, DCT.publisher, _agent(graph, URIRef(did), name)))
            graph.add((catalogue, DCAT.service, service))
        self.summary.services = len(self._providers)
        return graph


def _agent(graph: Graph, node: URIRef, name: str) -> URIRef:
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, FOAF.name, Literal(name)))
    return node


def _standard(graph: Graph, node: URIRef, title: str) -> None:
    graph.add((node, RDF.type, DCT.Standard))
    graph.add((node, DCT.title, Literal(title)))


def catalogue_graph(index: FederatedIndex, description: CatalogueDescription, *, query: DatasetQuery | None = None,
                    valid_only: bool = False) -> Graph:
    """The whole catalogue (or what `query` matches) as one DCAT-AP graph."""
    return CatalogueExport(index, description, query=query, valid_only=valid_only).graph()


# --- serialisation, chunk by chunk -------------------------------------------------------------------------------


def turtle_stream(chunks: Iterable[Graph]) -> Iterator[str]:
    """Turtle text of the union of `chunks`, one chunk at a time. Each chunk is serialised as a Turtle document; a
    prefix line already written with the same namespace is dropped (Turtle allows a prefix to be declared again
    anywhere, so a chunk that binds it otherwise stays right). Blank node labels are unique per process."""
    declared: dict[str, str] = {}
    for chunk in chunks:
        text = chunk.serialize(format="turtle")
        lines = text.split("\n")
        head = []
        position = 0
        while position < len(lines) and lines[position].startswith("@prefix "):
            prefix, _, namespace = lines[position][len("@prefix "):].partition(" ")
            if declared.get(prefix) != namespace:
                declared[prefix] = namespace
                head.append(lines[position])
            position += 1
        body = "\n".join(lines[position:]).strip("\n")
        if not body:
            continue
        yield "\n".join(head) + ("\n\n" if head else "") + body + "\n\n"


def jsonld_stream(chunks: Iterable[Graph], context: Mapping[str, str] = JSONLD_CONTEXT) -> Iterator[str]:
    """One JSON-LD document (`{"@context", "@graph": [...]}`, the context inline: prefixes only) of the union of
    `chunks`, written one chunk at a time. A node described in two chunks appears twice in `@graph`, which JSON-LD
    merges."""
    context_data = dict(context)
    yield '{"@context": ' + json.dumps(context_data, ensure_ascii=False) + ', "@graph": ['
    first = True
    for chunk in chunks:
        if not len(chunk):
            continue
        document = from_rdf(chunk, context_data=context_data)
        nodes = document.get("@graph")
        if nodes is None:  # a chunk of one node is that node
            nodes = [{k: v for k, v in document.items() if k != "@context"}]
        for node in nodes:
            yield ("\n" if first else ",\n") + json.dumps(node, ensure_ascii=False)
            first = False
    yield "\n]}\n"


def ntriples_stream(chunks: Iterable[Graph]) -> Iterator[str]:
    """N-Triples of the union of `chunks` (a triple shared by two chunks is written twice: RDF reads one). Five to
    ten times faster to write than Turtle, for bulk harvesting."""
    for chunk in chunks:
        yield chunk.serialize(format="nt")


__all__ = ["DCAT_AP_3", "DSP_2025_1", "JSONLD", "JSONLD_CONTEXT", "NTRIPLES", "TURTLE", "CatalogueDescription", "CatalogueExport",
           "ExportSummary", "catalogue_graph", "dcat_ap_gaps", "jsonld_stream", "new_graph", "ntriples_stream",
           "turtle_stream"]
