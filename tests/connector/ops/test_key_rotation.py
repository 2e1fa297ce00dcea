"""Key rotation on a running connector: agreements signed before a rotation stay verifiable by anyone resolving
the provider's DID document (both keys are published), agreements signed after it carry the new key id, and only
retiring the old key makes the old signatures unverifiable — which is what retiring means."""

from __future__ import annotations

import jwt
import pytest

from connector.control.agreements import AgreementError, verify_signature
from connector.identity.did import DidResolver

from ..control.space import Space, wait_negotiation
from ..data.loopback import Party, publish


def _negotiate(provider: Party, consumer: Party, dataset_id: str):
    catalog = consumer.client.fetch_catalog(provider.connector.dsp_url, provider.did)
    offer = next(d for d in catalog["dataset"] if d["@id"] == dataset_id)["hasPolicy"][0]
    started = consumer.client.start_negotiation(provider.connector.dsp_url, provider.did, dataset_id, offer,
                                                purpose="flood-risk-simulation")
    done = wait_negotiation(consumer.connector, started["id"], timeout=20)
    assert done.state == "FINALIZED", done.error_detail
    return consumer.connector.plane.store.get_agreement(done.agreement_id)


def test_agreements_signed_before_a_rotation_stay_verifiable_until_the_key_is_retired(tmp_path):
    space = Space(tmp_path)
    resolver = DidResolver(dev_mode=True, ttl_seconds=0)  # a fresh look at the DID document each time
    try:
        provider = Party(space.connector("ddtm44", "public"))
        consumer = Party(space.connector("region-pdl", "public"))
        (provider.connector.plane.sources_dir / "repères.csv").write_text("repère;cote\nR1;4.12\n", encoding="utf-8")
        dataset_id = publish(provider, {"type": "file", "path": "repères.csv"})
        keys = provider.connector.participant.keys
        old_kid = keys.active_kid

        before = _negotiate(provider, consumer, dataset_id)
        assert jwt.get_unverified_header(before.signed_jws)["kid"] == old_kid

        new_kid = keys.rotate()  # on the running connector: it signs with the new key from now on
        assert new_kid != old_kid
        after = _negotiate(provider, consumer, dataset_id)  # the consumer verified it against the DID document
        assert jwt.get_unverified_header(after.signed_jws)["kid"] == new_kid

        published = set(resolver.resolve(provider.did).keys)
        assert {old_kid, new_kid} <= published
        assert verify_signature(before.policy, before.signed_jws, resolver)["sub"] == before.id
        assert verify_signature(after.policy, after.signed_jws, resolver)["sub"] == after.id

        keys.retire(old_kid)
        assert old_kid not in set(resolver.resolve(provider.did).keys)
        with pytest.raises(AgreementError) as refused:
            verify_signature(before.policy, before.signed_jws, resolver)
        assert "introuvable" in refused.value.fr
        assert verify_signature(after.policy, after.signed_jws, resolver)["sub"] == after.id
    finally:
        resolver.close()
        space.close()


def test_jnt_keys_rotate_on_the_data_directory_of_a_running_connector_takes_effect_without_restart(tmp_path):
    import time

    import httpx
    from typer.testing import CliRunner

    from connector.cli import app

    from ..control.space import PASSPHRASE

    space = Space(tmp_path)
    try:
        provider = Party(space.connector("ddtm44", "public"))
        consumer = Party(space.connector("region-pdl", "public"))
        (provider.connector.plane.sources_dir / "a.csv").write_text("a\n1\n", encoding="utf-8")
        dataset_id = publish(provider, {"type": "file", "path": "a.csv"})
        old_kid = provider.connector.participant.keys.active_kid
        rotated = CliRunner().invoke(app, ["keys", "rotate", "--data-dir", str(space.settings("ddtm44").data_dir)],
                                     env={"JNT_KEY_PASSPHRASE": PASSPHRASE})
        assert rotated.exit_code == 0, rotated.output
        new_kid = rotated.output.strip().splitlines()[-1]
        assert new_kid.startswith(provider.did + "#key-") and new_kid != old_kid
        time.sleep(1.1)  # the running connector looks at its key manifest at most once a second
        document = httpx.get(provider.connector.base_url + "/.well-known/did.json").json()
        assert {m["id"] for m in document["verificationMethod"]} >= {old_kid, new_kid}
        after = _negotiate(provider, consumer, dataset_id)
        assert jwt.get_unverified_header(after.signed_jws)["kid"] == new_kid
    finally:
        space.close()
