"""The characterisation sheet (fiche de caractérisation): the working group's 10 criteria for one dataset, with the
fields of CRITERIA.md, each mandatory (M) or recommended (R), and how complete the sheet is, per criterion and
overall. Values are IRIs of the controlled vocabularies (see `catalog.vocabularies`) wherever the criteria say so;
the mapping to DCAT-AP 3 / GeoDCAT-AP RDF lives in `catalog.dcat`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


def _field(mandatory: bool, label_fr: str, label_en: str, **kw: Any) -> Any:
    if "default_factory" not in kw:
        kw.setdefault("default", None)
    return Field(json_schema_extra={"mandatory": mandatory, "label_fr": label_fr, "label_en": label_en}, **kw)


def M(label_fr: str, label_en: str, **kw: Any) -> Any:
    """A mandatory field of the sheet (may be empty while the sheet is a draft; completeness says so)."""
    return _field(True, label_fr, label_en, **kw)


def R(label_fr: str, label_en: str, **kw: Any) -> Any:
    """A recommended field."""
    return _field(False, label_fr, label_en, **kw)


def L(label_fr: str, label_en: str, **kw: Any) -> Any:
    """A field of a nested part (agent, distribution…): labelled, neither mandatory nor recommended by itself."""
    return Field(json_schema_extra={"label_fr": label_fr, "label_en": label_en}, **kw)


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Agent(_Part):
    name: str = L("Nom", "Name")
    iri: str | None = L("Identifiant (IRI)", "Identifier (IRI)", default=None)
    # ADMS publisher type IRI (public authority kinds, Company…)
    type: str | None = L("Type d'acteur", "Kind of body", default=None)
    email: str | None = L("Courriel", "Email", default=None)


class Contact(_Part):
    name: str | None = L("Nom du contact", "Contact name", default=None)
    email: str | None = L("Courriel", "Email", default=None)
    url: str | None = L("Page ou formulaire de contact", "Contact page", default=None)


class Attribution(_Part):
    role: str = L("Rôle", "Role")  # INSPIRE ResponsiblePartyRole IRI (custodian, originator, distributor…)
    agent: Agent = L("Organisme", "Agent")


class DataService(_Part):
    title: str = L("Titre du service", "Service title")
    endpoint_url: str = L("Adresse du service", "Endpoint URL")
    endpoint_description: str | None = L("Description du service (capacités)", "Endpoint description",
                                         default=None)
    # e.g. OGC:WFS, OGC:WMS, or an INSPIRE ProtocolValue IRI
    protocol: str | None = L("Protocole", "Protocol", default=None)
    # INSPIRE SpatialDataServiceType IRI (view, download, discovery)
    service_type: str | None = L("Type de service", "Service type", default=None)
    conforms_to: list[str] = L("Standards du service", "Service standards", default_factory=list)


class Distribution(_Part):
    access_url: str = L("Adresse d'accès", "Access URL")
    title: str | None = L("Titre", "Title", default=None)
    description: str | None = L("Description", "Description", default=None)
    download_url: str | None = L("Téléchargement direct", "Download URL", default=None)
    format: str | None = L("Format", "Format", default=None)  # EU file-type IRI
    media_type: str | None = L("Type MIME", "Media type", default=None)  # IANA media-type IRI
    byte_size: int | None = L("Taille (octets)", "Size (bytes)", default=None, ge=0)
    conforms_to: list[str] = L("Schéma / format de livraison", "Delivery schema",
                               default_factory=list)  # delivery schema / format specification
    access_service: DataService | None = L("Service / API", "Service / API", default=None)
    availability: str | None = L("Disponibilité", "Availability", default=None)  # EU planned-availability IRI
    status: str | None = L("Statut", "Status", default=None)  # EU distribution-status IRI


class QualityMeasurement(_Part):
    measure: str = L("Mesure", "Measure")  # IRI of the measure (GeoDCAT metric or CNIG mesuresQuaDoGeo)
    value: float = L("Valeur", "Value")
    unit: str | None = L("Unité", "Unit", default=None)  # QUDT unit IRI


class Conformity(_Part):
    specification_title: str = L("Spécification", "Specification")
    specification: str | None = L("IRI de la spécification", "Specification IRI", default=None)
    degree: str = L("Degré de conformité", "Degree of conformity")  # INSPIRE DegreeOfConformity IRI
    explanation: str | None = L("Explication", "Explanation", default=None)


class StandardRef(_Part):
    title: str | None = L("Titre du standard", "Standard title", default=None)
    iri: str | None = L("IRI du standard", "Standard IRI", default=None)


# --- the ten criteria --------------------------------------------------------------------------------------------


class Nature(_Part):
    """C1 — what the dataset is."""

    title: str | None = M("Titre", "Title")
    description: str | None = M("Description", "Description")
    geoconcept: str | None = M("Géo-concept JNT", "JNT géo-concept")  # géo-concept IRI
    role: str | None = M("Rôle (calcul / contextualisation)", "Role (computation / context)")  # role IRI
    inspire_themes: list[str] = M("Thèmes INSPIRE", "INSPIRE themes", default_factory=list)
    eu_themes: list[str] = M("Thèmes EU (data-theme)", "EU data themes", default_factory=list)
    resource_type: str | None = R("Type de ressource", "Resource type")
    dataset_type: str | None = R("Type de données", "Dataset type")
    representation: str | None = R("Représentation spatiale", "Spatial representation")
    topic_categories: list[str] = R("Catégories ISO", "ISO topic categories", default_factory=list)
    keywords: list[str] = R("Mots-clés", "Keywords", default_factory=list)
    identifier: str | None = R("Identifiant", "Identifier")


class Provenance(_Part):
    """C2 — who produces and publishes it."""

    publisher: Agent | None = M("Producteur / diffuseur", "Publisher")
    publisher_type: str | None = M("Type d'acteur (public / privé)", "Kind of body (public / private)")  # ADMS IRI
    contact: Contact | None = M("Contact", "Contact point")
    rights_holder: Agent | None = R("Propriétaire", "Rights holder")
    creator: Agent | None = R("Auteur", "Creator")
    other_roles: list[Attribution] = R("Autres rôles", "Other roles", default_factory=list)


class Frequency(_Part):
    """C3 — how often it changes, and when."""

    accrual_periodicity: str | None = M("Fréquence de mise à jour", "Update frequency")  # EU frequency IRI
    modified: date | datetime | None = M("Dernière mise à jour", "Last modified")
    issued: date | datetime | None = R("Date de publication", "Publication date")
    created: date | datetime | None = R("Date de création", "Creation date")
    temporal_start: date | datetime | None = R("Début de la couverture temporelle", "Temporal coverage start")
    temporal_end: date | datetime | None = R("Fin de la couverture temporelle", "Temporal coverage end")
    temporal_resolution: str | None = R("Pas de temps", "Temporal resolution")  # xsd:duration
    version: str | None = R("Millésime / version", "Version")


class Origin(_Part):
    """C4 — how it is produced."""

    lineage: str | None = M("Généalogie", "Lineage")
    acquisition_mode: str | None = M("Mode d'obtention", "Acquisition mode")  # JNT origin IRI
    sources: list[str] = R("Sources", "Sources", default_factory=list)  # IRIs or titles of source datasets
    process_steps: list[str] = R("Étapes de traitement", "Processing steps", default_factory=list)
    relations: list[str] = R("Relations", "Related resources", default_factory=list)


class Licence(_Part):
    """C5 — under which licence."""

    licence: str | None = M("Licence", "Licence")  # licence IRI (SPDX etalab-2.0, EU licence authority…)
    licence_type: str | None = R("Type de licence", "Licence type")  # ADMS licence type IRI
    rights: str | None = R("Mentions / droits", "Rights statement")
    policy: str | None = R("Politique d'usage ODRL", "ODRL usage policy")  # policy uid


class Extent(_Part):
    """C6 — where: spatial extent, administrative units, reference systems."""

    bbox: tuple[float, float, float, float] | None = M("Emprise géographique", "Bounding box")  # CRS84 minx,miny,maxx,maxy
    reference_systems: list[str] = M("Système de référence", "Reference system", default_factory=list)  # EPSG IRIs
    admin_units: list[str] = R("Unités administratives", "Administrative units", default_factory=list)
    centroid: tuple[float, float] | None = R("Centroïde", "Centroid")

    @field_validator("bbox")
    @classmethod
    def _bbox_order(cls, value):
        if value is None:
            return value
        minx, miny, maxx, maxy = value
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise ValueError("bbox must be minx,miny,maxx,maxy in CRS84 degrees (longitude first), min <= max")
        return value


class Access(_Part):
    """C7 — how it can be obtained."""

    access_rights: str | None = M("Droit d'accès", "Access rights")  # EU access-right IRI
    distributions: list[Distribution] = M("Distributions", "Distributions", default_factory=list)
    rights: str | None = R("Conditions d'accès (texte)", "Access conditions (text)")
    landing_page: str | None = R("Page d'accueil", "Landing page")


class Precision(_Part):
    """C8 — resolution, scale, accuracy. One of resolution or scale is mandatory."""

    resolution_m: float | None = M("Résolution (m)", "Resolution (m)", gt=0)
    scale_denominator: int | None = M("Échelle (dénominateur)", "Scale (denominator)", gt=0)
    positional_accuracy: list[QualityMeasurement] = R("Précision planimétrique / altimétrique", "Positional accuracy",
                                                      default_factory=list)
    resolution_text: str | None = R("Résolution textuelle", "Resolution as text")


class Quality(_Part):
    """C9 — conformity and quality measures."""

    conformity: list[Conformity] = M("Conformité / validation", "Conformity", default_factory=list)
    measures: list[QualityMeasurement] = R("Mesures de qualité", "Quality measurements", default_factory=list)
    status: str | None = R("Statut / cycle de vie", "Status")


class Standard(_Part):
    """C10 — which data standard and formats."""

    conforms_to: list[StandardRef] = M("Standard de données", "Data standard", default_factory=list)
    metadata_standard: str | None = R("Standard des métadonnées", "Metadata standard")


CRITERIA: dict[str, tuple[str, str, str]] = {
    # field name on Sheet: (code, French name, English name)
    "nature": ("C1", "Nature", "Nature"),
    "provenance": ("C2", "Provenance", "Provenance"),
    "frequency": ("C3", "Fréquence", "Frequency"),
    "origin": ("C4", "Origine", "Origin"),
    "licence": ("C5", "Licence", "Licence"),
    "extent": ("C6", "Emprise", "Extent"),
    "access": ("C7", "Modalité d'accès", "Access mode"),
    "precision": ("C8", "Précision", "Precision"),
    "quality": ("C9", "Qualité", "Quality"),
    "standard": ("C10", "Standard", "Standard"),
}
# Mandatory fields of which one is enough (C8: resolution for grids, scale for vectors).
ONE_OF = {"precision": (("resolution_m", "scale_denominator"),)}


class Sheet(_Part):
    """One dataset's characterisation sheet."""

    id: str  # the dataset IRI
    language: str = "fr"
    nature: Nature = Field(default_factory=Nature)
    provenance: Provenance = Field(default_factory=Provenance)
    frequency: Frequency = Field(default_factory=Frequency)
    origin: Origin = Field(default_factory=Origin)
    licence: Licence = Field(default_factory=Licence)
    extent: Extent = Field(default_factory=Extent)
    access: Access = Field(default_factory=Access)
    precision: Precision = Field(default_factory=Precision)
    quality: Quality = Field(default_factory=Quality)
    standard: Standard = Field(default_factory=Standard)

    def completeness(self) -> Completeness:
        return completeness(self)


# --- completeness ------------------------------------------------------------------------------------------------


class FieldState(BaseModel):
    path: str  # e.g. "nature.title"
    label_fr: str
    label_en: str
    mandatory: bool
    filled: bool


class CriterionCompleteness(BaseModel):
    key: str
    code: str
    name_fr: str
    name_en: str
    mandatory_filled: int
    mandatory_total: int
    recommended_filled: int
    recommended_total: int
    fields: list[FieldState]

    @property
    def complete(self) -> bool:
        return self.mandatory_filled == self.mandatory_total

    @property
    def score(self) -> float:
        """0..1: mandatory fields count double."""
        total = 2 * self.mandatory_total + self.recommended_total
        return (2 * self.mandatory_filled + self.recommended_filled) / total if total else 1.0

    def missing(self, mandatory: bool = True) -> list[FieldState]:
        return [f for f in self.fields if f.mandatory == mandatory and not f.filled]


class Completeness(BaseModel):
    criteria: list[CriterionCompleteness]

    @property
    def mandatory_filled(self) -> int:
        return sum(c.mandatory_filled for c in self.criteria)

    @property
    def mandatory_total(self) -> int:
        return sum(c.mandatory_total for c in self.criteria)

    @property
    def complete(self) -> bool:
        return all(c.complete for c in self.criteria)

    @property
    def score(self) -> float:
        return sum(c.score for c in self.criteria) / len(self.criteria)

    def missing_mandatory(self) -> list[FieldState]:
        return [f for c in self.criteria for f in c.missing(True)]


def _filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | dict):
        return len(value) > 0
    return True


def completeness(sheet: Sheet) -> Completeness:
    results = []
    for key, (code, name_fr, name_en) in CRITERIA.items():
        part = getattr(sheet, key)
        states: list[FieldState] = []
        groups = ONE_OF.get(key, ())
        grouped = {name for group in groups for name in group}
        for name, info in type(part).model_fields.items():
            extra = info.json_schema_extra or {}
            mandatory = bool(extra.get("mandatory"))
            filled = _filled(getattr(part, name))
            states.append(FieldState(path=f"{key}.{name}", label_fr=extra.get("label_fr", name),
                                     label_en=extra.get("label_en", name), mandatory=mandatory, filled=filled))
        # A one-of group counts as a single mandatory field, filled when any member is.
        for group in groups:
            members = [s for s in states if s.path.split(".", 1)[1] in group]
            any_filled = any(s.filled for s in members)
            states = [s for s in states if s.path.split(".", 1)[1] not in grouped]
            states.append(FieldState(path=f"{key}.{'|'.join(group)}",
                                     label_fr=" ou ".join(s.label_fr for s in members),
                                     label_en=" or ".join(s.label_en for s in members),
                                     mandatory=True, filled=any_filled))
        mandatory = [s for s in states if s.mandatory]
        recommended = [s for s in states if not s.mandatory]
        results.append(CriterionCompleteness(
            key=key, code=code, name_fr=name_fr, name_en=name_en,
            mandatory_filled=sum(s.filled for s in mandatory), mandatory_total=len(mandatory),
            recommended_filled=sum(s.filled for s in recommended), recommended_total=len(recommended),
            fields=states,
        ))
    return Completeness(criteria=results)
