"""The federated catalogue as a running participant: the composition of `catalog.federated` (index, crawler,
query API) with the identity layer. The catalogue has its own DID, keys and membership credential (created with
`jnt participant init` and enrolled like any participant); every catalogue request it sends carries a fresh
self-issued token for the connector it crawls (`Participant.token_for`), so each connector shows it what its
credential may see. It serves its DID document beside the query API, so connectors can verify those tokens, and
serves eligibility, access plans and the readiness report (`catalog.federated.access`) to callers who present the
same kind of self-issued token, addressed to the catalogue's DID: its `Authenticator` verifies it (membership
credential included) and the policy engine decides on the verified claims. The public web site
(`catalog.federated.site`) takes the same token at sign-in (`token_sign_in`).

The connectors come from the trust authority's participant directory (a participant enrolled without a DSP
endpoint gets the one its DID document publishes) or from a static list file. Used by `jnt catalog serve|crawl`
and the tests."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request

from catalog.federated import (
    ConnectorSource,
    Crawler,
    CrawlScheduler,
    CrawlSettings,
    DirectorySource,
    FederatedIndex,
    StaticSource,
    create_catalog_app,
)
from catalog.federated.access import Authenticate, Unauthenticated, access_router
from catalog.federated.csw_server import csw_router
from catalog.federated.export import CatalogueDescription
from catalog.federated.export_api import export_router
from catalog.federated.ogc_records import records_router
from catalog.federated.site import CatalogueSite, SignIn, SiteLinks
from catalog.geoconcepts import load_registry
from policies.requester import Requester

from .identity import Authenticator, Participant
from .identity.did import DidResolver, did_from_url
from .identity.errors import IdentityError
from .identity.keys import load_passphrase
from .ops.wiring import instrument_catalogue
from .settings import Settings

log = logging.getLogger("jnt.catalog")
CATALOG_SERVICE = "CatalogService"


class CatalogueConfigError(ValueError):
    """A catalogue that cannot be built as configured (no connector source...)."""

    def __init__(self, fr: str, en: str) -> None:
        self.fr, self.en = fr, en
        super().__init__(en)


@dataclass
class FederatedCatalogue:
    app: FastAPI
    index: FederatedIndex
    crawler: Crawler
    scheduler: CrawlScheduler
    source: ConnectorSource
    participant: Participant
    authenticator: Authenticator
    resolver: DidResolver
    base_url: str
    services: list[Any] = field(default_factory=list)  # closed with the catalogue (the CSW service)

    def close(self) -> None:
        self.scheduler.stop()
        for service in self.services:
            service.close()
        self.authenticator.close()
        self.resolver.close()
        self.index.close()


def address_resolver(resolver: DidResolver):
    """`did -> DSP base URL` from the participant's DID document (its CatalogService endpoint is `<dsp>/catalog`)."""

    def resolve(did: str) -> str | None:
        endpoint = resolver.resolve(did).service_endpoint(CATALOG_SERVICE)
        if endpoint is None:
            return None
        endpoint = endpoint.rstrip("/")
        return endpoint.removesuffix("/catalog")

    return resolve


def caller_authentication(authenticator: Authenticator) -> Authenticate:
    """`request -> Requester | None` for the catalogue's access routes: no Authorization header is an anonymous
    caller; a header whose token the identity layer refuses raises `Unauthenticated` (401, with the failed check),
    never an anonymous answer. In the TCK modes (no verification) callers are anonymous."""

    def authenticate(request: Request) -> Requester | None:
        header = request.headers.get("authorization")
        if header is None or not header.strip():
            return None
        try:
            claims = authenticator.authenticate(header)
        except IdentityError as exc:
            log.info("catalogue caller refused (%s): %s", exc.check, exc.en, extra={"path": request.url.path})
            raise Unauthenticated(exc.check, exc.fr, exc.en) from None
        return claims.requester() if claims.authenticated else None

    return authenticate


def token_sign_in(authenticator: Authenticator) -> SignIn:
    """`token -> Requester` for signing in to the catalogue's web site with a self-issued token addressed to the
    catalogue: the same checks as a bearer token on the API (`caller_authentication`); a refused token raises
    `Unauthenticated` with the failed check."""

    def sign_in(token: str) -> Requester:
        try:
            claims = authenticator.authenticate(f"Bearer {token}")
        except IdentityError as exc:
            log.info("catalogue site sign-in refused (%s): %s", exc.check, exc.en)
            raise Unauthenticated(exc.check, exc.fr, exc.en) from None
        if not claims.authenticated:
            raise Unauthenticated("unsupported", "ce catalogue ne vérifie pas les identités (mode TCK)",
                                  "this catalogue verifies no identity (TCK mode)")
        return claims.requester()

    return sign_in


def load_participant(settings: Settings, base_url: str, *, create_identity: bool = False) -> Participant:
    passphrase = load_passphrase(settings.key_passphrase.get_secret_value() if settings.key_passphrase else None,
                                 settings.key_passphrase_file)
    data_dir = Path(settings.data_dir)
    try:
        return Participant.load(data_dir, passphrase)
    except IdentityError:
        if not create_identity:
            raise
        data_dir.mkdir(parents=True, exist_ok=True)
        return Participant.init(data_dir, settings.did or did_from_url(base_url), passphrase)


def connector_source(settings: Settings, participant: Participant, resolver: DidResolver, *,
                     authority_url: str | None = None, connectors_file: Path | None = None) -> ConnectorSource:
    if authority_url and connectors_file:
        raise CatalogueConfigError("donner --authority ou --connectors, pas les deux",
                                   "give --authority or --connectors, not both")
    if connectors_file is not None:
        return StaticSource.from_file(connectors_file)
    url = authority_url or settings.authority_url
    if not url:
        raise CatalogueConfigError(
            "aucune liste de connecteurs : donner --authority URL (annuaire de l'autorité, ou JNT_AUTHORITY_URL) "
            "ou --connectors FICHIER", "no connector list: give --authority URL (the authority's directory, or "
            "JNT_AUTHORITY_URL) or --connectors FILE")
    return DirectorySource(url, exclude={participant.did}, resolve_address=address_resolver(resolver))


def build_catalogue(settings: Settings, base_url: str, *, participant: Participant | None = None,
                    authority_url: str | None = None, connectors_file: Path | None = None,
                    interval: float = 300.0, crawl_settings: CrawlSettings | None = None,
                    create_identity: bool = False, database_url: str | None = None) -> FederatedCatalogue:
    """The catalogue participant whose data directory is `settings.data_dir`, reachable at `base_url`: index
    (`database_url`, default the settings' database), crawler with the participant's tokens, scheduler (started
    with the app), query API and DID document. Raises `IdentityError` (no identity) or `CatalogueConfigError`."""
    base_url = base_url.rstrip("/")
    participant = participant or load_participant(settings, base_url, create_identity=create_identity)
    if participant.credential is None:
        log.warning("the catalogue %s has no membership credential: connectors will refuse its requests "
                    "(enrol it, then `jnt participant set-credential`)", participant.did)
    resolver = DidResolver(dev_mode=settings.dev_mode, ttl_seconds=settings.did_cache_ttl_seconds)
    source = connector_source(settings, participant, resolver, authority_url=authority_url,
                              connectors_file=connectors_file)
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    registry = load_registry(settings.geoconcepts_file, base_iri=settings.geoconcept_base_iri)
    index = FederatedIndex(database_url or settings.effective_database_url(), registry=registry)
    crawler = Crawler(index, token_for=participant.token_for, settings=crawl_settings)
    scheduler = CrawlScheduler(crawler, source, interval=interval)
    authenticator = Authenticator.from_settings(settings, participant.did)
    # The public web site (search, sheets, connectors; sign-in with a token addressed to the catalogue).
    site = CatalogueSite(index, sign_in=token_sign_in(authenticator), catalogue_did=participant.did,
                         scheduler=scheduler, links=SiteLinks(ogcapi="/ogcapi", csw="/csw", sparql="/api/sparql"),
                         secure_cookies=base_url.startswith("https://"),
                         origins=("{0.scheme}://{0.netloc}".format(urlsplit(base_url)),))
    access = access_router(index, authenticate=caller_authentication(authenticator), catalogue_did=participant.did,
                           pages=site)
    services: list[Any] = []
    # GIS tools: OGC API – Records and CSW 2.0.2 (pycsw over a mirror of the index, kept beside it).
    gis = [records_router(index, base_url=base_url),
           csw_router(index, base_url=base_url, database=Path(settings.data_dir) / "csw-mirror.sqlite",
                      on_service=services.append)]
    # DCAT-AP export (Turtle, JSON-LD, N-Triples) and the read-only SPARQL endpoint.
    description = CatalogueDescription(base_url=base_url, publisher_did=participant.did,
                                       publisher_name=settings.participant_name or "Catalogue fédéré JNT")
    export = export_router(index, description, sparql=True)
    app = create_catalog_app(index, scheduler=scheduler, routers=[participant.router(), access, *gis, export,
                                                                    site.router()])
    app.state.participant = participant
    app.state.authenticator = authenticator
    catalogue = FederatedCatalogue(app=app, index=index, crawler=crawler, scheduler=scheduler, source=source,
                                   participant=participant, authenticator=authenticator, resolver=resolver,
                                   base_url=base_url, services=services)
    instrument_catalogue(app, settings, catalogue)
    return catalogue
