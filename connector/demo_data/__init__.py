"""The data the Loire-estuary demo publishes: for each of the 40 providers of the organisations table, one dataset
per géo-concept it provides, with its characterisation sheet (10 criteria, SHACL-valid), its offer (C5 licence ×
C7 access mode, from `policies.templates`) and its data — synthetic but plausible, on real approximate
coordinates between Nantes and Saint-Nazaire (and at Angers for the three Maine-et-Loire providers): vector layers
(GeoJSON), terrain and rain grids (ESRI ASCII grids, zipped), gauge and rain series (CSV), a simulated real-time
feed of the river gauges. `plan()` describes the datasets (cheap); `generate(target_dir, seed)` writes their files,
deterministically. docs/demo-data.md tells what is generated and why each policy is what it is."""

from .generate import Generated, generate
from .geography import ANGERS, ESTUARY, REGIONS
from .offers import DEMO_NOW, OfferChoice
from .organisations import CONSUMERS, ENGINEERING_FIRM, REGION, Organisation, organisation, organisations
from .plan import DemoDataset, dataset_iri, default_did, plan
from .products import AREAS, PRODUCTS
from .series import FEED_INTERVAL_S, PERIOD

__all__ = [
    "ANGERS", "AREAS", "CONSUMERS", "DEMO_NOW", "ENGINEERING_FIRM", "ESTUARY", "FEED_INTERVAL_S", "PERIOD",
    "PRODUCTS", "REGION", "REGIONS", "DemoDataset", "Generated", "OfferChoice", "Organisation", "dataset_iri",
    "default_did", "generate", "organisation", "organisations", "plan",
]
