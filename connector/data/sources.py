"""`parse_source`: from the `data_source` declaration stored with a dataset to a `DataSource` the data plane reads.
The declaration is checked in full — type, members, paths inside the provider's data directory, URL schemes, SQL —
and every refusal is a `DataSourceError` naming the member (`data_source.path`, …) and the rule, so the management
API can refuse a publication with a message the provider can act on. Parsing does no network I/O; it does look at
the disk (a declared file or folder must exist under `base_dir`). This module is also the public face of the
sources: the data plane imports what it needs from here."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from ._spec import invalid
from .base import (
    CHUNK_SIZE,
    GEOJSON,
    GEOJSON_SEQ,
    NDJSON,
    BBox,
    DataSource,
    Params,
    ResourceInfo,
    Stream,
    check_range,
    guess_media_type,
    is_vector_media_type,
    parse_range_header,
)
from .errors import DataSourceError
from .feeds import FeedSource, Simulation, Station, simulated_observation
from .files import FileSource, FolderSource, check_member_path
from .geojson import MAX_FEATURE_CHARS, encode_feature_collection, feature_in_bbox, iter_features, parse_bbox
from .http import HttpSource
from .postgres import PostgresSource, check_select

SOURCE_TYPES = ("file", "folder", "http", "postgresql", "feed")

__all__ = [
    "CHUNK_SIZE", "GEOJSON", "GEOJSON_SEQ", "MAX_FEATURE_CHARS", "NDJSON", "SOURCE_TYPES", "BBox", "DataSource",
    "DataSourceError", "FeedSource", "FileSource", "FolderSource", "HttpSource", "Params", "PostgresSource",
    "ResourceInfo", "Simulation", "Station", "Stream", "check_member_path", "check_range", "check_select",
    "encode_feature_collection", "feature_in_bbox", "guess_media_type", "is_vector_media_type", "iter_features",
    "parse_bbox", "parse_range_header", "parse_source", "simulated_observation",
]


def parse_source(spec: Mapping[str, Any], *, base_dir: Path, http_client: httpx.AsyncClient | None = None
                 ) -> DataSource:
    """The data source a dataset's `data_source` declares. `base_dir`: the provider's data directory, under which
    local paths resolve and must stay. `http_client`: a client the data plane shares between requests to HTTP
    upstreams and feeds (it must follow no proxy it should not); without it each request opens its own."""
    if not isinstance(spec, Mapping):
        raise invalid("", "la source de données doit être un objet JSON avec un membre « type »",
                      "the data source must be a JSON object with a 'type' member")
    kind = spec.get("type")
    if kind is None:
        raise invalid("type", f"membre « type » manquant ; types possibles : {', '.join(SOURCE_TYPES)}",
                      f"missing 'type' member; possible types: {', '.join(SOURCE_TYPES)}")
    if kind == "file":
        return FileSource.from_spec(spec, base_dir)
    if kind == "folder":
        return FolderSource.from_spec(spec, base_dir)
    if kind == "http":
        return HttpSource.from_spec(spec, base_dir, client=http_client)
    if kind == "postgresql":
        return PostgresSource.from_spec(spec, base_dir)
    if kind == "feed":
        return FeedSource.from_spec(spec, base_dir, client=http_client)
    raise invalid("type", f"type de source inconnu « {kind} » ; types possibles : {', '.join(SOURCE_TYPES)}",
                  f"unknown source type '{kind}'; possible types: {', '.join(SOURCE_TYPES)}")
