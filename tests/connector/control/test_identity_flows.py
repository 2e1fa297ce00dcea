"""Negotiations between connectors whose identities are verified for real: the catalogue is filtered by the verified
claims, the provider decides with the policy engine (refusals carry its explanation), agreements are signed by the
provider, checked by the consumer, stored by both; unauthenticated or foreign callers learn nothing."""

from __future__ import annotations

import copy
import uuid

import httpx
import pytest

from catalog.sheet import Sheet
from connector.control.agreements import AgreementError, check_agreement, verify_signature
from connector.dsp.schemas import CONTEXT_URL, validate_message
from connector.identity.auth import DspAuth
from policies.templates import Restrictions, offer_template

from .space import wait_for, wait_negotiation

CATALOG_REQUEST = {"@context": [CONTEXT_URL], "@type": "CatalogRequestMessage"}


def _publish(provider, dataset_id, licence, access, restrictions=None):
    sheet = Sheet(id=dataset_id)
    sheet.nature.title = dataset_id.rsplit("/", 1)[-1]
    offer = offer_template(licence, access, restrictions, uid=f"{dataset_id}#offer", assigner=provider.plane.did)
    provider.plane.datasets.publish(sheet, [offer])


@pytest.fixture
def world(space):
    provider = space.connector("reseau-gaz", "private", "opérateur de réseau")
    public = space.connector("region-pdl", "public", "région")
    private = space.connector("bureau-etudes", "private", "ingénierie")
    _publish(provider, "https://data.example.org/reseau/open", "etalab-2.0", "public")
    _publish(provider, "https://data.example.org/reseau/restricted", "restricted", "restricted",
             Restrictions(categories=["public"], purposes=["flood-risk-simulation"]))
    return provider, public, private


def _catalog(consumer, provider) -> dict:
    with httpx.Client(auth=DspAuth(consumer.participant, provider.plane.did), timeout=10) as client:
        answer = client.post(provider.dsp_url + "/catalog/request", json=CATALOG_REQUEST)
    assert answer.status_code == 200, answer.text
    validate_message(answer.json())
    return answer.json()


def _offer(catalog: dict, dataset_id: str) -> dict:
    dataset = next(d for d in catalog.get("dataset", []) if d["@id"] == dataset_id)
    return dataset["hasPolicy"][0]


def test_the_catalogue_shows_each_verified_requester_what_its_credential_admits(world):
    provider, public, private = world
    assert {d["@id"] for d in _catalog(public, provider)["dataset"]} == {
        "https://data.example.org/reseau/open", "https://data.example.org/reseau/restricted"}
    assert {d["@id"] for d in _catalog(private, provider)["dataset"]} == {"https://data.example.org/reseau/open"}
    with httpx.Client(auth=DspAuth(private.participant, provider.plane.did), timeout=10) as client:
        hidden = client.get(provider.dsp_url + "/catalog/datasets/"
                            + "https%3A%2F%2Fdata.example.org%2Freseau%2Frestricted")
    assert hidden.status_code == 404 and hidden.json()["@type"] == "CatalogError"


def test_a_public_body_obtains_the_restricted_dataset_with_a_signed_agreement(world):
    provider, public, _ = world
    dataset = "https://data.example.org/reseau/restricted"
    offer = _offer(_catalog(public, provider), dataset)
    process = public.plane.negotiations.start(provider_address=provider.dsp_url, provider_did=provider.plane.did,
                                              offer=offer, dataset_id=dataset, purpose="flood-risk-simulation")
    public.plane.wake()
    done = wait_negotiation(public, process.id)
    assert done.state == "FINALIZED", done.error_detail
    ours = public.plane.store.get_agreement(done.agreement_id)
    theirs = provider.plane.store.get_agreement(done.agreement_id)
    assert ours is not None and theirs is not None
    assert ours.policy == theirs.policy and ours.signed_jws == theirs.signed_jws
    assert ours.policy["assigner"] == provider.plane.did and ours.policy["assignee"] == public.plane.did
    assert ours.policy["target"] == dataset and ours.policy["timestamp"]
    claims = verify_signature(ours.policy, ours.signed_jws, public.plane.resolver)
    assert claims["iss"] == provider.plane.did
    provider_side = wait_for(lambda: provider.plane.store.list("negotiation")[0],
                             lambda p: p.state == "FINALIZED")
    assert provider_side.counterparty_did == public.plane.did

    tampered = copy.deepcopy(ours.policy)
    tampered["permission"][0]["action"] = "distribute"
    with pytest.raises(AgreementError):
        verify_signature(tampered, ours.signed_jws, public.plane.resolver)
    with pytest.raises(AgreementError):
        check_agreement(tampered, offer, target=dataset, assignee=public.plane.did, assigner=provider.plane.did)

    transfer = public.plane.transfers.start(agreement_id=done.agreement_id)
    public.plane.wake()
    started = wait_for(lambda: public.plane.store.get("transfer", transfer.id), lambda t: t.state != "INITIAL"
                       and t.state != "REQUESTED")
    assert started.state == "STARTED", started.error_detail
    assert started.data_address["endpoint"].startswith(provider.connector_base if hasattr(provider, "connector_base")
                                                      else provider.base_url)


def test_a_refusal_carries_the_policy_engines_explanation(world):
    provider, _, private = world
    dataset = "https://data.example.org/reseau/restricted"
    offer = provider.plane.datasets.message_offer(dataset, f"{dataset}#offer")
    process = private.plane.negotiations.start(provider_address=provider.dsp_url, provider_did=provider.plane.did,
                                               offer=offer, dataset_id=dataset, purpose="flood-risk-simulation")
    private.plane.wake()
    done = wait_negotiation(private, process.id)
    assert done.state == "TERMINATED"
    assert "catégorie du destinataire" in done.error_detail and "recipient category" in done.error_detail
    wait_for(lambda: provider.plane.store.count("negotiation", state="TERMINATED"), lambda n: n == 1)
    assert private.plane.store.get_agreement(done.agreement_id or "none") is None
    refused = wait_for(lambda: provider.plane.audit.query(event="negotiation.terminated", limit=10), bool)
    assert refused[0].decision == "deny" and "recipient category" in refused[0].explanation_en
    assert refused[0].actor == private.plane.did and refused[0].dataset_id == dataset


def test_a_public_body_with_another_purpose_is_refused(world):
    provider, public, _ = world
    dataset = "https://data.example.org/reseau/restricted"
    offer = _offer(_catalog(public, provider), dataset)
    process = public.plane.negotiations.start(provider_address=provider.dsp_url, provider_did=provider.plane.did,
                                              offer=offer, dataset_id=dataset, purpose="urban-planning")
    public.plane.wake()
    done = wait_negotiation(public, process.id)
    assert done.state == "TERMINATED" and "finalité" in done.error_detail


def test_unauthenticated_and_foreign_callers_learn_nothing(world):
    provider, public, private = world
    dataset = "https://data.example.org/reseau/open"
    offer = _offer(_catalog(public, provider), dataset)
    process = public.plane.negotiations.start(provider_address=provider.dsp_url, provider_did=provider.plane.did,
                                              offer=offer, dataset_id=dataset)
    public.plane.wake()
    done = wait_negotiation(public, process.id)
    assert done.state == "FINALIZED", done.error_detail
    ppid = done.provider_pid
    anonymous = httpx.post(provider.dsp_url + "/catalog/request", json=CATALOG_REQUEST)
    assert anonymous.status_code == 401 and anonymous.json()["@type"] == "CatalogError"
    assert httpx.get(f"{provider.dsp_url}/negotiations/{ppid}").status_code == 404
    with httpx.Client(auth=DspAuth(private.participant, provider.plane.did), timeout=10) as client:
        foreign = client.get(f"{provider.dsp_url}/negotiations/{ppid}")
        assert foreign.status_code == 404
        validate_message(foreign.json())
        termination = client.post(f"{provider.dsp_url}/negotiations/{ppid}/termination", json={
            "@context": [CONTEXT_URL], "@type": "ContractNegotiationTerminationMessage", "providerPid": ppid,
            "consumerPid": done.consumer_pid, "code": "x"})
        assert termination.status_code == 404
    with httpx.Client(auth=DspAuth(public.participant, provider.plane.did), timeout=10) as client:
        own = client.get(f"{provider.dsp_url}/negotiations/{ppid}")
    assert own.status_code == 200 and own.json()["state"] == "FINALIZED"
    assert provider.plane.store.get_by_pid("negotiation", "provider", ppid, public.plane.did).state == "FINALIZED"
    assert uuid.UUID(done.id)
