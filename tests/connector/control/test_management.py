"""The management API on real servers on loopback. A provider and a consumer connector with authentication of DSP
calls off (as in the TCK mode), each with its management token: publication from a sheet with a template, from an
ODRL offer, from an ISO 19139 record; refusals that name the field and write nothing; paging; the OpenAPI document.
Then a small data space whose identities are verified for real (`space.Space`): the consumer, through
`ManagementClient`, reads the provider's catalogue with its own identity, negotiates, sees the agreement, and steers
a transfer; a refusal comes back explained."""

from __future__ import annotations

import socket
import uuid

import httpx
import pytest

from connector.control.client import ManagementClient, ManagementError
from connector.control.runtime import Connector, build_connector
from connector.dsp.schemas import CONTEXT_URL
from connector.server import BackgroundServer
from connector.settings import Settings

from .space import MANAGEMENT, Space
from .tck_harness import FAST

TOKEN = MANAGEMENT
ISO_SAMPLE = "samples/iso19139/datara_pprn-inondation-charmes-sur-rhone.xml"


class Member:
    """A running connector and a management client for it."""

    def __init__(self, connector: Connector, server: BackgroundServer | None = None) -> None:
        self.connector = connector
        self.server = server  # ours to stop (None: the data space stops it)
        self.base_url = connector.base_url
        self.url = self.base_url + "/management"
        self.client = ManagementClient(self.url, TOKEN, timeout=20, poll_interval=0.02)

    @classmethod
    def unauthenticated(cls, root, name: str) -> Member:
        server = BackgroundServer()
        settings = Settings(_env_file=None, data_dir=root / name, auth_mode="off", dev_mode=True,
                            key_passphrase="management tests passphrase", management_token=TOKEN,
                            participant_name=name)
        connector = build_connector(settings, server.base_url, options=FAST, create_identity=True)
        server.start(connector.app)
        return cls(connector, server)

    @property
    def did(self) -> str:
        return self.connector.plane.did

    @property
    def dsp_url(self) -> str:
        return self.connector.dsp_url

    def stop(self) -> None:
        self.client.close()
        if self.server is not None:
            self.server.stop()
            self.connector.close()


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    member = Member.unauthenticated(tmp_path_factory.mktemp("management"), "provider")
    yield member
    member.stop()


@pytest.fixture(scope="module")
def consumer(tmp_path_factory):
    member = Member.unauthenticated(tmp_path_factory.mktemp("management"), "consumer")
    yield member
    member.stop()


@pytest.fixture(scope="module")
def verified(tmp_path_factory):
    """A provider and a consumer enrolled at a trust authority, whose DSP calls carry verified identities."""
    space = Space(tmp_path_factory.mktemp("verified"))
    with pytest.MonkeyPatch.context() as env:  # Space builds its settings from the environment
        env.setenv("JNT_MANAGEMENT_TOKEN", TOKEN)
        provider = Member(space.connector("ddtm-44", "public", "service de l'État"))
        consumer = Member(space.connector("region-pdl", "public", "collectivité territoriale"))
    yield provider, consumer
    provider.stop()
    consumer.stop()
    space.close()


def new_id(name: str) -> str:
    return f"https://data.example.org/{name}/{uuid.uuid4().hex[:8]}"


def sheet(dataset_id: str, title: str = "Zonage réglementaire PPRI") -> dict:
    return {"id": dataset_id, "nature": {"title": title, "description": "Zones du plan de prévention"}}


def catalogue_of(member: Member) -> dict:
    answer = httpx.post(member.dsp_url + "/catalog/request", timeout=10,
                        json={"@context": [CONTEXT_URL], "@type": "CatalogRequestMessage"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def refusal(call) -> ManagementError:
    with pytest.raises(ManagementError) as caught:
        call()
    return caught.value


# -- authentication -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer not-the-token"},
    {"X-Api-Key": "not-the-token"},
    {"Authorization": "Basic " + TOKEN},
    {"Authorization": "Bearer", "X-Api-Key": ""},
])
def test_the_management_api_refuses_a_missing_or_wrong_token(provider, headers):
    for method, path in (("GET", "/datasets"), ("POST", "/datasets"), ("GET", "/negotiations"),
                         ("POST", "/transfers/x/suspend"), ("GET", "/catalog")):
        answer = httpx.request(method, provider.url + path, headers=headers, json={}, timeout=10)
        assert answer.status_code == 401, (path, answer.text)
        body = answer.json()
        assert body["error"] == "unauthenticated" and body["fr"] and body["en"] and body["field"] == "Authorization"
        assert answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("headers", [{"Authorization": f"Bearer {TOKEN}"}, {"X-Api-Key": TOKEN}])
def test_either_header_carries_the_token(provider, headers):
    answer = httpx.get(provider.url + "/datasets", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) >= {"items", "offset", "limit", "total"}


def test_with_the_wrong_token_the_client_raises_a_bilingual_error(provider):
    with ManagementClient(provider.url, "wrong") as client:
        error = refusal(client.list_datasets)
    assert error.status == 401 and error.code == "unauthenticated"
    assert error.message("fr") == "jeton de gestion incorrect" and error.message("en") == "wrong management token"


# -- publication ----------------------------------------------------------------------------------------------------


def test_publish_from_a_template_shows_the_offer_in_the_catalogue(provider):
    dataset_id = new_id("ppri")
    (provider.connector.plane.sources_dir / "ppri.gpkg").write_bytes(b"GPKG")
    published = provider.client.publish_dataset(
        sheet=sheet(dataset_id), data_source={"type": "file", "path": "ppri.gpkg"},
        template={"licence": "restricted", "access": "restricted",
                  "restrictions": {"categories": ["public"], "purposes": ["flood-risk-simulation"], "max_count": 5}})
    assert published["id"] == dataset_id and published["title"] == "Zonage réglementaire PPRI"
    assert published["offers"] == [dataset_id + "#offer"]
    assert published["formats"] == ["HttpData-PULL"]
    assert published["data_source"] == {"type": "file", "path": "ppri.gpkg"}
    assert 0 < published["completeness"]["score"] < 1 and not published["completeness"]["complete"]
    assert "licence.licence" in published["completeness"]["missing_mandatory"]
    # The sheet is far from complete: SHACL says so, in warnings that did not prevent publication.
    shacl = [w for w in published["warnings"] if w["source"] == "shacl"]
    assert any(w["field"] == "licence.licence" and w["severity"] == "violation" for w in shacl)
    assert all(w["fr"] and w["en"] for w in shacl)

    detail = provider.client.get_dataset(dataset_id)
    assert detail["sheet"]["id"] == dataset_id
    policy = detail["policies"][0]["policy"]
    assert policy["@id"] == dataset_id + "#offer" and policy["assigner"] == provider.did
    constraints = {c["leftOperand"]: c["rightOperand"] for c in policy["permission"][0]["constraint"]}
    assert constraints == {"https://w3id.org/jnt/odrl/recipientCategory":
                           {"@id": "https://w3id.org/jnt/odrl/category/public-body"},
                           "odrl:purpose": {"@id": "https://w3id.org/jnt/purpose/flood-risk-simulation"},
                           "odrl:count": {"@value": "5", "@type": "xsd:integer"}}

    offers = provider.client.list_offers(limit=500)["items"]
    assert {"dataset_id": dataset_id, "offer_id": dataset_id + "#offer", "policy": policy} in offers

    listed = next(d for d in catalogue_of(provider)["dataset"] if d["@id"] == dataset_id)
    assert [o["@id"] for o in listed["hasPolicy"]] == [dataset_id + "#offer"]


def test_publish_from_an_odrl_offer_then_add_an_offer_and_remove(provider):
    dataset_id = new_id("assainissement")
    odrl = {"@context": "http://www.w3.org/ns/odrl.jsonld", "@type": "Offer",
            "permission": [{"action": "use", "duty": [{"action": "attribute"}]}]}
    published = provider.client.publish_dataset(sheet=sheet(dataset_id, "Réseau pluvial"), policy=odrl,
                                                formats=["HttpData-PULL", "HttpData-PUSH"])
    assert published["offers"] == [dataset_id + "#offer"]
    assert published["formats"] == ["HttpData-PULL", "HttpData-PUSH"]
    stored = provider.client.get_dataset(dataset_id)["policies"][0]["policy"]
    assert stored["assigner"] == provider.did and stored["@type"] == "Offer"

    grown = provider.client.add_offer(dataset_id, template={"licence": "etalab-2.0", "access": "public"})
    assert grown["offers"] == [dataset_id + "#offer", dataset_id + "#offer-2"]
    listed = next(d for d in catalogue_of(provider)["dataset"] if d["@id"] == dataset_id)
    assert len(listed["hasPolicy"]) == 2

    again = refusal(lambda: provider.client.add_offer(dataset_id, policy=odrl, offer_id=dataset_id + "#offer"))
    assert again.status == 409 and again.field == "offer_id"

    provider.client.delete_dataset(dataset_id)
    assert refusal(lambda: provider.client.get_dataset(dataset_id)).status == 404
    assert refusal(lambda: provider.client.delete_dataset(dataset_id)).status == 404
    assert dataset_id not in {d["@id"] for d in catalogue_of(provider).get("dataset", [])}


def test_publish_from_an_iso_19139_record(provider, shared_dir):
    record = (shared_dir / ISO_SAMPLE).read_text(encoding="utf-8")
    published = provider.client.publish_dataset(iso19139=record, replace=True)
    dataset_id = published["id"]
    assert dataset_id.startswith("https://catalogue.datara.gouv.fr/")
    assert published["title"].startswith("PPRN : Zonages réglementaires")
    # No policy and no template: the offer comes from the record's licence (Etalab 2.0) and access (public).
    policy = provider.client.get_dataset(dataset_id)["policies"][0]["policy"]
    assert policy["@id"] == dataset_id + "#offer"
    assert policy["permission"][0]["action"] == "use" and "constraint" not in policy["permission"][0]
    assert provider.client.get_dataset(dataset_id)["sheet"]["licence"]["licence"] == \
        "https://spdx.org/licenses/etalab-2.0.html"
    assert dataset_id in {d["@id"] for d in catalogue_of(provider)["dataset"]}
    # Publishing it again without `replace` is a conflict on the id, and changes nothing.
    conflict = refusal(lambda: provider.client.publish_dataset(iso19139=record))
    assert conflict.status == 409 and conflict.field == "sheet.id"


def _bad_inputs(dataset_id: str) -> list[tuple[dict, int, str]]:
    good_template = {"licence": "etalab-2.0", "access": "public"}
    return [
        ({"sheet": {"nature": {"title": "sans id"}}, "template": good_template}, 422, "sheet.id"),
        ({"sheet": {"id": dataset_id}, "template": good_template}, 400, "sheet.nature.title"),
        ({"sheet": {"id": dataset_id, "nature": {"title": "  "}}, "template": good_template}, 400,
         "sheet.nature.title"),
        ({"sheet": sheet(dataset_id), "template": {"licence": "wtfpl", "access": "public"}}, 400,
         "template.licence"),
        ({"sheet": sheet(dataset_id), "template": {"licence": "restricted", "access": "public"}}, 400,
         "template.licence"),
        ({"sheet": sheet(dataset_id), "template": {"licence": "restricted", "access": "restricted",
                                                   "restrictions": {"purposes": ["astrologie"]}}}, 400,
         "template.restrictions.purposes"),
        ({"sheet": sheet(dataset_id), "template": {"licence": "restricted", "access": "restricted",
                                                   "restrictions": {"max_count": 0}}}, 400,
         "template.restrictions.max_count"),
        ({"sheet": sheet(dataset_id), "template": {"licence": "etalab-2.0", "access": "public",
                                                   "restrictions": {"colour": "blue"}}}, 422,
         "template.restrictions.colour"),
        ({"sheet": sheet(dataset_id)}, 400, "template.licence"),
        ({"sheet": sheet(dataset_id), "template": good_template,
          "policy": {"@type": "Offer", "permission": [{"action": "use"}]}}, 400, "policy"),
        ({"sheet": sheet(dataset_id), "policy": {"@type": "Offer", "permission": "use it freely"}}, 400,
         "policy.permission[0]"),
        ({"sheet": sheet(dataset_id), "policy": {"@context": "http://www.w3.org/ns/odrl.jsonld",
                                                 "permission": [{"action": "use", "constraint": [{"leftOperand":
                                                                 "colour", "operator": "eq",
                                                                 "rightOperand": "blue"}]}]}}, 400,
         "policy.permission[0].constraint[0].leftOperand"),
        ({"sheet": sheet(dataset_id), "policy": {"@type": "Offer", "permission": [{"action": "use"}],
                                                 "assigner": "did:web:someone-else"}}, 400, "policy.assigner"),
        ({"sheet": sheet(dataset_id), "policy": "use it freely"}, 422, "policy"),
        ({"sheet": sheet(dataset_id), "template": good_template, "formats": []}, 400, "formats"),
        ({"sheet": sheet(dataset_id), "template": good_template, "formats": ["HttpData-PULL", "HttpData-PULL"]},
         400, "formats[1]"),
        ({"iso19139": "<not-iso/>", "template": good_template}, 400, "iso19139"),
        ({"iso19139": "<gmd:MD_Metadata", "template": good_template}, 400, "iso19139"),
        ({"sheet": sheet(dataset_id), "iso19139": "<x/>", "template": good_template}, 400, "sheet"),
        ({"template": good_template}, 400, "sheet"),
        ({"sheet": {**sheet(dataset_id), "extent": {"bbox": [10, 50, 5, 40]}}, "template": good_template}, 422,
         "sheet.extent.bbox"),
    ]


def test_bad_publications_are_refused_naming_the_field_and_write_nothing(provider):
    dataset_id = new_id("refused")
    for body, status, field in _bad_inputs(dataset_id):
        answer = httpx.post(provider.url + "/datasets", json=body, headers={"X-Api-Key": TOKEN}, timeout=10)
        assert answer.status_code == status, (field, answer.text[:300])
        problem = answer.json()
        assert problem["field"] == field, (body, problem)
        assert problem["error"] and problem["fr"] and problem["en"] and problem["fr"] != problem["en"], problem
        assert field in problem["fr"] and field in problem["en"]
    ids = {d["id"] for d in provider.client.list_datasets(limit=500)["items"]}
    assert dataset_id not in ids
    assert refusal(lambda: provider.client.get_dataset(dataset_id)).status == 404
    assert refusal(lambda: provider.client.add_offer(dataset_id, template={"licence": "cc0"})).status == 404


def test_listings_are_paged(provider):
    for i in range(3):
        provider.client.publish_dataset(sheet=sheet(new_id(f"page{i}")), template={"licence": "cc0",
                                                                                    "access": "public"})
    total = provider.client.list_datasets(limit=1)["total"]
    assert total >= 3
    first, second = provider.client.list_datasets(limit=2), provider.client.list_datasets(offset=2, limit=2)
    assert len(first["items"]) == 2 and first["next"] and "offset=2" in first["next"]
    assert {d["id"] for d in first["items"]}.isdisjoint({d["id"] for d in second["items"]})
    last = provider.client.list_datasets(offset=total - 1, limit=2)
    assert len(last["items"]) == 1 and last["next"] is None
    assert refusal(lambda: provider.client.list_datasets(limit=0)).field == "limit"
    assert refusal(lambda: provider.client.list_negotiations(state="DANCING")).field == "state"
    assert refusal(lambda: provider.client.list_transfers(role="broker")).field == "role"


# -- negotiation, agreement, transfer --------------------------------------------------------------------------------


def _published_open_dataset(provider) -> str:
    dataset_id = new_id("mnt")
    provider.client.publish_dataset(sheet=sheet(dataset_id, "MNT RGE ALTI 1 m"),
                                    template={"licence": "etalab-2.0", "access": "public"})
    return dataset_id


def _catalogue_offer(consumer, provider, dataset_id: str) -> dict:
    catalog = consumer.client.fetch_catalog(provider.dsp_url, provider.did)
    assert catalog["@type"] == "Catalog" and catalog["participantId"] == provider.did
    dataset = next(d for d in catalog["dataset"] if d["@id"] == dataset_id)
    return dataset["hasPolicy"][0]


def test_the_consumer_negotiates_and_steers_a_transfer_through_the_client(verified):
    provider, consumer = verified
    dataset_id = _published_open_dataset(provider)
    offer = _catalogue_offer(consumer, provider, dataset_id)
    client = consumer.client

    started = client.start_negotiation(provider.dsp_url, provider.did, dataset_id, offer,
                                       purpose="flood-risk-simulation", territory="44109")
    assert started["role"] == "consumer" and started["consumer_pid"] and started["state"] in ("INITIAL", "REQUESTED")
    done = client.wait_negotiation(started["id"], timeout=20)
    assert done["state"] == "FINALIZED", done
    assert done["purpose"] == "flood-risk-simulation" and done["dataset_id"] == dataset_id
    assert done["offer_id"] == offer["@id"] and done["provider_pid"]
    agreement_id = done["agreement_id"]
    assert agreement_id

    mine = client.list_agreements(role="consumer", limit=500)["items"]
    assert agreement_id in {a["id"] for a in mine}
    agreement = client.get_agreement(agreement_id)
    assert agreement["target"] == dataset_id and agreement["provider_did"] == provider.did
    assert agreement["role"] == "consumer" and agreement["policy"]["@type"] == "Agreement"
    assert agreement["signed_jws"]  # signed by the provider, even with authentication off
    theirs = provider.client.get_agreement(agreement_id)
    assert theirs["role"] == "provider" and theirs["policy"] == agreement["policy"]
    assert {n["id"] for n in client.list_negotiations(role="consumer", state="FINALIZED", limit=500)["items"]} >= {
        started["id"]}

    transfer = client.start_transfer(agreement_id)
    assert transfer["agreement_id"] == agreement_id and transfer["format"] == "HttpData-PULL"
    running = client.wait_transfer(transfer["id"], states=("STARTED",))
    assert running["state"] == "STARTED", running
    assert running["data_address"] and running["data_address"]["endpoint"].startswith(provider.base_url)

    # One message at a time: the suspension must be acknowledged before another change is asked.
    client.transfer_action(transfer["id"], "suspend")
    assert client.wait_transfer(transfer["id"], states=("SUSPENDED",))["state"] == "SUSPENDED"
    assert refusal(lambda: client.transfer_action(transfer["id"], "suspend")).code == "invalid-transition"
    client.transfer_action(transfer["id"], "resume")
    assert client.wait_transfer(transfer["id"], states=("STARTED",))["state"] == "STARTED"
    client.transfer_action(transfer["id"], "complete")
    assert client.wait_transfer(transfer["id"], states=("COMPLETED",))["state"] == "COMPLETED"
    ended = refusal(lambda: client.transfer_action(transfer["id"], "resume"))
    assert ended.status == 409 and ended.fr and ended.en
    assert refusal(lambda: client.transfer_action(transfer["id"], "terminate")).status == 409

    provider_side = provider.client.list_transfers(role="provider", limit=500)["items"]
    assert any(t["consumer_pid"] == transfer["consumer_pid"] and t["state"] == "COMPLETED" for t in provider_side)
    assert refusal(lambda: client.get_transfer("no-such-transfer")).status == 404


def test_a_refused_negotiation_explains_why(verified):
    provider, consumer = verified
    dataset_id = new_id("reseau")
    provider.client.publish_dataset(
        sheet=sheet(dataset_id, "Réseau HTA"),
        template={"licence": "restricted", "access": "restricted",
                  "restrictions": {"purposes": ["flood-risk-simulation"]}})
    offer = _catalogue_offer(consumer, provider, dataset_id)
    started = consumer.client.start_negotiation(provider.dsp_url, provider.did, dataset_id, offer, purpose="research")
    done = consumer.client.wait_negotiation(started["id"], timeout=20)
    assert done["state"] == "TERMINATED" and done["agreement_id"] is None
    assert "policy-refused" in (done["error_detail"] or ""), done
    refused = [n for n in provider.client.list_negotiations(role="provider", state="TERMINATED", limit=500)["items"]
               if n["consumer_pid"] == started["consumer_pid"]]
    assert len(refused) == 1 and refused[0]["decision"]["outcome"] != "permit" and refused[0]["reason"]


def test_bad_negotiation_and_transfer_requests_name_the_field(provider, consumer):
    dataset_id = _published_open_dataset(provider)
    offer = _catalogue_offer(consumer, provider, dataset_id)
    client = consumer.client
    cases = [
        (lambda: client.start_negotiation("ftp://x", provider.did, dataset_id, offer), "provider_address"),
        (lambda: client.start_negotiation(provider.dsp_url, "provider", dataset_id, offer), "provider_did"),
        (lambda: client.start_negotiation(provider.dsp_url, provider.did, dataset_id, {"permission": []}),
         "offer.@id"),
        (lambda: client.start_negotiation(provider.dsp_url, provider.did, "https://other/dataset",
                                          {**offer, "target": dataset_id}), "dataset_id"),
        (lambda: client.start_negotiation(provider.dsp_url, provider.did, dataset_id, offer, purpose="astrologie"),
         "purpose"),
        (lambda: client.start_transfer("urn:uuid:no-such-agreement"), "agreement_id"),
        (lambda: client.fetch_catalog("not a url", provider.did), "address"),
        (lambda: client.fetch_catalog(provider.dsp_url, "provider"), "did"),
    ]
    before = client.list_negotiations(limit=1)["total"], client.list_transfers(limit=1)["total"]
    for call, field in cases:
        error = refusal(call)
        assert 400 <= error.status < 500 and error.field == field, (field, error.body)
        assert error.fr and error.en
    assert (client.list_negotiations(limit=1)["total"], client.list_transfers(limit=1)["total"]) == before
    assert refusal(lambda: client.get_negotiation("no-such-negotiation")).status == 404
    assert refusal(lambda: client.get_agreement("urn:uuid:no-such-agreement")).status == 404


def test_terminate_a_negotiation(provider, consumer):
    with socket.socket() as probe:  # a port nobody listens on: the request keeps failing until terminated
        probe.bind(("127.0.0.1", 0))
        silent = f"http://127.0.0.1:{probe.getsockname()[1]}/api/dsp/2025-1"
    dataset_id = _published_open_dataset(provider)
    offer = _catalogue_offer(consumer, provider, dataset_id)
    started = consumer.client.start_negotiation(silent, provider.did, dataset_id, offer)
    ended = consumer.client.terminate_negotiation(started["id"], reason="demande retirée")
    assert ended["state"] == "TERMINATED" and ended["reason"] == ["demande retirée"]
    assert consumer.client.get_negotiation(started["id"])["state"] == "TERMINATED"
    again = refusal(lambda: consumer.client.terminate_negotiation(started["id"]))
    assert again.status == 409 and again.code == "terminal"
    assert refusal(lambda: consumer.client.terminate_negotiation("no-such-negotiation")).status == 404
    # An unreachable catalogue is a gateway problem, not a crash.
    unreachable = refusal(lambda: consumer.client.fetch_catalog(silent, provider.did))
    assert unreachable.status == 502 and unreachable.code == "provider-unreachable"


def test_finalized_negotiations_cannot_be_terminated(verified):
    provider, consumer = verified
    dataset_id = _published_open_dataset(provider)
    offer = _catalogue_offer(consumer, provider, dataset_id)
    started = consumer.client.start_negotiation(provider.dsp_url, provider.did, dataset_id, offer)
    assert consumer.client.wait_negotiation(started["id"], timeout=20)["state"] == "FINALIZED"
    refused = refusal(lambda: consumer.client.terminate_negotiation(started["id"]))
    assert refused.status == 409 and refused.code == "terminal"
    # The provider cannot request a transfer under its own agreement.
    agreement_id = consumer.client.get_negotiation(started["id"])["agreement_id"]
    wrong_side = refusal(lambda: provider.client.start_transfer(agreement_id))
    assert wrong_side.status == 400 and wrong_side.field == "agreement_id"


def test_without_authentication_a_negotiation_with_a_did_web_provider_finalizes(provider, consumer):
    dataset_id = _published_open_dataset(provider)
    offer = _catalogue_offer(consumer, provider, dataset_id)
    started = consumer.client.start_negotiation(provider.dsp_url, provider.did, dataset_id, offer)
    assert consumer.client.wait_negotiation(started["id"], timeout=5)["state"] == "FINALIZED"


# -- OpenAPI --------------------------------------------------------------------------------------------------------


def test_the_openapi_document_lists_the_management_api_in_french(provider):
    document = httpx.get(provider.base_url + "/openapi.json", timeout=10).json()
    paths = document["paths"]
    expected = {
        ("post", "/management/datasets"): "Publier un jeu de données",
        ("get", "/management/datasets"): "Lister les jeux publiés",
        ("get", "/management/datasets/{dataset_id}"): "Lire un jeu publié",
        ("delete", "/management/datasets/{dataset_id}"): "Retirer un jeu publié",
        ("post", "/management/datasets/{dataset_id}/offers"): "Ajouter une offre à un jeu publié",
        ("get", "/management/offers"): "Lister les offres publiées",
        ("get", "/management/catalog"): "Lire le catalogue DSP d'un fournisseur",
        ("post", "/management/negotiations"): "Démarrer une négociation de contrat",
        ("get", "/management/negotiations"): "Lister les négociations",
        ("get", "/management/negotiations/{negotiation_id}"): "Lire une négociation",
        ("post", "/management/negotiations/{negotiation_id}/terminate"): "Mettre fin à une négociation",
        ("get", "/management/agreements"): "Lister les accords",
        ("get", "/management/agreements/{agreement_id}"): "Lire un accord",
        ("post", "/management/transfers"): "Demander un transfert",
        ("get", "/management/transfers"): "Lister les transferts",
        ("get", "/management/transfers/{transfer_id}"): "Lire un transfert",
        ("post", "/management/transfers/{transfer_id}/suspend"): "Suspendre un transfert",
        ("post", "/management/transfers/{transfer_id}/resume"): "Reprendre un transfert suspendu",
        ("post", "/management/transfers/{transfer_id}/complete"): "Terminer normalement un transfert",
        ("post", "/management/transfers/{transfer_id}/terminate"): "Arrêter un transfert",
    }
    for (method, path), summary in expected.items():
        operation = paths[path][method]
        assert operation["summary"] == summary
        assert operation["security"] == [{"jeton-de-gestion": []}, {"cle-de-gestion": []}]
        assert operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/Problem")
    schemas = document["components"]["schemas"]
    assert "Fiche de caractérisation" in schemas["PublishRequest"]["properties"]["sheet"]["description"]
    assert schemas["NegotiationStart"]["properties"]["purpose"]["description"].startswith("Finalité")
    assert document["components"]["securitySchemes"]["cle-de-gestion"]["name"] == "X-Api-Key"


def test_without_a_management_token_there_is_no_management_api(tmp_path):
    server = BackgroundServer()
    settings = Settings(_env_file=None, data_dir=tmp_path / "closed", auth_mode="off", dev_mode=True,
                        key_passphrase="management tests passphrase")
    connector = build_connector(settings, server.base_url, options=FAST, create_identity=True)
    server.start(connector.app)
    try:
        assert httpx.get(server.base_url + "/management/datasets", timeout=10).status_code == 404
        assert not [p for p in httpx.get(server.base_url + "/openapi.json", timeout=10).json()["paths"]
                    if p.startswith("/management")]
    finally:
        server.stop()
        connector.close()
