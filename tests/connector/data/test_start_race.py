"""The moment between a provider's message and its own commit: the consumer commits STARTED (or FINALIZED) as
soon as it has the provider's message, the provider only when the acknowledgement comes back. A fast consumer —
the demo's, pulling as soon as its transfer starts — falls in that moment; it must be served, not refused (and its
token must not be revoked). A transfer whose start the provider has not decided stays refused."""

from __future__ import annotations

import httpx

from ..control.space import Space, wait_for
from .loopback import Party, agree, publish


def _provider_transfer(provider: Party, consumer_transfer: dict):
    store = provider.connector.plane.store
    return next(t for t in store.list("transfer", role="provider", limit=500)
                if t.provider_pid == consumer_transfer["provider_pid"])


def test_a_consumer_is_served_while_the_provider_commits_its_start_and_refused_before_the_decision(tmp_path):
    space = Space(tmp_path)
    try:
        provider = Party(space.connector("ddtm44", "public"))
        consumer = Party(space.connector("region-pdl", "public"))
        (provider.connector.plane.sources_dir / "repères.csv").write_text("repère;cote\nR1;4.1\n", encoding="utf-8")
        dataset_id = publish(provider, {"type": "file", "path": "repères.csv"})
        agreement_id = agree(provider, consumer, dataset_id, territory=None)
        started = consumer.client.start_transfer(agreement_id, format="HttpData-PULL")
        assert consumer.client.wait_transfer(started["id"])["state"] == "STARTED"
        edr = consumer.client.get_edr(started["id"])
        store = provider.connector.plane.store

        # The provider back in the moment before its commit: REQUESTED, its start message decided (STARTING).
        view = consumer.client.get_transfer(started["id"])
        mine = wait_for(lambda: _provider_transfer(provider, view),
                        lambda t: t.state == "STARTED" and t.intent is None)  # its own commit done
        store.update("transfer", mine.id, mine.version, state="REQUESTED", intent="STARTING",
                     next_attempt_at=None)
        served = httpx.get(edr["endpoint"], headers={"Authorization": f"Bearer {edr['authorization']}"}, timeout=10)
        assert served.status_code == 200, served.text
        assert served.text == "repère;cote\nR1;4.1\n"

        # Before the decision (REQUESTED, nothing decided): refused, and the token revoked.
        mine = store.get("transfer", mine.id)
        store.update("transfer", mine.id, mine.version, state="REQUESTED", intent=None)
        refused = httpx.get(edr["endpoint"], headers={"Authorization": f"Bearer {edr['authorization']}"}, timeout=10)
        assert refused.status_code == 403 and "transfer-not-started" in refused.text
    finally:
        space.close()


def test_a_transfer_request_is_accepted_while_the_provider_commits_the_finalization(tmp_path):
    space = Space(tmp_path)
    try:
        provider = Party(space.connector("ddtm44", "public"))
        consumer = Party(space.connector("region-pdl", "public"))
        (provider.connector.plane.sources_dir / "a.csv").write_text("a\n1\n", encoding="utf-8")
        dataset_id = publish(provider, {"type": "file", "path": "a.csv"})
        agreement_id = agree(provider, consumer, dataset_id, territory=None)
        store = provider.connector.plane.store
        # The provider commits FINALIZED on the acknowledgement, a moment after the consumer: wait for it.
        negotiation = wait_for(lambda: store.get("negotiation", store.get_agreement(agreement_id).negotiation_id),
                               lambda n: n.state == "FINALIZED" and n.intent is None)
        store.update("negotiation", negotiation.id, negotiation.version, state="VERIFIED", intent="FINALIZING",
                     next_attempt_at=None)  # the moment before the provider commits FINALIZED
        started = consumer.client.start_transfer(agreement_id, format="HttpData-PULL")
        assert consumer.client.wait_transfer(started["id"])["state"] == "STARTED"

        negotiation = store.get("negotiation", negotiation.id)
        store.update("negotiation", negotiation.id, negotiation.version, state="VERIFIED", intent=None)
        refused = consumer.client.start_transfer(agreement_id, format="HttpData-PULL")
        ended = consumer.client.wait_transfer(refused["id"])
        assert ended["state"] == "TERMINATED" and "agreement-not-finalized" in (ended.get("error_detail") or "")
    finally:
        space.close()
