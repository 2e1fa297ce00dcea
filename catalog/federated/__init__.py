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

Identity is injected: this package never imports `connector`."""

from .connectors import Backoff, ConnectorRef, ConnectorStatus
from .crawler import ConnectorOutcome, Crawler, CrawlReport, CrawlSettings, TokenAuth
from .errors import CrawlError, QueryError
from .facets import FACETS, FACETS_BY_NAME, Facet
from .index import ApplyResult, DatasetRecord, FacetCount, FederatedIndex, ProviderInfo, SearchResult
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
from .views import record_detail, record_summary, search_view, sheet_view

__all__ = [
    "FACETS", "FACETS_BY_NAME", "ApplyResult", "Backoff", "ConnectorOutcome", "ConnectorRef", "ConnectorSource",
    "ConnectorStatus", "CrawlError", "CrawlReport", "CrawlScheduler", "CrawlSettings", "Crawler", "DatasetQuery",
    "DatasetRecord", "DirectorySource", "Facet", "FacetCount", "FederatedIndex", "IndexedDataset", "ProviderInfo",
    "QueryError", "SearchResult", "SourceError", "StaticSource", "TokenAuth", "catalog_router",
    "create_catalog_app", "index_entry", "load_connector_file", "parse_bbox", "parse_connector_list",
    "parse_directory", "parse_query", "parsed_from_json", "parsed_to_json", "record_detail", "record_id",
    "record_summary", "search_view", "sheet_view",
]
