"""Export of a characterisation sheet as an ISO 19139 record (`gmd:MD_Metadata`), the form GIS catalogues (CSW,
GeoNetwork, QGIS MetaSearch) exchange: title, abstract, identifiers, dates, responsible parties, keywords (INSPIRE
themes as `gmx:Anchor`s to the INSPIRE registry, the JNT géo-concept, free keywords), licence and access
constraints (anchors to the licence and to the INSPIRE LimitationsOnPublicAccess code list), extent (bounding box,
administrative units, temporal coverage), reference systems (EPSG anchors), spatial resolution and scale, lineage,
conformity reports, application schemas, formats and online resources. The mapping is the inverse of
`catalog.iso19139` (same XPaths, same vocabularies), so that a record written here imports back into the same
main fields; where ISO has no place for a value (EU data themes, JNT origin), it is left out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from . import label_lookup as lk
from .geoconcepts import Registry, load_registry
from .iso19139 import NS
from .sheet import Agent, Contact, Distribution, QualityMeasurement, Sheet
from .vocabularies import DEGREE_OF_CONFORMITY, EPSG, FILE_TYPE, INSPIRE_THEME

GML = "http://www.opengis.net/gml/3.2"
NSMAP = {**{p: NS[p] for p in ("gmd", "gco", "gmx", "xlink")}, "gml": GML,
         "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
SCHEMA_LOCATION = "http://www.isotc211.org/2005/gmd http://schemas.opengis.net/iso/19139/20060504/gmd/gmd.xsd"
CODELISTS = "http://standards.iso.org/iso/19139/resources/gmxCodelists.xml#"
METADATA_STANDARD = ("ISO 19115:2003/19139", "1.0")

# EU frequency code -> ISO 19115 MD_MaintenanceFrequencyCode (the inverse of the importer's table; the sub-daily
# frequencies, which ISO lacks, are "continual").
_FREQUENCIES = {eu: iso for iso, eu in lk.FREQUENCIES.items()} | {
    code: "continual" for code in ("1MIN", "5MIN", "10MIN", "15MIN", "30MIN", "HOURLY")}
_LANGUAGES = {"fr": "fre", "en": "eng", "de": "ger", "es": "spa", "it": "ita", "nl": "dut", "pt": "por"}
_PROGRESS = {"COMPLETED": "completed", "DEPRECATED": "obsolete", "WITHDRAWN": "withdrawn",
             "DEVELOP": "underDevelopment"}
_ACCESS_ANCHORS = {
    "PUBLIC": (lk.LIMITATIONS + "noLimitations", "Pas de restriction d'accès public"),
    "RESTRICTED": (lk.LIMITATIONS + "INSPIRE_Directive_Article13_1b",
                   "Accès restreint (directive INSPIRE, article 13, paragraphe 1, point b)"),
    "NON_PUBLIC": (lk.LIMITATIONS + "INSPIRE_Directive_Article13_1b",
                   "Accès non public (directive INSPIRE, article 13, paragraphe 1, point b)"),
}
_INSPIRE_THESAURUS = ("GEMET - INSPIRE themes, version 1.0", date(2008, 6, 1))
_GEOCONCEPT_THESAURUS = ("Géo-concepts des jumeaux numériques du territoire (JNT)", None)
_DOWNLOAD = "WWW:DOWNLOAD-1.0-http--download"
_LINK = "WWW:LINK-1.0-http--link"


@dataclass(frozen=True)
class OnlineLink:
    """An extra online resource of the record (e.g. the catalogue page that describes the dataset)."""

    url: str
    name: str | None = None
    description: str | None = None
    protocol: str = _LINK
    function: str = "information"  # CI_OnLineFunctionCode


# --- small builders ---------------------------------------------------------------------------------------------


def _q(qname: str) -> str:
    prefix, local = qname.split(":", 1)
    return f"{{{NSMAP[prefix]}}}{local}"


def _el(parent: etree._Element, qname: str, text: str | None = None, **attributes: str) -> etree._Element:
    node = etree.SubElement(parent, _q(qname), {_q(k.replace("_", ":", 1)) if "_" in k else k: v
                                                 for k, v in attributes.items()})
    if text is not None:
        node.text = text
    return node


def _string(parent: etree._Element, qname: str, text: str) -> etree._Element:
    node = _el(parent, qname)
    _el(node, "gco:CharacterString", text)
    return node


def _anchor(parent: etree._Element, qname: str, href: str, text: str) -> etree._Element:
    node = _el(parent, qname)
    _el(node, "gmx:Anchor", text, xlink_href=href)
    return node


def _code(parent: etree._Element, qname: str, code_list: str, value: str) -> etree._Element:
    node = _el(parent, qname)
    _el(node, f"gmd:{code_list}", value, codeList=CODELISTS + code_list, codeListValue=value)
    return node


def _missing(parent: etree._Element, qname: str, reason: str = "missing") -> etree._Element:
    return _el(parent, qname, gco_nilReason=reason)


def _when(parent: etree._Element, qname: str, value: date | datetime) -> None:
    node = _el(parent, qname)
    if isinstance(value, datetime):
        _el(node, "gco:DateTime", value.replace(tzinfo=None).isoformat(timespec="seconds"))
    else:
        _el(node, "gco:Date", value.isoformat())


def _citation_date(parent: etree._Element, value: date | datetime, kind: str) -> None:
    ci_date = _el(_el(parent, "gmd:date"), "gmd:CI_Date")
    _when(ci_date, "gmd:date", value)
    _code(ci_date, "gmd:dateType", "CI_DateTypeCode", kind)


def _tail(iri: str | None, prefix: str) -> str | None:
    return iri[len(prefix):].strip("/") if iri and iri.startswith(prefix) else None


def _party(parent: etree._Element, qname: str, name: str, role: str, *, email: str | None = None,
           url: str | None = None) -> None:
    party = _el(_el(parent, qname), "gmd:CI_ResponsibleParty")
    _string(party, "gmd:organisationName", name)
    if email or url:
        contact = _el(_el(party, "gmd:contactInfo"), "gmd:CI_Contact")
        if email:
            _string(_el(_el(contact, "gmd:address"), "gmd:CI_Address"), "gmd:electronicMailAddress", email)
        if url:
            _el(_el(_el(_el(contact, "gmd:onlineResource"), "gmd:CI_OnlineResource"), "gmd:linkage"), "gmd:URL",
                url)
    _code(party, "gmd:role", "CI_RoleCode", role)


def _agent_party(parent: etree._Element, qname: str, agent: Agent | None, role: str) -> None:
    if agent is not None and agent.name:
        _party(parent, qname, agent.name, role, email=agent.email)


def _contact_party(parent: etree._Element, qname: str, contact: Contact, fallback_name: str) -> None:
    _party(parent, qname, contact.name or fallback_name, "pointOfContact", email=contact.email, url=contact.url)


def _keywords(parent: etree._Element, keywords: Sequence[tuple[str, str | None]],
              thesaurus: tuple[str, date | None] | None = None, kind: str | None = None) -> None:
    block = _el(_el(parent, "gmd:descriptiveKeywords"), "gmd:MD_Keywords")
    for label, href in keywords:
        if href:
            _anchor(block, "gmd:keyword", href, label)
        else:
            _string(block, "gmd:keyword", label)
    if kind:
        _code(block, "gmd:type", "MD_KeywordTypeCode", kind)
    if thesaurus:
        citation = _el(_el(block, "gmd:thesaurusName"), "gmd:CI_Citation")
        _string(citation, "gmd:title", thesaurus[0])
        if thesaurus[1]:
            _citation_date(citation, thesaurus[1], "publication")
        else:
            _missing(citation, "gmd:date", "unknown")


def _online(parent: etree._Element, url: str, *, protocol: str | None, name: str | None,
            description: str | None, function: str) -> None:
    resource = _el(_el(parent, "gmd:onLine"), "gmd:CI_OnlineResource")
    _el(_el(resource, "gmd:linkage"), "gmd:URL", url)
    if protocol:
        _string(resource, "gmd:protocol", protocol)
    if name:
        _string(resource, "gmd:name", name)
    if description:
        _string(resource, "gmd:description", description)
    _code(resource, "gmd:function", "CI_OnLineFunctionCode", function)


# --- the record -------------------------------------------------------------------------------------------------


def sheet_to_iso(sheet: Sheet, *, file_identifier: str | None = None, date_stamp: date | datetime | None = None,
                 registry: Registry | None = None, links: Sequence[OnlineLink] = ()) -> etree._Element:
    """The sheet as a `gmd:MD_Metadata` element. `file_identifier` defaults to the dataset IRI, `date_stamp` (the
    metadata date) to the last modification; `links` are extra online resources (a catalogue page...)."""
    root = etree.Element(_q("gmd:MD_Metadata"), nsmap=NSMAP)
    root.set(_q("xsi:schemaLocation"), SCHEMA_LOCATION)
    language = _LANGUAGES.get(sheet.language, "fre")
    _string(root, "gmd:fileIdentifier", file_identifier or sheet.id)
    _code(root, "gmd:language", "LanguageCode", language)
    _code(root, "gmd:characterSet", "MD_CharacterSetCode", "utf8")
    resource_type = _tail(sheet.nature.resource_type, lk.RESOURCE_TYPE) or "dataset"
    _code(root, "gmd:hierarchyLevel", "MD_ScopeCode", resource_type)
    publisher = sheet.provenance.publisher
    contact = sheet.provenance.contact
    if contact is not None:
        _contact_party(root, "gmd:contact", contact, publisher.name if publisher else "-")
    elif publisher is not None:
        _party(root, "gmd:contact", publisher.name, "pointOfContact", email=publisher.email)
    else:
        _missing(root, "gmd:contact")
    stamp = date_stamp or sheet.frequency.modified or sheet.frequency.issued or date.today()
    _when(root, "gmd:dateStamp", stamp)
    name, version = (sheet.standard.metadata_standard, None) if sheet.standard.metadata_standard \
        else METADATA_STANDARD
    _string(root, "gmd:metadataStandardName", name)
    if version:
        _string(root, "gmd:metadataStandardVersion", version)
    _string(root, "gmd:dataSetURI", sheet.id)
    for crs in sheet.extent.reference_systems:
        identifier = _el(_el(_el(_el(root, "gmd:referenceSystemInfo"), "gmd:MD_ReferenceSystem"),
                             "gmd:referenceSystemIdentifier"), "gmd:RS_Identifier")
        code = _tail(crs, EPSG)
        _anchor(identifier, "gmd:code", crs, f"EPSG:{code}" if code else crs)
        if code:
            _string(identifier, "gmd:codeSpace", "EPSG")
    _identification(_el(_el(root, "gmd:identificationInfo"), "gmd:MD_DataIdentification"), sheet, language,
                    registry)
    _distribution(root, sheet, links)
    _data_quality(root, sheet, resource_type)
    _application_schemas(root, sheet)
    return root


def sheet_to_iso_bytes(sheet: Sheet, **options) -> bytes:
    """The ISO 19139 record as UTF-8 XML with its declaration (options: see `sheet_to_iso`)."""
    return etree.tostring(sheet_to_iso(sheet, **options), xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _identification(ident: etree._Element, sheet: Sheet, language: str, registry: Registry | None) -> None:
    nature, provenance, frequency = sheet.nature, sheet.provenance, sheet.frequency
    citation = _el(_el(ident, "gmd:citation"), "gmd:CI_Citation")
    _string(citation, "gmd:title", nature.title or sheet.id)
    dates = [(frequency.created, "creation"), (frequency.issued, "publication"), (frequency.modified, "revision")]
    if not any(value for value, _ in dates):
        _missing(citation, "gmd:date")
    for value, kind in dates:
        if value:
            _citation_date(citation, value, kind)
    if frequency.version:
        _string(citation, "gmd:edition", frequency.version)
    identifier = _el(_el(citation, "gmd:identifier"), "gmd:MD_Identifier")
    _anchor(identifier, "gmd:code", sheet.id, sheet.id)
    if nature.identifier and nature.identifier != sheet.id:
        _string(_el(_el(citation, "gmd:identifier"), "gmd:MD_Identifier"), "gmd:code", nature.identifier)
    _string(ident, "gmd:abstract", nature.description or nature.title or "-")
    status = _tail(sheet.quality.status, lk.DISTRIBUTION_STATUS)
    if status in _PROGRESS:
        _code(ident, "gmd:status", "MD_ProgressCode", _PROGRESS[status])
    publisher = provenance.publisher
    _agent_party(ident, "gmd:pointOfContact", publisher, "publisher")
    if provenance.contact is not None:
        _contact_party(ident, "gmd:pointOfContact", provenance.contact, publisher.name if publisher else "-")
    _agent_party(ident, "gmd:pointOfContact", provenance.rights_holder, "owner")
    _agent_party(ident, "gmd:pointOfContact", provenance.creator, "author")
    for attribution in provenance.other_roles:
        role = _tail(attribution.role, lk.RESPONSIBLE_PARTY_ROLE)
        if role:
            _agent_party(ident, "gmd:pointOfContact", attribution.agent, role)
    code = (frequency.accrual_periodicity or "").rsplit("/", 1)[-1]
    if code in _FREQUENCIES:
        maintenance = _el(_el(ident, "gmd:resourceMaintenance"), "gmd:MD_MaintenanceInformation")
        _code(maintenance, "gmd:maintenanceAndUpdateFrequency", "MD_MaintenanceFrequencyCode", _FREQUENCIES[code])
    themes = [(lk.INSPIRE_THEME_LABELS[c][0], INSPIRE_THEME + c) for c in
              (_tail(t, INSPIRE_THEME) for t in nature.inspire_themes) if c in lk.INSPIRE_THEME_LABELS]
    if themes:
        _keywords(ident, themes, _INSPIRE_THESAURUS, "theme")
    concept = (registry or load_registry()).get(nature.geoconcept) if nature.geoconcept else None
    if nature.geoconcept:
        _keywords(ident, [(concept.label_fr if concept else nature.geoconcept, nature.geoconcept)],
                  _GEOCONCEPT_THESAURUS, "theme")
    if nature.keywords:
        _keywords(ident, [(k, None) for k in nature.keywords])
    _constraints(ident, sheet)
    representation = _tail(nature.representation, lk.SPATIAL_REPRESENTATION)
    if representation:
        _code(ident, "gmd:spatialRepresentationType", "MD_SpatialRepresentationTypeCode", representation)
    precision = sheet.precision
    if precision.scale_denominator:
        fraction = _el(_el(_el(_el(ident, "gmd:spatialResolution"), "gmd:MD_Resolution"), "gmd:equivalentScale"),
                       "gmd:MD_RepresentativeFraction")
        _el(_el(fraction, "gmd:denominator"), "gco:Integer", str(precision.scale_denominator))
    if precision.resolution_m:
        distance = _el(_el(_el(ident, "gmd:spatialResolution"), "gmd:MD_Resolution"), "gmd:distance")
        _el(distance, "gco:Distance", f"{precision.resolution_m:g}", uom="m")
    _code(ident, "gmd:language", "LanguageCode", language)
    for topic in nature.topic_categories:
        value = _tail(topic, lk.TOPIC_CATEGORY)
        if value in lk.TOPIC_CATEGORIES:
            _el(_el(ident, "gmd:topicCategory"), "gmd:MD_TopicCategoryCode", value)
    _extent(ident, sheet)


def _constraints(ident: etree._Element, sheet: Sheet) -> None:
    licence, access = sheet.licence, sheet.access
    if licence.licence or licence.rights:
        legal = _el(_el(ident, "gmd:resourceConstraints"), "gmd:MD_LegalConstraints")
        if licence.rights:
            _string(legal, "gmd:useLimitation", licence.rights)
        _code(legal, "gmd:useConstraints", "MD_RestrictionCode", "otherRestrictions")
        if licence.licence:
            key = next((k for k, iri in lk.LICENCES.items() if iri == licence.licence), None)
            _anchor(legal, "gmd:otherConstraints", licence.licence, f"Licence : {key or licence.licence}")
    code = (access.access_rights or "").rsplit("/", 1)[-1]
    if code in _ACCESS_ANCHORS:
        href, label = _ACCESS_ANCHORS[code]
        legal = _el(_el(ident, "gmd:resourceConstraints"), "gmd:MD_LegalConstraints")
        _code(legal, "gmd:accessConstraints", "MD_RestrictionCode", "otherRestrictions")
        _anchor(legal, "gmd:otherConstraints", href, access.rights or label)


def _extent(ident: etree._Element, sheet: Sheet) -> None:
    extent, frequency = sheet.extent, sheet.frequency
    if not (extent.bbox or extent.admin_units or frequency.temporal_start or frequency.temporal_end):
        return
    ex = _el(_el(ident, "gmd:extent"), "gmd:EX_Extent")
    if extent.bbox:
        box = _el(_el(ex, "gmd:geographicElement"), "gmd:EX_GeographicBoundingBox")
        minx, miny, maxx, maxy = extent.bbox
        for side, value in (("westBoundLongitude", minx), ("eastBoundLongitude", maxx),
                            ("southBoundLatitude", miny), ("northBoundLatitude", maxy)):
            _el(_el(box, f"gmd:{side}"), "gco:Decimal", repr(float(value)))
    for unit in extent.admin_units:
        description = _el(_el(ex, "gmd:geographicElement"), "gmd:EX_GeographicDescription")
        _anchor(_el(_el(description, "gmd:geographicIdentifier"), "gmd:MD_Identifier"), "gmd:code", unit, unit)
    if frequency.temporal_start or frequency.temporal_end:
        period = _el(_el(_el(_el(ex, "gmd:temporalElement"), "gmd:EX_TemporalExtent"), "gmd:extent"),
                     "gml:TimePeriod", gml_id="temporal-coverage")
        for qname, value in (("gml:beginPosition", frequency.temporal_start),
                             ("gml:endPosition", frequency.temporal_end)):
            if value:
                _el(period, qname, value.isoformat())
            else:
                _el(period, qname, indeterminatePosition="unknown")


def _distribution(root: etree._Element, sheet: Sheet, links: Sequence[OnlineLink]) -> None:
    access = sheet.access
    formats = list(dict.fromkeys(d.format for d in access.distributions if d.format))
    if not (formats or access.distributions or access.landing_page or links):
        return
    info = _el(_el(root, "gmd:distributionInfo"), "gmd:MD_Distribution")
    for file_type in formats:
        md_format = _el(_el(info, "gmd:distributionFormat"), "gmd:MD_Format")
        # The EU file-type code as text (OWSLib, hence pycsw's dc:format and QGIS, read no gmx:Anchor here).
        _string(md_format, "gmd:name", _tail(file_type, FILE_TYPE) or file_type)
        _missing(md_format, "gmd:version", "unknown")
    if access.landing_page:
        options = _el(_el(info, "gmd:transferOptions"), "gmd:MD_DigitalTransferOptions")
        _online(options, access.landing_page, protocol=_LINK, name=None, description=None, function="information")
    for dist in access.distributions:
        _transfer(info, dist)
    for link in links:
        options = _el(_el(info, "gmd:transferOptions"), "gmd:MD_DigitalTransferOptions")
        _online(options, link.url, protocol=link.protocol, name=link.name, description=link.description,
                function=link.function)


def _transfer(info: etree._Element, dist: Distribution) -> None:
    options = _el(_el(info, "gmd:transferOptions"), "gmd:MD_DigitalTransferOptions")
    if dist.byte_size is not None:
        _el(_el(options, "gmd:transferSize"), "gco:Real", f"{dist.byte_size / 1_000_000:g}")
    service = dist.access_service
    if service is not None:
        _online(options, service.endpoint_description or service.endpoint_url, protocol=service.protocol,
                name=dist.title or service.title, description=dist.description, function="download")
        return
    name = dist.title or _tail(dist.format, FILE_TYPE)
    _online(options, dist.download_url or dist.access_url, protocol=_DOWNLOAD if dist.download_url else _LINK,
            name=name, description=dist.description, function="download")


def _data_quality(root: etree._Element, sheet: Sheet, resource_type: str) -> None:
    origin, quality, precision = sheet.origin, sheet.quality, sheet.precision
    if not (origin.lineage or origin.process_steps or origin.sources or quality.conformity
            or precision.positional_accuracy):
        return
    # A conformity test names its specification by IRI when the sheet knows it, here or as a data standard.
    standard_iris = {s.title: s.iri for s in sheet.standard.conforms_to if s.title and s.iri}
    dq = _el(_el(root, "gmd:dataQualityInfo"), "gmd:DQ_DataQuality")
    _code(_el(_el(dq, "gmd:scope"), "gmd:DQ_Scope"), "gmd:level", "MD_ScopeCode", resource_type)
    for measurement in precision.positional_accuracy:
        _positional(dq, measurement)
    for conformity in quality.conformity:
        result = _el(_el(_el(_el(dq, "gmd:report"), "gmd:DQ_DomainConsistency"), "gmd:result"),
                     "gmd:DQ_ConformanceResult")
        citation = _el(_el(result, "gmd:specification"), "gmd:CI_Citation")
        specification = conformity.specification or standard_iris.get(conformity.specification_title)
        if specification:
            _anchor(citation, "gmd:title", specification, conformity.specification_title)
        else:
            _string(citation, "gmd:title", conformity.specification_title)
        _missing(citation, "gmd:date", "unknown")
        if conformity.explanation:
            _string(result, "gmd:explanation", conformity.explanation)
        else:
            _missing(result, "gmd:explanation")
        degree = _tail(conformity.degree, DEGREE_OF_CONFORMITY)
        if degree in ("conformant", "notConformant"):
            _el(_el(result, "gmd:pass"), "gco:Boolean", "true" if degree == "conformant" else "false")
        else:
            _missing(result, "gmd:pass", "unknown")
    if origin.lineage or origin.process_steps or origin.sources:
        lineage = _el(_el(dq, "gmd:lineage"), "gmd:LI_Lineage")
        if origin.lineage:
            _string(lineage, "gmd:statement", origin.lineage)
        for step in origin.process_steps:
            _string(_el(_el(lineage, "gmd:processStep"), "gmd:LI_ProcessStep"), "gmd:description", step)
        for source in origin.sources:
            _string(_el(_el(lineage, "gmd:source"), "gmd:LI_Source"), "gmd:description", source)


def _positional(dq: etree._Element, measurement: QualityMeasurement) -> None:
    report = _el(_el(dq, "gmd:report"), "gmd:DQ_AbsoluteExternalPositionalAccuracy")
    identifier = _el(_el(report, "gmd:measureIdentification"), "gmd:RS_Identifier")
    _anchor(identifier, "gmd:code", measurement.measure, measurement.measure.rsplit("/", 1)[-1])
    result = _el(_el(report, "gmd:result"), "gmd:DQ_QuantitativeResult")
    if measurement.unit == "http://www.qudt.org/vocab/unit/M":
        unit = _el(_el(result, "gmd:valueUnit"), "gml:BaseUnit", gml_id=f"unit-{id(measurement)}")
        _el(unit, "gml:identifier", "m", codeSpace="http://www.bipm.org/en/si/")
        _el(unit, "gml:unitsSystem", xlink_href="http://www.bipm.org/en/si/")
    else:
        _missing(result, "gmd:valueUnit", "unknown")
    _el(_el(result, "gmd:value"), "gco:Record", f"{measurement.value:g}")


def _application_schemas(root: etree._Element, sheet: Sheet) -> None:
    """The data standards not already stated by a passed conformity test (the importer reads both)."""
    conformant = {c.specification_title for c in sheet.quality.conformity
                  if c.degree == DEGREE_OF_CONFORMITY + "conformant"}
    for standard in sheet.standard.conforms_to:
        title = standard.title or standard.iri
        if not title or title in conformant:
            continue
        info = _el(_el(root, "gmd:applicationSchemaInfo"), "gmd:MD_ApplicationSchemaInformation")
        citation = _el(_el(info, "gmd:name"), "gmd:CI_Citation")
        if standard.iri:
            _anchor(citation, "gmd:title", standard.iri, title)
        else:
            _string(citation, "gmd:title", title)
        _missing(citation, "gmd:date", "unknown")
        _missing(info, "gmd:schemaLanguage", "unknown")
        _missing(info, "gmd:constraintLanguage", "unknown")


__all__ = ["METADATA_STANDARD", "OnlineLink", "sheet_to_iso", "sheet_to_iso_bytes"]
