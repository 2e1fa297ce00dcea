"""A small data space for the console's tests, shared by a module: the authority, a provider (DDTM 44, a public
body, with a GeoJSON file under its sources directory) and a consumer (the Région, a public body)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from connector.control.client import ManagementClient

from ..control.space import MANAGEMENT, Space

ZONES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"zone": "rouge"},
     "geometry": {"type": "Polygon", "coordinates": [[[-1.60, 47.20], [-1.50, 47.20], [-1.50, 47.25],
                                                      [-1.60, 47.25], [-1.60, 47.20]]]}}]}


@dataclass
class World:
    space: Space
    provider: Any
    consumer: Any
    provider_client: ManagementClient
    consumer_client: ManagementClient


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    space = Space(tmp_path_factory.mktemp("console"))
    provider = space.connector("ddtm44", "public", "service déconcentré de l'État")
    consumer = space.connector("region", "public", "région")
    sources = provider.plane.sources_dir
    (sources / "ppri").mkdir(parents=True, exist_ok=True)
    (sources / "ppri" / "zonage.geojson").write_text(json.dumps(ZONES), encoding="utf-8")
    clients = [ManagementClient(c.base_url + "/management", MANAGEMENT, timeout=20, poll_interval=0.05)
               for c in (provider, consumer)]
    try:
        yield World(space, provider, consumer, *clients)
    finally:
        for client in clients:
            client.close()
        space.close()


def publish_restricted(world: World, title: str = "Réseau électrique HTA") -> str:
    """A dataset of the provider for public bodies only, for flood-risk simulation, served from the GeoJSON file."""
    import uuid

    dataset_id = f"https://data.example.org/ddtm44/{uuid.uuid4().hex[:8]}"
    world.provider_client.publish_dataset(
        sheet={"id": dataset_id, "nature": {"title": title}, "licence": {"rights": "© DDTM 44"}},
        template={"licence": "restricted", "access": "restricted",
                  "restrictions": {"categories": ["public"], "purposes": ["flood-risk-simulation"]}},
        data_source={"type": "file", "path": "ppri/zonage.geojson"})
    return dataset_id
