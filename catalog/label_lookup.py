"""Label → IRI lookups for real metadata records, which give labels where the characterisation sheet needs IRIs:
INSPIRE theme labels (French and English) → theme IRIs and their EU data themes, coordinate reference system
labels ("RGF93 / Lambert-93 (EPSG:2154)", "urn:ogc:def:crs:EPSG::2154", "2154") → EPSG IRIs, licence statements in
free text or links → licence IRIs, format names and IANA media types → EU file types, ISO code lists → EU and
INSPIRE vocabularies. Every function answers None (or an empty list) when it does not recognise its input: the
caller decides whether that deserves a warning."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .geoconcepts import fold
from .vocabularies import (
    CRS84,
    DATA_THEME,
    EPSG,
    EU,
    EU_LICENCE,
    FILE_TYPE,
    IANA,
    INSPIRE_CODELIST,
    INSPIRE_THEME,
    LICENCES,
    epsg_iri,
    frequency_iri,
)


def normalise(text: str) -> str:
    """Accent-free, lower-case, punctuation-free form used as a lookup key ('Répartition de la population —
    démographie' and 'répartition de la population, démographie' give the same key)."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", fold(text)).split())


# --- INSPIRE themes ----------------------------------------------------------------------------------------------

# Official French and English labels of the 34 INSPIRE themes (INSPIRE registry, theme.fr / theme.en).
INSPIRE_THEME_LABELS: dict[str, tuple[str, str]] = {
    "ac": ("Conditions atmosphériques", "Atmospheric conditions"),
    "ad": ("Adresses", "Addresses"),
    "af": ("Installations agricoles et aquacoles", "Agricultural and aquaculture facilities"),
    "am": ("Zones de gestion, de restriction ou de réglementation et unités de déclaration",
           "Area management/restriction/regulation zones and reporting units"),
    "au": ("Unités administratives", "Administrative units"),
    "br": ("Régions biogéographiques", "Bio-geographical regions"),
    "bu": ("Bâtiments", "Buildings"),
    "cp": ("Parcelles cadastrales", "Cadastral parcels"),
    "ef": ("Installations de suivi environnemental", "Environmental monitoring facilities"),
    "el": ("Altitude", "Elevation"),
    "er": ("Sources d'énergie", "Energy resources"),
    "ge": ("Géologie", "Geology"),
    "gg": ("Systèmes de maillage géographique", "Geographical grid systems"),
    "gn": ("Dénominations géographiques", "Geographical names"),
    "hb": ("Habitats et biotopes", "Habitats and biotopes"),
    "hh": ("Santé et sécurité des personnes", "Human health and safety"),
    "hy": ("Hydrographie", "Hydrography"),
    "lc": ("Occupation des terres", "Land cover"),
    "lu": ("Usage des sols", "Land use"),
    "mf": ("Caractéristiques géographiques météorologiques", "Meteorological geographical features"),
    "mr": ("Ressources minérales", "Mineral resources"),
    "nz": ("Zones à risque naturel", "Natural risk zones"),
    "of": ("Caractéristiques géographiques océanographiques", "Oceanographic geographical features"),
    "oi": ("Ortho-imagerie", "Orthoimagery"),
    "pd": ("Répartition de la population — démographie", "Population distribution — demography"),
    "pf": ("Lieux de production et sites industriels", "Production and industrial facilities"),
    "ps": ("Sites protégés", "Protected sites"),
    "rs": ("Référentiels de coordonnées", "Coordinate reference systems"),
    "sd": ("Répartition des espèces", "Species distribution"),
    "so": ("Sols", "Soil"),
    "sr": ("Régions maritimes", "Sea regions"),
    "su": ("Unités statistiques", "Statistical units"),
    "tn": ("Réseaux de transport", "Transport networks"),
    "us": ("Services d'utilité publique et services publics", "Utility and governmental services"),
}
# Variants met in French records (older GEMET translations, shortened labels).
_THEME_VARIANTS = {
    "zones de gestion de restriction ou de reglementation": "am",
    "zones de gestion de restriction ou de reglementation et unites de declaration": "am",
    "orthoimagerie": "oi",
    "ortho imagerie": "oi",
    "population distribution demography": "pd",
    "repartition de la population": "pd",
    "services d utilite publique et services gouvernementaux": "us",
    "lieux de production et sites industriels": "pf",
    "reseaux de transports": "tn",
    "zones a risques naturels": "nz",
    "zones a risque naturels": "nz",
}
_THEME_BY_LABEL: dict[str, str] = {**{normalise(label): code for code, labels in INSPIRE_THEME_LABELS.items()
                                      for label in labels}, **_THEME_VARIANTS}
_THEME_IRI = re.compile(r"^https?://inspire\.ec\.europa\.eu/theme/([a-z]{2})/?$")

# INSPIRE theme → EU data themes (SEMIC alignment inspire-themes-to-mdr-data-themes.rdf, skos:broadMatch).
INSPIRE_TO_EU_THEMES: dict[str, tuple[str, ...]] = {
    "ad": ("REGI",), "au": ("GOVE",), "rs": ("REGI",), "gg": ("REGI",), "cp": ("REGI", "ECON"), "gn": ("REGI",),
    "hy": ("ENVI", "TECH"), "ps": ("ENVI",), "tn": ("TRAN",), "el": ("REGI",), "ge": ("REGI", "TECH"),
    "lc": ("ENVI",), "oi": ("REGI", "TECH"), "af": ("AGRI",), "am": ("ENVI",), "ac": ("ENVI",), "br": ("ENVI",),
    "bu": ("REGI",), "er": ("ENER",), "ef": ("ENVI",), "hb": ("ENVI",), "hh": ("HEAL",), "lu": ("ECON", "ENVI"),
    "mr": ("ECON", "ENVI", "ENER"), "nz": ("ENVI",), "of": ("ENVI",), "pd": ("SOCI",), "pf": ("ECON",),
    "sr": ("ENVI",), "so": ("ENVI",), "sd": ("ENVI",), "su": ("SOCI",), "us": ("GOVE",), "mf": ("ENVI", "TECH"),
}


def inspire_theme(label_or_iri: str) -> str | None:
    """The INSPIRE theme IRI for a theme IRI or a French / English theme label."""
    text = label_or_iri.strip()
    match = _THEME_IRI.match(text)
    if match and match.group(1) in INSPIRE_THEME_LABELS:
        return INSPIRE_THEME + match.group(1)
    code = _THEME_BY_LABEL.get(normalise(text))
    return INSPIRE_THEME + code if code else None


def eu_themes(inspire_theme_iris: list[str]) -> list[str]:
    """EU data-theme IRIs aligned with the given INSPIRE theme IRIs, without duplicates, in order."""
    out: list[str] = []
    for iri in inspire_theme_iris:
        for code in INSPIRE_TO_EU_THEMES.get(iri.rsplit("/", 1)[-1], ()):
            if DATA_THEME + code not in out:
                out.append(DATA_THEME + code)
    return out


# --- coordinate reference systems --------------------------------------------------------------------------------

_EPSG_HTTP = re.compile(r"^https?://(?:www\.)?opengis\.net/def/crs/EPSG/[\d.]+/(\d{4,5})/?$", re.I)
_EPSG_URN = re.compile(r"urn:ogc:def:crs:EPSG:[\d.]*:(\d{4,5})\b", re.I)
_EPSG_TEXT = re.compile(r"EPSG\s*(?::{1,2}|/|\s)\s*(\d{4,5})\b", re.I)
_BARE_CODE = re.compile(r"^\s*(\d{4,5})\s*$")
_CRS84 = re.compile(r"(?:OGC/1\.3/CRS84|urn:ogc:def:crs:OGC:1\.3:CRS84|^\s*CRS ?84\s*$)", re.I)
# Names of the systems French records use, without their code (normalised label → EPSG code).
_CRS_NAMES = {
    "rgf93 lambert 93": 2154, "rgf93 v1 lambert 93": 2154, "lambert 93": 2154, "lambert93": 2154,
    "ignf lamb93": 2154, "rgf93 lamb93": 2154, "rgf 93 lambert 93": 2154,
    "wgs 84": 4326, "wgs84": 4326, "wgs 1984": 4326, "ignf wgs84g": 4326, "wgs 84 geographique": 4326,
    "etrs89": 4258, "etrs 89": 4258, "rgf93": 4171, "ignf rgf93g": 4171, "rgf93 geographiques": 4171,
    "wgs 84 pseudo mercator": 3857, "web mercator": 3857, "pseudo mercator": 3857,
    "rgaf09 utm zone 20n": 5490, "rgfg95 utm zone 22n": 2972, "rgr92 utm zone 40s": 2975,
    "rgm04 utm zone 38s": 4471, "rgspm06 utm zone 21n": 4467, "rgaf09 utm 20n": 5490, "rgfg95 utm 22n": 2972,
    "rgr92 utm 40s": 2975, "rgm04 utm 38s": 4471, "rgspm06 utm 21n": 4467,
    "ntf paris lambert zone ii": 27572, "ntf paris lambert ii etendu": 27572, "lambert ii etendu": 27572,
    **{f"rgf93 cc{zone}": 3900 + zone for zone in range(42, 51)},
    **{f"rgf93 v1 cc{zone}": 3900 + zone for zone in range(42, 51)},
    **{f"cc{zone}": 3900 + zone for zone in range(42, 51)},
}


def crs_iri(label: str) -> str | None:
    """The reference-system IRI for an EPSG IRI, URN, 'EPSG:nnnn' label, bare code, CRS84, or a known CRS name."""
    text = (label or "").strip()
    if not text:
        return None
    if _CRS84.search(text):
        return CRS84
    for pattern in (_EPSG_HTTP, _EPSG_URN, _EPSG_TEXT, _BARE_CODE):
        match = pattern.search(text)
        if match:
            return epsg_iri(match.group(1))
    code = _CRS_NAMES.get(normalise(text))
    return epsg_iri(code) if code else None


def is_epsg_iri(iri: str) -> bool:
    return iri.startswith(EPSG) or iri == CRS84


# --- licences ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LicenceMatch:
    key: str  # a key of vocabularies.LICENCES
    iri: str
    explicit: bool  # the licence is named or linked; False when deduced from a typical wording
    version_stated: bool  # False when the version was assumed (Licence Ouverte without a version, CC-BY)
    evidence: str  # the words or link that matched


_LICENCE_LINKS: dict[str, str] = {
    "spdx.org/licenses/etalab-2.0": "etalab-2.0",
    "etalab.gouv.fr/wp-content/uploads/2017/04/etalab-licence-ouverte-v2.0": "etalab-2.0",
    "etalab.gouv.fr/wp-content/uploads/2014/05/licence_ouverte": "etalab-1.0",
    "etalab.gouv.fr/wp-content/uploads/2011/10/licence-ouverte-open-licence": "etalab-1.0",
    "spdx.org/licenses/odbl-1.0": "odbl",
    "opendatacommons.org/licenses/odbl": "odbl",
    "opendatacommons.org/licenses/by": "odc-by",
    "creativecommons.org/licenses/by/4.0": "cc-by-4.0",
    "spdx.org/licenses/cc-by-4.0": "cc-by-4.0",
    "creativecommons.org/licenses/by-sa/4.0": "cc-by-sa-4.0",
    "spdx.org/licenses/cc-by-sa-4.0": "cc-by-sa-4.0",
    "creativecommons.org/publicdomain/zero/1.0": "cc0",
    "spdx.org/licenses/cc0-1.0": "cc0",
}
_EU_LICENCE_CODES = {"ODC_BL": "odbl", "CC_BY_4_0": "cc-by-4.0", "CC0": "cc0", "CC_BYSA_4_0": "cc-by-sa-4.0",
                     "ODC_BY": "odc-by"}
_ETALAB = re.compile(r"licence ouverte|open licen[cs]e|etalab")
_ETALAB_V2 = re.compile(r"(?:version|v)\s*2(?:\.0)?\b|\b2\.0\b|2017/04|etalab-2\.0|ouverte-v2")
_ETALAB_V1 = re.compile(r"(?:version|v)\s*1(?:\.0)?\b|\b1\.0\b|2014/05|2011/10")
# The attribution clause of the Licence Ouverte, quoted without naming it by many French records.
_ETALAB_CLAUSE = re.compile(r"(?:re)?utilisation libre sous reserve de mentionner la source")
_ODBL = re.compile(r"\bodbl\b|open database licen[cs]e")
_ODC_BY = re.compile(r"\bodc[- ]?by\b|open data commons attribution")
_CC_BY_SA = re.compile(r"\bcc[- ]?by[- ]?sa\b(?:[- ]?(\d(?:\.\d)?))?|creative commons attribution[- ]share ?alike")
_CC_BY = re.compile(r"\bcc[- ]?by\b(?![- ]?(?:sa|nc|nd))(?:[- ]?(\d(?:\.\d)?))?|creative commons attribution(?! share)")
_CC0 = re.compile(r"\bcc[- ]?0\b|\bcc[- ]zero\b|creative commons zero")


def licence_from_link(href: str) -> LicenceMatch | None:
    """A licence named by a link (gmx:Anchor/@xlink:href or a URL in the text)."""
    link = href.strip().lower().split("://", 1)[-1].removeprefix("www.").rstrip("/")
    if link.startswith(EU_LICENCE.split("://", 1)[1]):
        key = _EU_LICENCE_CODES.get(href.strip().rstrip("/").rsplit("/", 1)[-1])
        return LicenceMatch(key, LICENCES[key], True, True, href) if key else None
    if link.startswith("etalab.gouv.fr/licence-ouverte-open-licence"):
        return LicenceMatch("etalab-2.0", LICENCES["etalab-2.0"], True, True, href)
    for prefix, key in _LICENCE_LINKS.items():
        if link.startswith(prefix):
            return LicenceMatch(key, LICENCES[key], True, True, href)
    return None


def licences_in_text(text: str) -> list[LicenceMatch]:
    """Licences named (or, for the Licence Ouverte, paraphrased) in a free-text statement, explicit ones first."""
    found: list[LicenceMatch] = []
    for url in re.findall(r"https?://\S+", text):
        match = licence_from_link(url.rstrip(").,;»\"'"))
        if match:
            found.append(match)
    low = fold(text)
    etalab = _ETALAB.search(low)
    if etalab:
        if _ETALAB_V2.search(low):
            found.append(LicenceMatch("etalab-2.0", LICENCES["etalab-2.0"], True, True, etalab.group(0)))
        elif _ETALAB_V1.search(low):
            found.append(LicenceMatch("etalab-1.0", LICENCES["etalab-1.0"], True, True, etalab.group(0)))
        else:
            found.append(LicenceMatch("etalab-2.0", LICENCES["etalab-2.0"], True, False, etalab.group(0)))
    elif (clause := _ETALAB_CLAUSE.search(low)) is not None:
        found.append(LicenceMatch("etalab-2.0", LICENCES["etalab-2.0"], False, False, clause.group(0)))
    if (m := _ODBL.search(low)) is not None:
        found.append(LicenceMatch("odbl", LICENCES["odbl"], True, True, m.group(0)))
    if (m := _ODC_BY.search(low)) is not None:
        found.append(LicenceMatch("odc-by", LICENCES["odc-by"], True, True, m.group(0)))
    if (m := _CC_BY_SA.search(low)) is not None and m.group(1) in (None, "4", "4.0"):
        found.append(LicenceMatch("cc-by-sa-4.0", LICENCES["cc-by-sa-4.0"], True, m.group(1) is not None, m.group(0)))
    elif (m := _CC_BY.search(low)) is not None and m.group(1) in (None, "4", "4.0"):
        found.append(LicenceMatch("cc-by-4.0", LICENCES["cc-by-4.0"], True, m.group(1) is not None, m.group(0)))
    if (m := _CC0.search(low)) is not None:
        found.append(LicenceMatch("cc0", LICENCES["cc0"], True, True, m.group(0)))
    unique: dict[str, LicenceMatch] = {}
    for match in sorted(found, key=lambda m: (not m.explicit, not m.version_stated)):
        unique.setdefault(match.key, match)
    return list(unique.values())


ADMS_LICENCE_TYPE = "http://purl.org/adms/licencetype/"
LICENCE_TYPES = {"etalab-2.0": "Attribution", "etalab-1.0": "Attribution", "cc-by-4.0": "Attribution",
                 "odc-by": "Attribution", "odbl": "ViralEffect-ShareAlike", "cc-by-sa-4.0": "ViralEffect-ShareAlike",
                 "cc0": "PublicDomain"}
OPEN_LICENCES = frozenset(LICENCE_TYPES)


# --- access rights -----------------------------------------------------------------------------------------------

LIMITATIONS = INSPIRE_CODELIST + "LimitationsOnPublicAccess/"
CONDITIONS = INSPIRE_CODELIST + "ConditionsApplyingToAccessAndUse/"
_PUBLIC_TEXT = re.compile(
    r"pas de restriction d.acces public|aucune restriction d.acces|sans restriction d.acces"
    r"|ne peut etre invoque pour justifier d.une restriction d.acces public"
    r"|no (?:public access )?(?:limitations?|restrictions?) (?:on|to) public access|no limitations? to public access"
    r"|no public access restriction|\bnolimitations\b|acces libre et gratuit|acces public sans restriction")
_RESTRICTED_TEXT = re.compile(
    r"sur convention|acces restreint|diffusion restreinte|restricted access|access is restricted"
    r"|article ?13|l\.? ?124-[45]|acte d.engagement|sur demande motivee|reserve aux")


def access_from_anchor(href: str) -> str | None:
    """'PUBLIC' / 'RESTRICTED' for an INSPIRE LimitationsOnPublicAccess IRI, else None."""
    link = href.strip().replace("https://", "http://").rstrip("/")
    if not link.startswith(LIMITATIONS):
        return None
    code = link[len(LIMITATIONS):]
    if code == "noLimitations":
        return "PUBLIC"
    if code.startswith("INSPIRE_Directive_Article13"):
        return "RESTRICTED"
    return None


def access_from_text(text: str) -> tuple[str, str] | None:
    """('PUBLIC' | 'RESTRICTED', matched words) for a free-text access statement, else None."""
    low = fold(text)
    if (m := _RESTRICTED_TEXT.search(low)) is not None:
        return "RESTRICTED", m.group(0)
    if (m := _PUBLIC_TEXT.search(low)) is not None:
        return "PUBLIC", m.group(0)
    return None


# --- ISO code lists ----------------------------------------------------------------------------------------------

# ISO 19115 MD_MaintenanceFrequencyCode → EU frequency (CRITERIA.md C3, SEMIC mapping).
FREQUENCIES = {
    "continual": "CONT", "daily": "DAILY", "weekly": "WEEKLY", "fortnightly": "BIWEEKLY", "semimonthly": "MONTHLY_2",
    "monthly": "MONTHLY", "quarterly": "QUARTERLY", "biannually": "ANNUAL_2", "annually": "ANNUAL",
    "biennially": "BIENNIAL", "periodic": "OTHER", "asNeeded": "AS_NEEDED", "irregular": "IRREG",
    "notPlanned": "NOT_PLANNED", "unknown": "UNKNOWN",
}


def frequency(code: str) -> str | None:
    found = FREQUENCIES.get(code.strip())
    return frequency_iri(found) if found else None


RESPONSIBLE_PARTY_ROLE = INSPIRE_CODELIST + "ResponsiblePartyRole/"
RESOURCE_TYPE = INSPIRE_CODELIST + "ResourceType/"
TOPIC_CATEGORY = INSPIRE_CODELIST + "TopicCategory/"
SPATIAL_REPRESENTATION = INSPIRE_CODELIST + "SpatialRepresentationType/"
SERVICE_TYPE = INSPIRE_CODELIST + "SpatialDataServiceType/"
DISTRIBUTION_STATUS = EU + "distribution-status/"
TOPIC_CATEGORIES = frozenset((
    "farming", "biota", "boundaries", "climatologyMeteorologyAtmosphere", "economy", "elevation", "environment",
    "geoscientificInformation", "health", "imageryBaseMapsEarthCover", "intelligenceMilitary", "inlandWaters",
    "location", "oceans", "planningCadastre", "society", "structure", "transportation", "utilitiesCommunication"))
RESOURCE_TYPES = frozenset(("dataset", "series", "service"))
REPRESENTATIONS = frozenset(("vector", "grid", "textTable", "tin", "stereoModel", "video"))
# ISO MD_ProgressCode → EU distribution status (only where the meaning is the same).
PROGRESS_STATUS = {"completed": "COMPLETED", "obsolete": "DEPRECATED", "deprecated": "DEPRECATED",
                   "retired": "WITHDRAWN", "withdrawn": "WITHDRAWN", "underDevelopment": "DEVELOP"}
LANGUAGES = {"fre": "fr", "fra": "fr", "eng": "en", "ger": "de", "deu": "de", "spa": "es", "ita": "it",
             "dut": "nl", "nld": "nl", "por": "pt", "fr": "fr", "en": "en"}

# --- formats -----------------------------------------------------------------------------------------------------

_FORMAT_NAMES = {
    "shp": "SHP", "shape": "SHP", "shapefile": "SHP", "esri shapefile": "SHP", "shapefile esri": "SHP",
    "gpkg": "GPKG", "geopackage": "GPKG", "ogc geopackage": "GPKG",
    "geojson": "GEOJSON", "geo json": "GEOJSON", "gml": "GML", "gml xml": "GML", "gml 3": "GML",
    "geotiff": "GEOTIFF", "geotif": "GEOTIFF", "tiff": "TIFF", "tif": "TIFF",
    "jpeg2000": "JPEG2000", "jpeg 2000": "JPEG2000", "jp2": "JPEG2000", "ecw": "ECW",
    "las": "LAS", "laz": "LAZ", "csv": "CSV", "json": "JSON", "zip": "ZIP", "kml": "KML", "kmz": "KMZ",
    "xml": "XML", "pdf": "PDF", "netcdf": "NETCDF", "xlsx": "XLSX", "excel": "XLSX", "html": "HTML",
    "mapinfo tab": "TAB", "tab": "TAB", "mapinfo": "TAB", "tab mapinfo": "TAB",
    "mif mid": "MIF_MID", "mif": "MIF_MID", "mapinfo mif mid": "MIF_MID", "mapinfo mif": "MIF_MID",
    "dxf": "DXF", "dwg": "DWG", "ascii grid": "GRID_ASCII", "esri ascii grid": "GRID_ASCII",
    "gdb": "GDB", "file geodatabase": "GDB", "esri file geodatabase": "GDB", "parquet": "PARQUET",
    "geoparquet": "PARQUET", "wms": "WMS_SRVC", "wfs": "WFS_SRVC", "wcs": "WCS_SRVC", "atom": "ATOM",
}
MEDIA_TYPES = {
    "GPKG": "application/geopackage+sqlite3", "GEOJSON": "application/geo+json", "GML": "application/gml+xml",
    "GEOTIFF": "image/tiff", "TIFF": "image/tiff", "CSV": "text/csv", "JSON": "application/json",
    "ZIP": "application/zip", "KML": "application/vnd.google-earth.kml+xml", "KMZ": "application/vnd.google-earth.kmz",
    "PDF": "application/pdf", "XML": "application/xml", "JPEG2000": "image/jp2", "SHP": "application/vnd.shp",
    "HTML": "text/html", "ATOM": "application/atom+xml",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMAT_BY_MEDIA = {media: code for code, media in MEDIA_TYPES.items() if code not in ("TIFF",)}
_EXTENSIONS = {"gpkg": "GPKG", "geojson": "GEOJSON", "gml": "GML", "tif": "TIFF", "tiff": "TIFF", "csv": "CSV",
               "json": "JSON", "kml": "KML", "kmz": "KMZ", "pdf": "PDF", "las": "LAS", "laz": "LAZ", "jp2": "JPEG2000",
               "shp": "SHP", "zip": "ZIP", "xlsx": "XLSX", "nc": "NETCDF", "parquet": "PARQUET", "7z": "7Z"}


def format_from_label(label: str) -> str | None:
    """The EU file-type IRI for a format name ('ESRI Shapefile', 'GeoPackage', 'MapInfo TAB'), an EU file-type IRI,
    an IANA media-type IRI or a bare media type ('application/geo+json')."""
    text = (label or "").strip()
    if not text:
        return None
    if text.startswith(FILE_TYPE) or text.startswith(FILE_TYPE.replace("http://", "https://")):
        return FILE_TYPE + text.rstrip("/").rsplit("/", 1)[-1]
    media = media_type_from(text)
    if media:
        code = _FORMAT_BY_MEDIA.get(media[len(IANA):])
        return FILE_TYPE + code if code else None
    key = normalise(text)
    code = _FORMAT_NAMES.get(key)
    if code is None:  # 'Shapefile (ESRI)', 'GeoPackage 1.3', 'Format MIF/MID': try without the extra words
        words = [w for w in key.split() if w not in ("format", "fichier", "file", "esri", "ogc", "version")
                 and not re.fullmatch(r"[\d.]+", w)]
        code = _FORMAT_NAMES.get(" ".join(words)) or next((_FORMAT_NAMES[w] for w in words if w in _FORMAT_NAMES
                                                          and len(w) > 2), None)
    return FILE_TYPE + code if code else None


def media_type_from(text: str) -> str | None:
    """An IANA media-type IRI from an IANA IRI or a bare 'type/subtype' (generic octet-stream excluded)."""
    value = text.strip()
    for prefix in (IANA, IANA.replace("https://", "http://")):
        if value.startswith(prefix):
            value = value[len(prefix):]
            break
    else:
        if value.startswith("http") or not re.fullmatch(r"[a-z]+/[A-Za-z0-9.+-]+", value):
            return None
    if value in ("application/octet-stream", ""):
        return None
    return IANA + value


def media_type_for(file_type_iri: str | None) -> str | None:
    if not file_type_iri:
        return None
    media = MEDIA_TYPES.get(file_type_iri.rsplit("/", 1)[-1])
    return IANA + media if media else None


def format_from_url(url: str) -> str | None:
    """The EU file type suggested by a download URL's file name ('…-shp.zip' → SHP, '….gpkg' → GPKG)."""
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    name = path.rsplit("/", 1)[-1]
    if "." not in name:
        return None
    stem, ext = name.rsplit(".", 1)
    if ext == "zip":
        for hint, code in (("shp", "SHP"), ("shape", "SHP"), ("gpkg", "GPKG"), ("geojson", "GEOJSON"),
                           ("mif", "MIF_MID"), ("tab", "TAB"), ("csv", "CSV")):
            if re.search(rf"(?:^|[-_.]){hint}(?:$|[-_.])", stem):
                return FILE_TYPE + code
        return FILE_TYPE + "ZIP"
    code = _EXTENSIONS.get(ext)
    return FILE_TYPE + code if code and code != "7Z" else None


def service_format(protocol: str) -> str | None:
    p = protocol.upper()
    for key, code in (("WFS", "WFS_SRVC"), ("WMS", "WMS_SRVC"), ("WMTS", "WMS_SRVC"), ("WCS", "WCS_SRVC"),
                      ("ATOM", "ATOM")):
        if key in p:
            return FILE_TYPE + code
    return None


# --- specifications, organisations, origin -----------------------------------------------------------------------

_SPECIFICATIONS = (
    (re.compile(r"\b1089\s*/\s*2010\b"), "http://data.europa.eu/eli/reg/2010/1089"),
    (re.compile(r"\b1205\s*/\s*2008\b"), "http://data.europa.eu/eli/reg/2008/1205"),
    (re.compile(r"\b976\s*/\s*2009\b"), "http://data.europa.eu/eli/reg/2009/976"),
)


def specification_iri(title: str) -> str | None:
    """The ELI of an INSPIRE regulation cited by its number ('Commission Regulation (EU) No 1089/2010…')."""
    for pattern, iri in _SPECIFICATIONS:
        if pattern.search(title):
            return iri
    return None


ADMS_PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"
# French public bodies recognised by their name (normalised words). State services and State agencies are
# national authorities, even the local ones (DDT, DREAL): they act for the State.
_NATIONAL = re.compile(
    r"\b(?:ddtm?|ddt ?m|dreal|deal|driea?t?|dir[a-z]{1,3}|prefecture|ministere|ign|ignf|institut national de l information"
    r"|cerema|meteo france|brgm|shom|ofb|office francais de la biodiversite|sandre|agence de l eau|inrae|ineris"
    r"|onf|office national|direction departementale|direction regionale|service hydrographique|etat)\b")
_REGIONAL = re.compile(r"\b(?:region|conseil regional|collectivite territoriale de)\b")
_LOCAL = re.compile(
    r"\b(?:commune|mairie|ville de|metropole|communaute (?:de communes|d agglomeration|urbaine)|departement"
    r"|conseil departemental|syndicat|eptb|etablissement public territorial de bassin|sdis|epci|agglomeration)\b")


def publisher_type(organisation: str) -> str | None:
    """The ADMS publisher type of a French public body recognised by its name, else None (private bodies and
    unknown names are left to the user)."""
    key = normalise(organisation)
    if _NATIONAL.search(key):
        return ADMS_PUBLISHER_TYPE + "NationalAuthority"
    if _REGIONAL.search(key):
        return ADMS_PUBLISHER_TYPE + "RegionalAuthority"
    if _LOCAL.search(key):
        return ADMS_PUBLISHER_TYPE + "LocalAuthority"
    return None


_ORIGIN_WORDS = {
    "numerisation": re.compile(r"\bnumeris|\bdigitali[sz]|\bvectoris"),
    "modelisation": re.compile(r"\bmodelis|\bsimulation|\bmodele hydraulique|\bhydraulic model"),
    "leve": re.compile(r"\blidar\b|\bleve(?:s)? (?:topographique|terrain|bathymetrique)|\bsurvey"),
    "teledetection": re.compile(r"\bteledetection|\bimages? satellit|\bremote sensing|\bphotointerpret"),
    "mesure-capteur": re.compile(r"\bcapteurs?\b|\bstations? de mesure|\bsensor|\bmarégraphe|\bmaregraphe"),
}


def origins_in_text(text: str) -> list[str]:
    """JNT origin codes whose typical words appear in a lineage statement."""
    low = fold(text)
    return [code for code, pattern in _ORIGIN_WORDS.items() if pattern.search(low)]
