"""TCK modes: the conformance kit cannot sign DCP tokens, so authentication can be switched off or reduced to one
static Authorization value (sent literally by the kit, with or without `Bearer `)."""

from __future__ import annotations

import pytest

from connector.identity import TCK_CLAIMS, Authenticator, IdentityError


def test_mode_off_accepts_anything_with_anonymous_claims(space, refused):
    node = space.node("tck-off", enrol=False, auth_mode="off")
    for response in (node.call(None), node.call("whatever")):
        assert response.status_code == 200
        assert response.json()["did"] == TCK_CLAIMS.did and response.json()["authenticated"] is False
    assert node.call(None, "/dsp/negotiations/x").status_code == 200


def test_static_token_mode(space, refused):
    literal = '{"region": "any", "audience": "any", "clientId":"any"}'  # the TCK sample's header value
    node = space.node("tck-static", enrol=False, auth_mode="static-token", tck_token=literal)
    assert node.call(None, raw=literal).status_code == 200
    assert node.call(literal).status_code == 200  # with the Bearer prefix
    assert node.call(None, raw=literal).json()["authenticated"] is False
    refused(node.call("something-else"), "static-token")
    refused(node.call(None), "missing-token")
    assert node.call("something-else", "/dsp/negotiations/x").status_code == 404


def test_static_token_mode_needs_a_token():
    with pytest.raises(IdentityError) as info:
        Authenticator("static-token", None, None)
    assert info.value.check == "config" and "JNT_TCK_TOKEN" in info.value.fr
