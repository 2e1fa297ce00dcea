"""Controlled vocabularies of the characterisation sheet, as IRI patterns and small code tables: EU access rights,
frequencies, file types and data themes, INSPIRE themes and code lists, EPSG reference systems, IANA media types,
licences (SPDX etalab-2.0 and the EU licence authority table), ADMS publisher types and the JNT origin types."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

EU = "http://publications.europa.eu/resource/authority/"
ACCESS_RIGHT = EU + "access-right/"
FREQUENCY = EU + "frequency/"
FILE_TYPE = EU + "file-type/"
DATA_THEME = EU + "data-theme/"
EU_LICENCE = EU + "licence/"
INSPIRE_THEME = "http://inspire.ec.europa.eu/theme/"
INSPIRE_CODELIST = "http://inspire.ec.europa.eu/metadata-codelist/"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
IANA = "https://www.iana.org/assignments/media-types/"
ADMS_PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"
ADMS_LICENCE_TYPE = "http://purl.org/adms/licencetype/"
JNT_ORIGIN = "https://w3id.org/jnt/origin/"
DEGREE_OF_CONFORMITY = INSPIRE_CODELIST + "DegreeOfConformity/"

ACCESS_RIGHTS = ("PUBLIC", "RESTRICTED", "NON_PUBLIC")
FREQUENCIES = (
    "CONT", "1MIN", "5MIN", "10MIN", "15MIN", "30MIN", "HOURLY", "DAILY", "WEEKLY", "BIWEEKLY", "MONTHLY",
    "MONTHLY_2", "QUARTERLY", "ANNUAL", "ANNUAL_2", "BIENNIAL", "IRREG", "AS_NEEDED", "NOT_PLANNED", "UNKNOWN", "OTHER",
)
INSPIRE_THEMES = {
    "ac": "Conditions atmosphériques", "ad": "Adresses", "af": "Installations agricoles et aquacoles",
    "am": "Zones de gestion, de restriction ou de réglementation", "au": "Unités administratives",
    "br": "Régions biogéographiques", "bu": "Bâtiments", "cp": "Parcelles cadastrales",
    "ef": "Installations de suivi environnemental", "el": "Altitude", "er": "Sources d'énergie",
    "ge": "Géologie", "gg": "Systèmes de maillage géographique", "gn": "Dénominations géographiques",
    "hb": "Habitats et biotopes", "hh": "Santé et sécurité des personnes", "hy": "Hydrographie",
    "lc": "Occupation des terres", "lu": "Usage des sols", "mf": "Caractéristiques géographiques météorologiques",
    "mr": "Ressources minérales", "nz": "Zones à risque naturel", "of": "Caractéristiques géographiques océanographiques",
    "oi": "Ortho-imagerie", "pd": "Répartition de la population — démographie", "pf": "Lieux de production et sites industriels",
    "ps": "Sites protégés", "rs": "Référentiels de coordonnées", "sd": "Répartition des espèces",
    "so": "Sols", "sr": "Régions maritimes", "su": "Unités statistiques", "tn": "Réseaux de transport",
    "us": "Services d'utilité publique et services publics",
}
# EU data-theme authority table (dcat:theme must include at least one of them in DCAT-AP).
EU_DATA_THEMES = ("AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "OP_DATPRO", "REGI", "SOCI",
                  "TECH", "TRAN")
FILE_TYPES = ("SHP", "GPKG", "GEOJSON", "GML", "GEOTIFF", "TIFF", "JPEG2000", "LAS", "LAZ", "CSV", "JSON", "ZIP",
              "WMS_SRVC", "WFS_SRVC", "ATOM", "KML", "XML", "PDF", "NETCDF", "XLSX")
PUBLISHER_TYPES = ("NationalAuthority", "RegionalAuthority", "LocalAuthority", "SupraNationalAuthority",
                   "Company", "NonGovernmentalOrganisation", "Academia-ScientificOrganisation", "IndustryConsortium",
                   "PrivateIndividual(s)", "StandardisationBody")
PUBLIC_PUBLISHER_TYPES = ("NationalAuthority", "RegionalAuthority", "LocalAuthority", "SupraNationalAuthority")
ORIGINS = {
    "mesure-capteur": ("mesure par capteur", "sensor measurement"),
    "leve": ("levé terrain / LiDAR", "survey / LiDAR"),
    "teledetection": ("télédétection", "remote sensing"),
    "modelisation": ("modélisation / simulation", "modelling / simulation"),
    "numerisation": ("numérisation", "digitising"),
    "declaratif": ("déclaratif / administratif", "declarative / administrative"),
    "derive": ("dérivé / agrégé", "derived / aggregated"),
}
DEGREES = ("conformant", "notConformant", "notEvaluated")

# Licences: SPDX for Etalab (no EU authority entry), the EU licence authority table otherwise.
LICENCES = {
    "etalab-2.0": "https://spdx.org/licenses/etalab-2.0.html",
    # Licence Ouverte 1.0 has no SPDX id: its official text is its IRI.
    "etalab-1.0": "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf",
    "odbl": EU_LICENCE + "ODC_BL",
    "cc-by-4.0": EU_LICENCE + "CC_BY_4_0",
    "cc0": EU_LICENCE + "CC0",
    "cc-by-sa-4.0": EU_LICENCE + "CC_BYSA_4_0",
    "odc-by": EU_LICENCE + "ODC_BY",
}
ETALAB_EQUIVALENTS = (
    "https://spdx.org/licenses/etalab-2.0.html",
    "https://spdx.org/licenses/etalab-2.0",
    "https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf",
    "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
    "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
)
KNOWN_LICENCE_PREFIXES = ("https://spdx.org/licenses/", EU_LICENCE)


def access_right_iri(code: str) -> str:
    return ACCESS_RIGHT + code


def frequency_iri(code: str) -> str:
    return FREQUENCY + code


def inspire_theme_iri(code: str) -> str:
    return INSPIRE_THEME + code


def epsg_iri(code: int | str) -> str:
    return f"{EPSG}{int(code)}"


def origin_iri(code: str) -> str:
    return JNT_ORIGIN + code


def data_theme_iri(code: str) -> str:
    return DATA_THEME + code


@cache
def _inspire_to_eu() -> dict[str, tuple[str, ...]]:
    text = (files("catalog") / "data" / "vocab" / "inspire-themes-to-eu-data-themes.json").read_text(encoding="utf-8")
    return {code: tuple(eu) for code, eu in json.loads(text)["alignment"].items()}


def eu_themes_for(inspire_themes: list[str] | tuple[str, ...]) -> list[str]:
    """The EU data themes (IRIs, sorted) that the SEMIC alignment gives for INSPIRE themes (codes such as `nz` or
    theme IRIs). Unknown themes contribute nothing. Use it to propose `nature.eu_themes` from `inspire_themes`."""
    table = _inspire_to_eu()
    codes = {code for theme in inspire_themes
             for code in table.get(theme.removeprefix(INSPIRE_THEME).strip("/"), ())}
    return [data_theme_iri(code) for code in sorted(codes)]
