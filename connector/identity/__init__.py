"""Identity and trust in the JNT data space: participant keys, did:web DIDs and documents, the trust authority and
its membership credentials (W3C VC 2.0 as JWT, revocable through a Bitstring Status List), and the self-issued
ID token that authenticates every DSP request (Decentralized Claims Protocol style). See docs/identity.md.

Other code uses only this surface: a `Participant` (`auth_for(did)` gives the `httpx.Auth` for outgoing calls)
and an `Authenticator` (`dependency()` gives the FastAPI dependency yielding `VerifiedClaims`)."""

from .auth import TCK_CLAIMS, Authenticator, DspAuth, build_verifier
from .authority import Authority, EnrolRequest, create_authority_app, open_authority
from .credentials import CredentialVerifier, Membership, MembershipCredential, issue_membership_credential
from .did import DidDocument, DidResolver, did_base_url, did_document, did_from_url, did_to_url, parse_did_web
from .errors import IdentityError
from .keys import KeyStore, load_passphrase
from .participant import Participant, create_participant_app
from .replay import ReplayStore
from .status_list import StatusEntry, StatusList, StatusListCache
from .tokens import MAX_LIFETIME, TokenVerifier, VerifiedClaims, create_id_token

__all__ = [
    "TCK_CLAIMS", "Authenticator", "DspAuth", "build_verifier",
    "Authority", "EnrolRequest", "create_authority_app", "open_authority",
    "CredentialVerifier", "Membership", "MembershipCredential", "issue_membership_credential",
    "DidDocument", "DidResolver", "did_base_url", "did_document", "did_from_url", "did_to_url", "parse_did_web",
    "IdentityError", "KeyStore", "load_passphrase", "Participant", "create_participant_app", "ReplayStore",
    "StatusEntry", "StatusList", "StatusListCache", "MAX_LIFETIME", "TokenVerifier", "VerifiedClaims",
    "create_id_token",
]
