"""The wire vocabulary of our DSP 2025-1 catalog documents: the JSON keys a `Catalog` / `Dataset` carries and the
IRIs behind them, in one table that rendering (`catalog.dsp_render`) and parsing (`catalog.dsp_parse`) both read.

The DSP context is `@protected` and defines only the DSP terms (`dataset`, `hasPolicy`, `distribution`, `format`,
`accessService`, `endpointURL`, `participantId`…) and the prefixes `dct:`, `dcat:`, `odrl:`, `xsd:`, `dspace:`; a
`@context` must be an array of strings (common/context-schema.json), so no inline term can be added. DCAT-AP
content is therefore written with those prefixes (`dct:title`, `dcat:theme`) and every other property as a full
IRI (`http://xmlns.com/foaf/0.1/name`, `https://w3id.org/jnt/ns#completeness`). Each key here is the *canonical*
one: the form a JSON-LD processor gives when it compacts with the DSP context, so a document compacted by pyld
and a document we render read the same way."""

from __future__ import annotations

from policies.jsonld import DSP_CONTEXT, DSP_ODRL_PROFILE

DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
ODRL = "http://www.w3.org/ns/odrl/2/"
XSD = "http://www.w3.org/2001/XMLSchema#"
DSPACE = "https://w3id.org/dspace/2025/1/"
PREFIXES = {"dct": DCT, "dcat": DCAT, "odrl": ODRL, "xsd": XSD, "dspace": DSPACE}

FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
PROV = "http://www.w3.org/ns/prov#"
DQV = "http://www.w3.org/ns/dqv#"
GEODCAT = "http://data.europa.eu/930/"
GEO_WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
JNT = "https://w3id.org/jnt/ns#"  # the project's namespace (same as catalog.dcat)

CONTEXT = [DSP_CONTEXT]
# Contexts with which a document is read directly (no JSON-LD processing): ours, and ours plus the ODRL profile
# that the DSP context imports anyway.
FAST_CONTEXTS = (DSP_CONTEXT, DSP_ODRL_PROFILE)

# --- DSP terms (unprefixed, defined by the DSP context) -----------------------------------------------------------
T_CATALOG = "Catalog"
T_DATASET = "Dataset"
T_DISTRIBUTION = "Distribution"
T_DATA_SERVICE = "DataService"
T_OFFER = "Offer"
T_CATALOG_ERROR = "CatalogError"
PARTICIPANT_ID = "participantId"
DATASET = "dataset"
CATALOG = "catalog"
SERVICE = "service"
DISTRIBUTION = "distribution"
HAS_POLICY = "hasPolicy"
FORMAT = "format"
ACCESS_SERVICE = "accessService"
ENDPOINT_URL = "endpointURL"
ENDPOINT_DESCRIPTION = "endpointDescription"

# --- DCAT-AP content, prefixed with the DSP context's prefixes ----------------------------------------------------
TITLE = "dct:title"
DESCRIPTION = "dct:description"
SUBJECT = "dct:subject"  # C1 géo-concept
THEME = "dcat:theme"  # C1 INSPIRE + EU data themes
TYPE = "dct:type"  # C1 dataset type; agent kind (ADMS publisher type); conformity degree
KEYWORD = "dcat:keyword"
IDENTIFIER = "dct:identifier"
PUBLISHER = "dct:publisher"  # C2
CONTACT_POINT = "dcat:contactPoint"
ACCRUAL_PERIODICITY = "dct:accrualPeriodicity"  # C3
MODIFIED = "dct:modified"
ISSUED = "dct:issued"
TEMPORAL = "dct:temporal"
START_DATE = "dcat:startDate"
END_DATE = "dcat:endDate"
TEMPORAL_RESOLUTION = "dcat:temporalResolution"
VERSION = "dcat:version"
LICENSE = "dct:license"  # C5
SPATIAL = "dct:spatial"  # C6
BBOX = "dcat:bbox"
CENTROID = "dcat:centroid"
ACCESS_RIGHTS = "dct:accessRights"  # C7
LANDING_PAGE = "dcat:landingPage"
MEDIA_TYPE = "dcat:mediaType"
BYTE_SIZE = "dcat:byteSize"
SPATIAL_RESOLUTION = "dcat:spatialResolutionInMeters"  # C8
CONFORMS_TO = "dct:conformsTo"  # C10 (and delivery schema on distributions)
LOCATION = "dct:Location"
PERIOD_OF_TIME = "dct:PeriodOfTime"
STANDARD = "dct:Standard"

# --- full IRIs (namespaces the DSP context does not know) ---------------------------------------------------------
FOAF_AGENT = FOAF + "Agent"
FOAF_NAME = FOAF + "name"
FOAF_MBOX = FOAF + "mbox"
VCARD_KIND = VCARD + "Kind"
VCARD_FN = VCARD + "fn"
VCARD_HAS_EMAIL = VCARD + "hasEmail"
VCARD_HAS_URL = VCARD + "hasURL"
PROV_ACTIVITY = PROV + "Activity"
PROV_WAS_GENERATED_BY = PROV + "wasGeneratedBy"  # C4 acquisition mode: prov:Activity with dct:type
REFERENCE_SYSTEM = GEODCAT + "referenceSystem"  # C6
DQV_HAS_QUALITY_MEASUREMENT = DQV + "hasQualityMeasurement"  # C8 scale, GeoDCAT-AP pattern
DQV_QUALITY_MEASUREMENT = DQV + "QualityMeasurement"
DQV_IS_MEASUREMENT_OF = DQV + "isMeasurementOf"
DQV_VALUE = DQV + "value"
SCALE_METRIC = GEODCAT + "spatialResolutionAsScale"
JNT_ROLE = JNT + "geoconceptRole"  # C1 role (calcul / contextualisation), as in catalog.dcat
JNT_CONFORMITY = JNT + "conformity"  # C9: [{jnt:specification, dct:title, dct:type degree}]
JNT_SPECIFICATION = JNT + "specification"
JNT_FILE_TYPE = JNT + "fileType"  # EU file type of what a distribution delivers (dct:format is the DSP format)
JNT_COMPLETENESS = JNT + "completeness"  # sheet completeness score 0..1 (xsd:double)
JNT_COMPLETE = JNT + "mandatoryComplete"  # every mandatory field filled (xsd:boolean)
JNT_MISSING = JNT + "missingMandatory"  # paths of the empty mandatory fields (nature.title…)

# Terms whose key is the bare DSP term: their prefixed and full-IRI spellings are the same property.
TERM_IRIS = {
    PARTICIPANT_ID: DSPACE + "participantId", DATASET: DCAT + "dataset", CATALOG: DCAT + "catalog",
    SERVICE: DCAT + "service", DISTRIBUTION: DCAT + "distribution", HAS_POLICY: ODRL + "hasPolicy",
    FORMAT: DCT + "format", ACCESS_SERVICE: DCAT + "accessService", ENDPOINT_URL: DCAT + "endpointURL",
    ENDPOINT_DESCRIPTION: DCAT + "endpointDescription",
}
_PREFIXED_KEYS = (
    TITLE, DESCRIPTION, SUBJECT, THEME, TYPE, KEYWORD, IDENTIFIER, PUBLISHER, CONTACT_POINT, ACCRUAL_PERIODICITY,
    MODIFIED, ISSUED, TEMPORAL, START_DATE, END_DATE, TEMPORAL_RESOLUTION, VERSION, LICENSE, SPATIAL, BBOX, CENTROID,
    ACCESS_RIGHTS, LANDING_PAGE, MEDIA_TYPE, BYTE_SIZE, SPATIAL_RESOLUTION, CONFORMS_TO,
)


def expand(value: str) -> str:
    """A compact IRI with one of the DSP context's prefixes (`xsd:date`, `odrl:prohibit`) as a full IRI; anything
    else unchanged."""
    prefix, sep, rest = value.partition(":")
    if sep and not rest.startswith("//"):
        ns = PREFIXES.get(prefix)
        if ns is not None:
            return ns + rest
    return value


def _aliases() -> frozenset[str]:
    out: set[str] = set()
    for iri in TERM_IRIS.values():
        out.add(iri)
        for prefix, ns in PREFIXES.items():
            if iri.startswith(ns):
                out.add(f"{prefix}:{iri[len(ns):]}")
    out.update(expand(key) for key in _PREFIXED_KEYS)
    return frozenset(out)


# Other spellings of the keys we read (`dcat:dataset`, `http://purl.org/dc/terms/title`…): legal JSON-LD, but a
# document using them is not in the canonical compact form, so it goes through JSON-LD processing.
NON_CANONICAL_KEYS = _aliases()
NON_CANONICAL_TYPES = frozenset(
    spelling for term, iri in ((T_CATALOG, DCAT + "Catalog"), (T_DATASET, DCAT + "Dataset"),
                               (T_DISTRIBUTION, DCAT + "Distribution"), (T_DATA_SERVICE, DCAT + "DataService"))
    for spelling in (iri, "dcat:" + term)
)
