"""The characterisation sheet (the 10 criteria) of each demo dataset, filled from the géo-concept table (nature,
INSPIRE themes, role), the provider (publisher, contact, public or private body), the product (frequency, origin,
precision, standard: `products`), the area (extent) and the offer (licence, access mode, conditions). Every value
is a controlled-vocabulary IRI where the criteria ask for one, so the sheets validate with
`catalog.shacl.validate_sheet` (official DCAT-AP 3 shapes and the JNT shapes)."""

from __future__ import annotations

from datetime import date

from catalog.geoconcepts import GeoConcept, Registry
from catalog.sheet import (
    Agent,
    Attribution,
    Conformity,
    Contact,
    Distribution,
    QualityMeasurement,
    Sheet,
    StandardRef,
)
from catalog.vocabularies import (
    ACCESS_RIGHT,
    ADMS_LICENCE_TYPE,
    ADMS_PUBLISHER_TYPE,
    DEGREE_OF_CONFORMITY,
    FILE_TYPE,
    IANA,
    data_theme_iri,
    epsg_iri,
    eu_themes_for,
    frequency_iri,
    inspire_theme_iri,
    origin_iri,
)
from policies.model import Policy
from policies.templates import LICENCES, describe_policy

from .geography import COMMUNES, INSEE_COMMUNE
from .offers import OfferChoice
from .organisations import Organisation
from .products import FEED, GRID, TABLE, VECTOR, Area, Product
from .series import PERIOD

INSPIRE_CODELIST = "http://inspire.ec.europa.eu/metadata-codelist/"
TOPIC = INSPIRE_CODELIST + "TopicCategory/"
ROLE = INSPIRE_CODELIST + "ResponsiblePartyRole/"
DATASET_TYPE = "http://publications.europa.eu/resource/authority/dataset-type/"
AVAILABILITY = "http://publications.europa.eu/resource/authority/planned-availability/"
STATUS = "http://publications.europa.eu/resource/authority/distribution-status/"
MEASURE = "https://data.geocatalogue.fr/ncl/mesuresQuaDoGeo/"
METRE = "http://www.qudt.org/vocab/unit/M"
GEODCAT_AP = "https://semiceu.github.io/GeoDCAT-AP/releases/3.0.0/"
SYNTHETIC = ("Données synthétiques générées pour la démonstration JNT : valeurs fictives sur des coordonnées "
             "réelles approximatives.")

FORMATS = {  # kind -> (EU file type, media type, format specification)
    "vector": ("GEOJSON", "application/geo+json", "https://www.rfc-editor.org/rfc/rfc7946"),
    "grid": ("ZIP", "application/zip", "https://gdal.org/en/stable/drivers/raster/aaigrid.html"),
    "table": ("CSV", "text/csv", "https://www.rfc-editor.org/rfc/rfc4180"),
    "feed": ("JSON", "application/x-ndjson", "https://github.com/ndjson/ndjson-spec"),
}
LICENCE_TYPES = {"etalab-2.0": "Attribution", "odbl-1.0": "ViralEffect-ShareAlike",
                 "restricted": "OtherRestrictiveClauses"}
MODIFIED = {"CONT": date(2026, 2, 9), "5MIN": date(2026, 2, 9), "10MIN": date(2026, 2, 9),
            "HOURLY": date(2026, 2, 9), "DAILY": date(2026, 2, 9), "WEEKLY": date(2026, 2, 2),
            "MONTHLY": date(2026, 1, 31), "QUARTERLY": date(2025, 12, 15), "ANNUAL": date(2025, 6, 30),
            "BIENNIAL": date(2024, 9, 1)}


def publisher_type(org: Organisation) -> str:
    """The ADMS publisher type of an organisation, from its category and kind."""
    if not org.public:
        return ADMS_PUBLISHER_TYPE + "Company"
    kind = org.kind.lower()
    if "région" in org.name.lower() and "collectivité" in kind:
        return ADMS_PUBLISHER_TYPE + "RegionalAuthority"
    if "collectivité" in kind or "local" in kind:
        return ADMS_PUBLISHER_TYPE + "LocalAuthority"
    return ADMS_PUBLISHER_TYPE + "NationalAuthority"


def agent(org: Organisation) -> Agent:
    return Agent(name=org.name, iri=f"https://{org.domain}/", type=publisher_type(org), email=f"contact@{org.domain}")


def admin_units(area: Area) -> list[str]:
    minx, miny, maxx, maxy = area.bbox
    return [INSEE_COMMUNE + p.insee for p in COMMUNES if minx <= p.lon <= maxx and miny <= p.lat <= maxy]


def build_sheet(*, iri: str, title: str, description: str, org: Organisation, gc: GeoConcept, registry: Registry,
                product: Product, area: Area, choice: OfferChoice, offer: Policy, file_url: str) -> Sheet:
    sheet = Sheet(id=iri)
    n = sheet.nature
    n.title, n.description = title, description
    n.geoconcept, n.role = gc.iri(registry.base_iri), gc.role_iri
    n.inspire_themes = [inspire_theme_iri(code) for code in gc.inspire_themes]
    n.eu_themes = eu_themes_for(n.inspire_themes) or [data_theme_iri("ENVI")]
    n.resource_type = INSPIRE_CODELIST + "ResourceType/dataset"
    n.dataset_type = DATASET_TYPE + ("STATISTICAL" if product.kind == TABLE and product.temporal is None
                                     else "GEOSPATIAL")
    n.representation = INSPIRE_CODELIST + "SpatialRepresentationType/" + {
        GRID: "grid", TABLE: "textTable", FEED: "textTable"}.get(product.kind, "vector")
    n.topic_categories = [TOPIC + product.topic]
    n.keywords = [*product.keywords, "inondation", "estuaire de la Loire" if area.region != "angers" else "Angers"]
    n.identifier = iri

    p = sheet.provenance
    p.publisher = agent(org)
    p.publisher_type = publisher_type(org)
    p.contact = Contact(name=f"{org.name} — service des données", email=f"donnees@{org.domain}",
                        url=f"https://{org.domain}/contact")
    p.rights_holder = agent(org)
    p.other_roles = [Attribution(role=ROLE + "custodian", agent=Agent(name=org.name)),
                     Attribution(role=ROLE + "distributor", agent=Agent(name=f"Connecteur JNT de {org.name}"))]

    f = sheet.frequency
    f.accrual_periodicity = frequency_iri(product.frequency)
    f.modified = MODIFIED.get(product.frequency, date(2025, 3, 1))
    f.issued = date(2026, 2, 10)
    if product.temporal:
        f.temporal_start, f.temporal_end = PERIOD[0], PERIOD[1]
        f.temporal_resolution = product.temporal
    f.version = f.modified.isoformat()

    o = sheet.origin
    o.lineage = f"{product.description} {SYNTHETIC}"
    o.acquisition_mode = origin_iri(product.origin)
    o.sources = [f"Géo-concept JNT {gc.id} — {gc.label_fr}"] + (
        [f"Fournisseur type : {gc.typical_provider}"] if gc.typical_provider else [])
    o.process_steps = ["Génération déterministe (connector.demo_data) sur l'emprise « " + area.label + " »",
                       "Contrôle des géométries (validité, emprise) et des séries (période couverte)"]

    lic = sheet.licence
    lic.licence = LICENCES[choice.licence].iri
    lic.licence_type = ADMS_LICENCE_TYPE + LICENCE_TYPES[choice.licence]
    lic.rights = (f"Source : {org.name}, 2026 — données de démonstration." if choice.access == "public"
                  else f"{org.name} — usage soumis au contrat ; {choice.reason_fr}.")
    lic.policy = offer.uid

    e = sheet.extent
    e.bbox = area.bbox
    e.reference_systems = [epsg_iri(4326)]
    e.admin_units = admin_units(area)
    minx, miny, maxx, maxy = area.bbox
    e.centroid = (round((minx + maxx) / 2, 4), round((miny + maxy) / 2, 4))

    file_type, media_type, spec = FORMATS[product.kind]
    a = sheet.access
    a.access_rights = ACCESS_RIGHT + {"public": "PUBLIC", "restricted": "RESTRICTED",
                                      "non-public": "NON_PUBLIC"}[choice.access]
    a.distributions = [Distribution(
        access_url=file_url, title=product.file or "Flux temps réel (NDJSON)",
        description=("Flux continu d'observations, une ligne JSON par observation" if product.kind == FEED
                     else f"Fichier {product.file}"),
        download_url=None if product.kind == FEED else file_url, format=FILE_TYPE + file_type,
        media_type=IANA + media_type, conforms_to=[spec],
        availability=AVAILABILITY + ("AVAILABLE" if product.kind == FEED else "STABLE"),
        status=STATUS + "COMPLETED")]
    a.rights = "Conditions d'usage : " + " ; ".join(describe_policy(offer, "fr"))
    a.landing_page = iri + ".html"

    pr = sheet.precision
    pr.scale_denominator = product.scale
    pr.resolution_m = product.resolution
    if product.kind == VECTOR:
        pr.positional_accuracy = [QualityMeasurement(measure=MEASURE + "_ErrHorizontaleRelative",
                                                     value=round((product.scale or 5000) / 2000, 1), unit=METRE)]
    pr.resolution_text = product.precision_text or (f"1:{product.scale:,}".replace(",", " ") if product.scale
                                                    else f"{product.resolution:g} m")

    q = sheet.quality
    q.conformity = [Conformity(
        specification_title=product.standard or "Spécification du producteur",
        specification=product.standard_iri,
        degree=DEGREE_OF_CONFORMITY + ("conformant" if product.standard_iri else "notEvaluated"),
        explanation=SYNTHETIC)]
    q.status = STATUS + "COMPLETED"

    s = sheet.standard
    s.conforms_to = [StandardRef(title=product.standard or "Spécification du producteur", iri=product.standard_iri)]
    s.metadata_standard = GEODCAT_AP
    return sheet

