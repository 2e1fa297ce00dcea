"""The live part of the demonstration: a small Loire-estuary data space on loopback, made of the real components
built so far. A trust authority and one multi-tenant host serving the participants' DID documents run as HTTP
servers; providers and consumers are enrolled through the authority's admin API; each consumer's identity reaches
the providers as a signed self-issued token that the provider verifies (DID resolution, membership credential,
status list); the verified claims feed the policy engine; each provider's datasets are described by sheets
validated with SHACL and published as a DSP catalog filtered for the verified consumer."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from catalog.dsp_catalog import CatalogEntry, CatalogInfo, DspService, parse_catalog, render_catalog
from catalog.geoconcepts import load_registry
from catalog.shacl import validate_sheet
from catalog.sheet import Agent, Conformity, Contact, Distribution, Sheet, StandardRef
from catalog.vocabularies import (
    DEGREE_OF_CONFORMITY,
    access_right_iri,
    epsg_iri,
    eu_themes_for,
    frequency_iri,
    inspire_theme_iri,
    origin_iri,
)
from policies import World, compile_policy, request_from_json
from policies.templates import LICENCES as POLICY_LICENCES
from policies.templates import offer_template

from .identity import Authenticator, Participant, create_authority_app, create_participant_app
from .identity.did import did_from_url
from .server import BackgroundServer
from .settings import Settings

PASSPHRASE = "demo passphrase — not for production"
ADMIN_TOKEN = "demo-admin-token"
LOIRE_BBOX = (-2.35, 47.10, -1.40, 47.40)


@dataclass
class Actor:
    key: str
    name: str
    category: str  # public | private
    kind: str
    participant: Participant | None = None


@dataclass
class Published:
    provider: Actor
    geoconcept: str
    title: str
    licence: str
    access: str
    restrictions: Any
    frequency: str
    origin: str
    scale: int | None = None
    resolution: float | None = None
    sheet: Sheet | None = None
    offer: Any = None
    shacl_violations: int = 0


@dataclass
class SpaceReport:
    authority_url: str
    host_url: str
    participants: list[dict[str, str]] = field(default_factory=list)
    verified: list[dict[str, str]] = field(default_factory=list)
    datasets: list[dict[str, Any]] = field(default_factory=list)
    catalogs: list[dict[str, Any]] = field(default_factory=list)


def _settings(data_dir: Path, **extra: Any) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, dev_mode=True, key_passphrase=PASSPHRASE, **extra)


def _sheet(item: Published, registry) -> Sheet:
    concept = registry.get(item.geoconcept)
    sheet = Sheet(id=f"https://data.example.org/{item.provider.key}/{item.geoconcept.lower()}")
    n = sheet.nature
    n.title, n.description = item.title, f"{item.title} sur l'estuaire de la Loire (Nantes – Saint-Nazaire)."
    n.geoconcept, n.role = concept.iri(registry.base_iri), concept.role_iri
    n.inspire_themes = [inspire_theme_iri(c) for c in concept.inspire_themes]
    n.eu_themes = eu_themes_for(n.inspire_themes) or ["http://publications.europa.eu/resource/authority/data-theme/ENVI"]
    p = sheet.provenance
    p.publisher = Agent(name=item.provider.name)
    p.publisher_type = ("http://purl.org/adms/publishertype/" +
                        ("NationalAuthority" if item.provider.category == "public" else "Company"))
    p.contact = Contact(name=item.provider.name, email=f"donnees@{item.provider.key}.example")
    sheet.frequency.accrual_periodicity = frequency_iri(item.frequency)
    sheet.frequency.modified = date(2026, 10, 1)
    sheet.origin.lineage = "Données de démonstration générées pour le scénario de l'estuaire de la Loire."
    sheet.origin.acquisition_mode = origin_iri(item.origin)
    sheet.licence.licence = POLICY_LICENCES[item.licence].iri
    sheet.extent.bbox = LOIRE_BBOX
    sheet.extent.reference_systems = [epsg_iri(2154)]
    sheet.access.access_rights = access_right_iri({"public": "PUBLIC", "restricted": "RESTRICTED"}[item.access])
    sheet.access.distributions = [Distribution(
        access_url=f"https://data.example.org/{item.provider.key}/{item.geoconcept.lower()}.gpkg",
        format="http://publications.europa.eu/resource/authority/file-type/GPKG",
        media_type="https://www.iana.org/assignments/media-types/application/geopackage+sqlite3")]
    sheet.precision.scale_denominator = item.scale
    sheet.precision.resolution_m = item.resolution
    sheet.quality.conformity = [Conformity(specification_title="Contrôles JNT de démonstration",
                                           degree=DEGREE_OF_CONFORMITY + "notEvaluated")]
    sheet.standard.conforms_to = [StandardRef(title="Standard JNT de démonstration")]
    return sheet


def run_space(catalogue: list[Published], consumers: list[Actor], purpose: str, territory: str,
              now: datetime | None = None, root: Path | None = None) -> SpaceReport:
    """Start the servers, enrol everyone, verify each consumer at each provider, decide and publish; stop."""
    now = now or datetime.now(UTC)
    root = root or Path(tempfile.mkdtemp(prefix="jnt-demo-"))
    registry = load_registry()
    authority_server, host = BackgroundServer(), BackgroundServer()
    authority_did = did_from_url(authority_server.base_url)
    authority_server.start(create_authority_app(_settings(root / "authority", did=authority_did,
                                                          admin_token=ADMIN_TOKEN)))
    report = SpaceReport(authority_server.base_url, host.base_url)
    authenticators: list[Authenticator] = []
    try:
        providers = list({item.provider.key: item.provider for item in catalogue}.values())
        for actor in [*providers, *consumers]:
            did = did_from_url(f"{host.base_url}/participants/{actor.key}")
            actor.participant = Participant.init(root / actor.key, did, PASSPHRASE.encode(),
                                                 dsp_endpoint=f"{host.base_url}/participants/{actor.key}/dsp")
        host.start(create_participant_app([a.participant for a in [*providers, *consumers]]))
        with httpx.Client(base_url=authority_server.base_url, timeout=10,
                          headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as admin:
            for actor in [*providers, *consumers]:
                answer = admin.post("/admin/participants", json={
                    "did": actor.participant.did, "name": actor.name, "category": actor.category, "kind": actor.kind})
                answer.raise_for_status()
                actor.participant.save_credential(answer.json()["credential"])
                report.participants.append({"name": actor.name, "did": actor.participant.did,
                                            "category": actor.category})
        for item in catalogue:
            item.sheet = _sheet(item, registry)
            item.offer = offer_template(item.licence, item.access, item.restrictions,
                                        uid=f"{item.sheet.id}#offer", assigner=item.provider.participant.did)
            validation = validate_sheet(item.sheet)
            item.shacl_violations = len(validation.violations)
            report.datasets.append({"provider": item.provider.name, "title": item.title, "geoconcept": item.geoconcept,
                                    "conforms": validation.conforms,
                                    "completeness": round(item.sheet.completeness().score, 2)})
        world = World(now=now)
        for provider in providers:
            verifier = Authenticator.from_settings(
                _settings(root / provider.key, trusted_authorities=[authority_did]), provider.participant.did)
            authenticators.append(verifier)
            own = [item for item in catalogue if item.provider is provider]
            for consumer in consumers:
                token = consumer.participant.token_for(provider.participant.did)
                claims = verifier.verifier.verify(token)
                report.verified.append({"provider": provider.name, "consumer": consumer.name, "did": claims.did,
                                        "category": claims.category or "", "issuer": claims.issuer or ""})
                request = request_from_json(claims.policy_request(purpose=purpose, territory=territory))
                visible = []
                for item in own:
                    decision = compile_policy(item.offer).decide(request, world)
                    if decision.permitted:
                        visible.append(item)
                    report.catalogs.append({"provider": provider.name, "consumer": consumer.name,
                                            "dataset": item.title, "decision": decision.outcome,
                                            "reason": decision.summary("fr"), "reason_en": decision.summary("en"),
                                            "duties": [d["action"] for d in decision.to_json("fr")["duties"]]})
                service = DspService(id=f"{provider.participant.did}#dsp",
                                     endpoint_url=f"{host.base_url}/participants/{provider.key}/dsp")
                info = CatalogInfo(id=f"https://data.example.org/{provider.key}/catalog",
                                   participant_id=provider.participant.did, service=service,
                                   title=f"Catalogue de {provider.name}", publisher=Agent(name=provider.name))
                doc = render_catalog(info, [CatalogEntry(i.sheet, [i.offer]) for i in visible])
                parsed = parse_catalog(doc)
                assert [d.id for d in parsed.datasets] == [i.sheet.id for i in visible]
    finally:
        for authenticator in authenticators:
            authenticator.close()
        host.stop()
        authority_server.stop()
    return report
