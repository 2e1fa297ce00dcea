"""The federated catalogue: crawl every connector's DSP catalogue into one index, and answer "who offers what,
where, under which conditions" through a query API.

* `FederatedIndex` (`index`): the database (SQLite by default, PostgreSQL in production; schema in `schema`):
  connectors and their crawl status, datasets with their parsed form, full text, bbox and facets; `search`,
  `get`, `parsed`, `iter_records`, `apply`, `record_success` / `record_failure`.
* `DatasetQuery` / `parse_query` (`query`): a search and its parameters, checked (`QueryError`, HTTP 400).
* `FACETS` (`facets`): the criteria as filters and counts, with labels.
* `Crawler` (`crawler`): concurrent, incremental, authenticated crawling (`token_for(audience_did)` injected),
  `CrawlReport`; `DirectorySource` / `StaticSource` (`sources`): the connectors to crawl; `CrawlScheduler`
  (`scheduler`): periodic crawling in a background thread.
* `create_catalog_app` / `catalog_router` (`service`): the FastAPI query API; `views`: the JSON of records.
* `access_router` (`access`): "can *I* get it?" — eligibility (`eligibility`), access plans (`plans`, format in
  `catalog/data/schemas/access-plan.schema.json`) and the use-case readiness report (`readiness`, JSON and HTML),
  for a caller whose verified claims an injected `authenticate(request)` gives (`Unauthenticated`: HTTP 401).
* GIS access: `records_router` (`ogc_records`): OGC API – Records (JSON / GeoJSON) over the search;
  `csw_router` / `CswService` (`csw_server`): CSW 2.0.2 with pycsw as the engine, over a mirror of the index whose
  records are ISO 19139 (`iso_view`). The CSW names are imported on first use (pycsw takes a while to import).
* `export_router` (`export_api`): the whole catalogue as DCAT-AP 3.0.0 in Turtle, JSON-LD or N-Triples (`export`,
  described by a `CatalogueDescription`) and a read-only SPARQL endpoint over it (`sparql`, `SparqlLimits`).

Identity is injected: this package never imports `connector`."""

from .access import Unauthenticated, access_router
from .connectors import Backoff, ConnectorRef, ConnectorStatus
from .crawler import ConnectorOutcome, Crawler, CrawlReport, CrawlSettings, TokenAuth
from .errors import CrawlError, QueryError
from .export import CatalogueDescription
from .export_api import export_router
from .facets import FACETS, FACETS_BY_NAME, Facet
from .index import ApplyResult, DatasetRecord, FacetCount, FederatedIndex, ProviderInfo, SearchResult
from .ogc_records import records_router
from .query import DatasetQuery, parse_bbox, parse_query
from .records import IndexedDataset, index_entry, parsed_from_json, parsed_to_json, record_id
from .scheduler import CrawlScheduler
from .service import catalog_router, create_catalog_app
from .sources import (
    ConnectorSource,
    DirectorySource,
    SourceError,
    StaticSource,
    load_connector_file,
    parse_connector_list,
    parse_directory,
)
from .sparql import SparqlLimits
from .views import record_detail, record_summary, search_view, sheet_view

_LAZY = {"csw_router": "csw_server", "CswService": "csw_server"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CswService", "csw_router", "records_router",
    "CatalogueDescription", "SparqlLimits", "export_router",
    "FACETS", "FACETS_BY_NAME", "ApplyResult", "Backoff", "ConnectorOutcome", "ConnectorRef", "ConnectorSource",
    "ConnectorStatus", "CrawlError", "CrawlReport", "CrawlScheduler", "CrawlSettings", "Crawler", "DatasetQuery",
    "DatasetRecord", "DirectorySource", "Facet", "FacetCount", "FederatedIndex", "IndexedDataset", "ProviderInfo",
    "QueryError", "SearchResult", "SourceError", "StaticSource", "TokenAuth", "catalog_router",
    "create_catalog_app", "index_entry", "load_connector_file", "parse_bbox", "parse_connector_list",
    "parse_directory", "parse_query", "parsed_from_json", "parsed_to_json", "record_detail", "record_id",
    "record_summary", "search_view", "sheet_view", "Unauthenticated", "access_router",
]
