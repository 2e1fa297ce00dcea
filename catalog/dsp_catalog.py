"""The DSP 2025-1 Catalog Protocol's documents, in one place: render a provider's `Catalog` / `Dataset` with
ODRL offers and DCAT-AP content (`catalog.dsp_render`), page a large catalogue with RFC 8288 `Link` headers
(`catalog.dsp_paging`), build `CatalogError` bodies, and read a catalogue back for the federated catalogue's
crawler (`catalog.dsp_parse`). The HTTP endpoints belong to the connector; these are the pure functions they
call. The keys and IRIs of the documents are in `catalog.dsp_terms`."""

from .dsp_paging import (
    DEFAULT_PER_PAGE,
    MAX_PER_PAGE,
    CatalogPage,
    Page,
    PageRequest,
    PagingError,
    link_header,
    page_links,
    page_of,
    paging_params,
    parse_link_header,
    render_catalog_page,
)
from .dsp_parse import (
    CatalogParseError,
    ParsedAgent,
    ParsedCatalog,
    ParsedConformity,
    ParsedContact,
    ParsedDataset,
    ParsedDistribution,
    ParsedOffer,
    ParsedService,
    ParsedStandard,
    is_canonical_compact,
    parse_catalog,
    parse_dataset,
)
from .dsp_render import (
    DEFAULT_FORMATS,
    CatalogEntry,
    CatalogInfo,
    DspRenderError,
    DspService,
    catalog_error,
    render_catalog,
    render_dataset,
    render_offer,
)

__all__ = [
    "DEFAULT_FORMATS", "DEFAULT_PER_PAGE", "MAX_PER_PAGE", "CatalogEntry", "CatalogInfo", "CatalogPage",
    "CatalogParseError", "DspRenderError", "DspService", "Page", "PageRequest", "PagingError", "ParsedAgent",
    "ParsedCatalog", "ParsedConformity", "ParsedContact", "ParsedDataset", "ParsedDistribution", "ParsedOffer",
    "ParsedService", "ParsedStandard", "catalog_error", "is_canonical_compact", "link_header", "page_links",
    "page_of", "paging_params", "parse_catalog", "parse_dataset", "parse_link_header", "render_catalog",
    "render_catalog_page", "render_dataset", "render_offer",
]
