"""The géo-concept registry: the classes of data a use case needs (terrain model, river gauges, flood zones…),
each with its id, French label, role (calcul / contextualisation) and INSPIRE themes, grouped into use cases. Loaded
from a CSV file (the working group's table format) or a SKOS Turtle file, so the official list can replace the
bundled one without code changes, and published as a SKOS concept scheme under a configurable base IRI."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

DEFAULT_BASE_IRI = "https://w3id.org/jnt/geoconcept/"
ROLE_NS = "https://w3id.org/jnt/role/"
ROLES = ("calcul", "contextualisation")
INSPIRE_THEME_NS = "http://inspire.ec.europa.eu/theme/"
FLOOD_RISK = "flood-risk"
SKOS = "http://www.w3.org/2004/02/skos/core#"
REQUIRED_COLUMNS = ("id", "label_fr", "role", "inspire_themes")


class RegistryError(ValueError):
    """A géo-concept file that cannot be loaded; the message names the line and the column at fault."""


@dataclass(frozen=True)
class GeoConcept:
    id: str
    label_fr: str
    role: str  # calcul | contextualisation
    inspire_themes: tuple[str, ...]  # INSPIRE theme codes (el, hy, nz…)
    typical_provider: str = ""
    typical_licence: str = ""
    typical_access: str = ""
    notes: str = ""
    use_cases: tuple[str, ...] = (FLOOD_RISK,)

    def iri(self, base: str = DEFAULT_BASE_IRI) -> str:
        return base + self.id

    @property
    def role_iri(self) -> str:
        return ROLE_NS + self.role

    @property
    def theme_iris(self) -> tuple[str, ...]:
        return tuple(INSPIRE_THEME_NS + code for code in self.inspire_themes)


@dataclass(frozen=True)
class UseCase:
    id: str
    label_fr: str
    label_en: str
    concepts: tuple[str, ...]


USE_CASE_LABELS = {FLOOD_RISK: ("Simulation du risque d'inondation", "Flood-risk simulation")}


def fold(text: str) -> str:
    """Lower-case, accent-free form for matching labels typed by people ('Zonage réglementaire' ~ 'zonage reglementaire')."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@dataclass
class Registry:
    base_iri: str = DEFAULT_BASE_IRI
    concepts: dict[str, GeoConcept] = field(default_factory=dict)

    @property
    def scheme_iri(self) -> str:
        return self.base_iri.rstrip("/#")

    def get(self, ref: str) -> GeoConcept | None:
        """A géo-concept by id (GC039) or IRI."""
        ref = ref.strip()
        if ref.startswith(self.base_iri):
            ref = ref[len(self.base_iri):]
        return self.concepts.get(ref)

    def use_cases(self) -> dict[str, UseCase]:
        grouped: dict[str, list[str]] = {}
        for concept in self.concepts.values():
            for uc in concept.use_cases:
                grouped.setdefault(uc, []).append(concept.id)
        return {uc: UseCase(uc, *USE_CASE_LABELS.get(uc, (uc, uc)), tuple(ids)) for uc, ids in grouped.items()}

    def search(self, text: str) -> list[tuple[GeoConcept, float]]:
        """Géo-concepts whose label shares words with `text`, best first, with a score in [0, 1]."""
        words = {w for w in _words(text) if len(w) > 2}
        if not words:
            return []
        scored = []
        for concept in self.concepts.values():
            label_words = {w for w in _words(concept.label_fr) if len(w) > 2}
            if not label_words:
                continue
            common = words & label_words
            if common:
                scored.append((concept, len(common) / len(label_words)))
        return sorted(scored, key=lambda item: (-item[1], item[0].id))

    def to_skos(self):
        """The registry as an rdflib graph: one skos:ConceptScheme, one skos:Concept per géo-concept."""
        from rdflib import RDF, Graph, Literal, Namespace, URIRef
        from rdflib.namespace import DCTERMS

        skos = Namespace(SKOS)
        dcat = Namespace("http://www.w3.org/ns/dcat#")
        jnt = Namespace("https://w3id.org/jnt/ns#")
        graph = Graph()
        graph.bind("skos", skos)
        graph.bind("dcat", dcat)
        graph.bind("dct", DCTERMS)
        graph.bind("jnt", jnt)
        scheme = URIRef(self.scheme_iri)
        graph.add((scheme, RDF.type, skos.ConceptScheme))
        graph.add((scheme, skos.prefLabel, Literal("Géo-concepts des jumeaux numériques du territoire", lang="fr")))
        graph.add((scheme, skos.prefLabel, Literal("Geo-concepts of territorial digital twins", lang="en")))
        # DCAT-AP 3 asks a concept scheme (a controlled vocabulary) for a dct:title.
        graph.add((scheme, DCTERMS.title, Literal("Géo-concepts des jumeaux numériques du territoire", lang="fr")))
        graph.add((scheme, DCTERMS.title, Literal("Geo-concepts of territorial digital twins", lang="en")))
        for uc in self.use_cases().values():
            collection = URIRef(f"{self.base_iri}use-case/{uc.id}")
            graph.add((collection, RDF.type, skos.Collection))
            graph.add((collection, skos.prefLabel, Literal(uc.label_fr, lang="fr")))
            graph.add((collection, skos.prefLabel, Literal(uc.label_en, lang="en")))
            for cid in uc.concepts:
                graph.add((collection, skos.member, URIRef(self.concepts[cid].iri(self.base_iri))))
        for concept in self.concepts.values():
            node = URIRef(concept.iri(self.base_iri))
            graph.add((node, RDF.type, skos.Concept))
            graph.add((node, skos.inScheme, scheme))
            graph.add((node, skos.topConceptOf, scheme))
            graph.add((node, skos.notation, Literal(concept.id)))
            graph.add((node, skos.prefLabel, Literal(concept.label_fr, lang="fr")))
            graph.add((node, DCTERMS.type, URIRef(concept.role_iri)))
            for theme in concept.theme_iris:
                graph.add((node, dcat.theme, URIRef(theme)))
            for prop, value in (("typicalProvider", concept.typical_provider), ("typicalLicence", concept.typical_licence),
                                ("typicalAccess", concept.typical_access), ("accessNotes", concept.notes)):
                if value:
                    graph.add((node, jnt[prop], Literal(value, lang="fr")))
        return graph

    def to_turtle(self) -> str:
        return self.to_skos().serialize(format="turtle")


def _words(text: str) -> list[str]:
    cleaned = "".join(c if c.isalnum() else " " for c in fold(text))
    return cleaned.split()


def load_csv(source: str | Path, *, base_iri: str = DEFAULT_BASE_IRI, use_case: str = FLOOD_RISK) -> Registry:
    """A registry from a CSV file (columns id, label_fr, role, inspire_themes; optional typical_provider,
    typical_licence, typical_access, access_notes, use_cases)."""
    text = Path(source).read_text(encoding="utf-8-sig") if isinstance(source, Path) else source
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RegistryError(f"colonnes manquantes / missing columns: {', '.join(missing)}")
    registry = Registry(base_iri=base_iri)
    for line, row in enumerate(reader, start=2):
        cid = (row.get("id") or "").strip()
        if not cid:
            raise RegistryError(f"ligne {line} : identifiant vide / line {line}: empty id")
        if cid in registry.concepts:
            raise RegistryError(f"ligne {line} : identifiant en double {cid} / line {line}: duplicate id {cid}")
        role = (row.get("role") or "").strip().lower()
        if role not in ROLES:
            raise RegistryError(f"ligne {line} ({cid}) : rôle « {role} » inconnu, attendu calcul ou contextualisation / "
                                f"line {line} ({cid}): unknown role '{role}', expected calcul or contextualisation")
        label = (row.get("label_fr") or "").strip()
        if not label:
            raise RegistryError(f"ligne {line} ({cid}) : libellé vide / line {line} ({cid}): empty label")
        use_cases = tuple((row.get("use_cases") or use_case).split())
        registry.concepts[cid] = GeoConcept(
            id=cid, label_fr=label, role=role, inspire_themes=tuple((row.get("inspire_themes") or "").split()),
            typical_provider=(row.get("typical_provider") or "").strip(),
            typical_licence=(row.get("typical_licence") or "").strip(),
            typical_access=(row.get("typical_access") or "").strip(),
            notes=(row.get("access_notes") or "").strip(), use_cases=use_cases,
        )
    if not registry.concepts:
        raise RegistryError("aucun géo-concept dans le fichier / no géo-concept in the file")
    return registry


def load_skos(source: str | Path, *, base_iri: str | None = None, use_case: str = FLOOD_RISK) -> Registry:
    """A registry from SKOS Turtle: every skos:Concept with a skos:notation (or the IRI's last segment) as id,
    skos:prefLabel@fr, dct:type = a role IRI, dcat:theme = INSPIRE theme IRIs."""
    from rdflib import RDF, Graph, Namespace, URIRef
    from rdflib.namespace import DCTERMS

    skos = Namespace(SKOS)
    jnt = Namespace("https://w3id.org/jnt/ns#")
    dcat_theme = URIRef("http://www.w3.org/ns/dcat#theme")
    graph = Graph()
    try:
        graph.parse(data=Path(source).read_text(encoding="utf-8") if isinstance(source, Path) else source,
                    format="turtle")
    except Exception as exc:  # rdflib raises several types for syntax errors
        raise RegistryError(f"Turtle invalide / invalid Turtle: {str(exc).splitlines()[0]}") from exc
    concepts = sorted(set(graph.subjects(RDF.type, skos.Concept)), key=str)
    if not concepts:
        raise RegistryError("aucun skos:Concept dans le fichier / no skos:Concept in the file")
    if base_iri is None:
        first = str(concepts[0])
        base_iri = first[: max(first.rfind("/"), first.rfind("#")) + 1]
    registry = Registry(base_iri=base_iri)
    members: dict[str, list[str]] = {}
    for collection in graph.subjects(RDF.type, skos.Collection):
        uc = str(collection).rstrip("/").rsplit("/", 1)[-1]
        for member in graph.objects(collection, skos.member):
            members.setdefault(str(member), []).append(uc)
    for node in concepts:
        iri = str(node)
        notation = graph.value(node, skos.notation)
        cid = str(notation) if notation else iri[len(base_iri):] if iri.startswith(base_iri) else iri.rsplit("/", 1)[-1]
        labels = {lit.language: str(lit) for lit in graph.objects(node, skos.prefLabel)}
        label = labels.get("fr") or next(iter(labels.values()), "")
        role_iri = next((str(t) for t in graph.objects(node, DCTERMS.type) if str(t).startswith(ROLE_NS)), "")
        role = role_iri[len(ROLE_NS):] if role_iri else ""
        if role not in ROLES:
            raise RegistryError(f"{iri} : rôle manquant ou inconnu (dct:type {ROLE_NS}calcul|contextualisation) / "
                                f"{iri}: missing or unknown role")
        themes = tuple(sorted(str(t)[len(INSPIRE_THEME_NS):] for t in graph.objects(node, dcat_theme)
                              if str(t).startswith(INSPIRE_THEME_NS)))
        extra = {prop: str(graph.value(node, jnt[prop]) or "") for prop in
                 ("typicalProvider", "typicalLicence", "typicalAccess", "accessNotes")}
        registry.concepts[cid] = GeoConcept(cid, label, role, themes, typical_provider=extra["typicalProvider"],
                                            typical_licence=extra["typicalLicence"],
                                            typical_access=extra["typicalAccess"], notes=extra["accessNotes"],
                                            use_cases=tuple(members.get(iri, [use_case])))
    return registry


def load_registry(path: str | Path | None = None, *, base_iri: str = DEFAULT_BASE_IRI) -> Registry:
    """The registry from a file (CSV or Turtle by extension), or the bundled flood-risk list."""
    if path is None:
        text = (files("catalog") / "data" / "geoconcepts-flood-risk.csv").read_text(encoding="utf-8")
        return load_csv(text, base_iri=base_iri)
    path = Path(path)
    if not path.is_file():
        raise RegistryError(f"fichier introuvable / file not found: {path}")
    if path.suffix.lower() in (".ttl", ".turtle"):
        return load_skos(path, base_iri=base_iri)
    return load_csv(path, base_iri=base_iri)
