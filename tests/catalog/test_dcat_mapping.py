"""The sheet ↔ RDF mapping property by property (CRITERIA.md): which DCAT-AP 3 / GeoDCAT-AP property each criterion's
fields become, with the node types DCAT-AP's range checks need; reading RDF written by others (the shared example
record); deriving EU data themes from INSPIRE themes."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS

from catalog.dcat import (
    ADMS,
    DCAT,
    DCATAP,
    DCT,
    DQV,
    FOAF,
    GEODCAT,
    JNT,
    ODRL,
    PROV,
    VCARD,
    sheet_from_turtle,
    sheet_to_graph,
)
from catalog.sheet import Sheet
from catalog.vocabularies import eu_themes_for

FULL = Path(__file__).parent / "data" / "full-sheet.json"
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # a plain namespace: pytest probes module attributes


@pytest.fixture(scope="module")
def full() -> Sheet:
    return Sheet.model_validate_json(FULL.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def graph(full):
    return sheet_to_graph(full)


def _one(graph, subject, predicate):
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, (subject, predicate, values)
    return values[0]


def test_c1_nature(full, graph):
    ds = URIRef(full.id)
    assert (ds, RDF.type, DCAT.Dataset) in graph
    assert _one(graph, ds, DCT.title) == Literal(full.nature.title, lang="fr")
    assert _one(graph, ds, DCT.subject) == URIRef(full.nature.geoconcept)
    assert _one(graph, ds, JNT.geoconceptRole) == URIRef("https://w3id.org/jnt/role/contextualisation")
    themes = {str(t) for t in graph.objects(ds, DCAT.theme)}
    assert themes == set(full.nature.inspire_themes) | set(full.nature.eu_themes)
    assert _one(graph, ds, GEODCAT.resourceType) == URIRef(full.nature.resource_type)
    assert _one(graph, ds, DCT.type) == URIRef(full.nature.dataset_type)
    assert len(list(graph.objects(ds, GEODCAT.topicCategory))) == 2
    assert _one(graph, ds, DCT.identifier) == Literal(full.nature.identifier)
    for dist in graph.objects(ds, DCAT.distribution):  # GeoDCAT-AP puts the representation on distributions
        assert _one(graph, dist, ADMS.representationTechnique) == URIRef(full.nature.representation)


def test_c2_provenance(full, graph):
    ds = URIRef(full.id)
    publisher = _one(graph, ds, DCT.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in graph
    assert _one(graph, publisher, FOAF.name) == Literal("DDTM de Loire-Atlantique")
    assert _one(graph, publisher, DCT.type) == URIRef(full.provenance.publisher_type)
    contact = _one(graph, ds, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in graph
    assert _one(graph, contact, VCARD.hasEmail) == URIRef("mailto:ddtm-sr@loire-atlantique.gouv.fr")
    assert _one(graph, ds, DCT.rightsHolder) == URIRef(full.provenance.rights_holder.iri)
    attributions = list(graph.objects(ds, PROV.qualifiedAttribution))
    assert len(attributions) == 3 and all((a, RDF.type, PROV.Attribution) in graph for a in attributions)
    originator = _one(graph, ds, GEODCAT.originator)  # GeoDCAT-AP shortcut for the INSPIRE role
    assert originator == URIRef("https://www.cerema.fr/")


def test_c3_frequency(full, graph):
    ds = URIRef(full.id)
    periodicity = _one(graph, ds, DCT.accrualPeriodicity)
    assert (periodicity, RDF.type, DCT.Frequency) in graph
    assert _one(graph, ds, DCT.modified).datatype == XSD.date
    assert _one(graph, ds, DCT.issued).datatype == XSD.dateTime
    period = _one(graph, ds, DCT.temporal)
    assert (period, RDF.type, DCT.PeriodOfTime) in graph
    assert _one(graph, period, DCAT.startDate) == Literal("2014-07-10", datatype=XSD.date)
    assert _one(graph, ds, DCAT.temporalResolution) == Literal("P1Y", datatype=XSD.duration)
    assert _one(graph, ds, DCAT.version) == Literal("2024-03")


def test_c4_origin(full, graph):
    ds = URIRef(full.id)
    statement = _one(graph, ds, DCT.provenance)
    assert (statement, RDF.type, DCT.ProvenanceStatement) in graph
    assert str(_one(graph, statement, DCT.description)) == full.origin.lineage
    activities = list(graph.objects(ds, PROV.wasGeneratedBy))
    origin = [a for a in activities if (a, DCT.type, URIRef(full.origin.acquisition_mode)) in graph]
    steps = [a for a in activities if (a, DCT.description, None) in graph]
    assert len(origin) == 1 and len(steps) == 3 and all((a, RDF.type, PROV.Activity) in graph for a in activities)
    assert (URIRef(full.id + "#step-3"), PROV.wasInformedBy, URIRef(full.id + "#step-2")) in graph
    assert URIRef("https://data.geopf.fr/ressources/rge-alti-1m") in set(graph.objects(ds, PROV.wasDerivedFrom))
    assert len(list(graph.objects(ds, DCT.relation))) == 2


def test_c5_licence_on_the_dataset_and_each_distribution(full, graph):
    ds = URIRef(full.id)
    licence = URIRef(full.licence.licence)
    assert _one(graph, ds, DCT.license) == licence
    assert (licence, RDF.type, DCT.LicenseDocument) in graph
    assert _one(graph, licence, DCT.type) == URIRef(full.licence.licence_type)
    distributions = list(graph.objects(ds, DCAT.distribution))
    assert len(distributions) == 3
    for dist in distributions:
        assert _one(graph, dist, DCT.license) == licence
        assert _one(graph, dist, ODRL.hasPolicy) == URIRef(full.licence.policy)
        rights = _one(graph, dist, DCT.rights)
        assert (rights, RDF.type, DCT.RightsStatement) in graph
        access = _one(graph, dist, DCT.accessRights)  # C7 text, GeoDCAT-AP style
        assert str(_one(graph, access, RDFS.label)) == full.access.rights


def test_c6_extent(full, graph):
    ds = URIRef(full.id)
    spatial = list(graph.objects(ds, DCT.spatial))
    locations = [s for s in spatial if (s, DCAT.bbox, None) in graph]
    assert len(locations) == 1 and (locations[0], RDF.type, DCT.Location) in graph
    assert "POINT(-1.85 47.25)" in str(_one(graph, locations[0], DCAT.centroid))
    units = {str(s) for s in spatial if isinstance(s, URIRef)}
    assert units == set(full.extent.admin_units)
    assert {str(c) for c in graph.objects(ds, GEODCAT.referenceSystem)} == set(full.extent.reference_systems)


def test_c7_access(full, graph):
    ds = URIRef(full.id)
    rights = _one(graph, ds, DCT.accessRights)
    assert rights == URIRef(full.access.access_rights) and (rights, RDF.type, DCT.RightsStatement) in graph
    first = URIRef(full.id + "#distribution-1")
    assert _one(graph, first, DCAT.byteSize) == Literal(12582912, datatype=XSD.nonNegativeInteger)
    assert (_one(graph, first, DCT.format), RDF.type, DCT.MediaTypeOrExtent) in graph
    assert (_one(graph, first, DCAT.mediaType), RDF.type, DCT.MediaType) in graph
    assert _one(graph, first, DCATAP.availability) == URIRef(full.access.distributions[0].availability)
    service = _one(graph, URIRef(full.id + "#distribution-2"), DCAT.accessService)
    assert (service, RDF.type, DCAT.DataService) in graph
    assert _one(graph, service, DCAT.endpointURL) == URIRef("https://geo.ddtm44.example.fr/wfs")
    assert _one(graph, service, GEODCAT.serviceProtocol) == Literal("OGC:WFS")  # not an IRI: kept as text
    assert (_one(graph, ds, DCAT.landingPage), RDF.type, FOAF.Document) in graph


def test_c8_c9_precision_and_quality(full, graph):
    ds = URIRef(full.id)
    assert _one(graph, ds, DCAT.spatialResolutionInMeters) == Literal("2.5", datatype=XSD.decimal)
    scale = URIRef(full.id + "#scale")
    assert _one(graph, scale, DQV.isMeasurementOf) == GEODCAT.spatialResolutionAsScale
    assert _one(graph, scale, DQV.value) == Literal("0.0002", datatype=XSD.decimal)
    accuracy = URIRef(full.id + "#accuracy-1")
    assert (accuracy, RDF.type, JNT.PositionalAccuracyMeasurement) in graph
    test = URIRef(full.id + "#conformity-1")
    plan = _one(graph, _one(graph, test, PROV.qualifiedAssociation), PROV.hadPlan)
    assert _one(graph, plan, PROV.wasDerivedFrom) == URIRef(full.quality.conformity[0].specification)
    result = _one(graph, test, PROV.generated)
    assert _one(graph, result, DCT.type) == URIRef(full.quality.conformity[0].degree)
    assert _one(graph, ds, ADMS.status) == URIRef(full.quality.status)


def test_c10_standard(full, graph):
    ds = URIRef(full.id)
    standards = list(graph.objects(ds, DCT.conformsTo))
    assert len(standards) == 2 and all((s, RDF.type, DCT.Standard) in graph for s in standards)
    record = URIRef(full.id + "#record")
    assert (record, RDF.type, DCAT.CatalogRecord) in graph
    assert _one(graph, record, FOAF.primaryTopic) == ds
    assert _one(graph, record, DCT.conformsTo) == URIRef(full.standard.metadata_standard)
    assert _one(graph, record, DCT.modified) == Literal("2024-03-01", datatype=XSD.date)


def test_reading_a_record_written_by_others(shared_dir):
    text = (shared_dir / "spec/dcat-ap/example-geoconcept-ppri-dcat-ap3.ttl").read_text(encoding="utf-8")
    sheet = sheet_from_turtle(text, "https://example.org/jnt/ds-ppri-zonage")
    assert sheet.nature.title.startswith("PPRN inondation") and sheet.language == "fr"
    assert sheet.nature.inspire_themes == ["http://inspire.ec.europa.eu/theme/lu", "http://inspire.ec.europa.eu/theme/nz"]
    assert sheet.nature.eu_themes == ["http://publications.europa.eu/resource/authority/data-theme/ENVI"]
    assert sheet.provenance.publisher.name == "DDTM de la Seine-Maritime (exemple)"
    assert sheet.provenance.publisher_type == "http://purl.org/adms/publishertype/LocalAuthority"
    assert sheet.provenance.contact.email == "contact@example.org"
    assert sheet.provenance.other_roles[0].role.endswith("/owner")
    assert sheet.extent.bbox == (0.95, 49.75, 1.25, 49.95)
    assert sheet.precision.scale_denominator == 5000
    assert [m.measure.rsplit("/", 1)[-1] for m in sheet.quality.measures] == ["_ErrHorizontaleRelative"]
    assert sheet.licence.licence == "https://spdx.org/licenses/etalab-2.0.html"  # read from the distribution
    assert sheet.access.distributions[0].access_service.endpoint_url == "https://example.org/wfs"
    assert sheet.quality.conformity[0].degree.endswith("/conformant")
    assert sheet.standard.conforms_to[0].title == "CNIG Géostandards Risques - Profil applicatif PPR v1.0.1"


def test_eu_themes_are_derived_from_inspire_themes():
    assert eu_themes_for(["nz", "lu", "am"]) == [
        "http://publications.europa.eu/resource/authority/data-theme/ECON",
        "http://publications.europa.eu/resource/authority/data-theme/ENVI"]
    assert eu_themes_for(["http://inspire.ec.europa.eu/theme/tn"]) == [
        "http://publications.europa.eu/resource/authority/data-theme/TRAN"]
    assert eu_themes_for(["xx"]) == []
