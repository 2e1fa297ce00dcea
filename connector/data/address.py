"""The consumer's `DataAddress` for an HTTP push (DSP 2025-1 §4.1): where the provider sends the data and how it
authenticates there. Read once when the TransferRequestMessage arrives (a bad address is refused then, naming the
property at fault) and again by the push worker.

    {"@type": "DataAddress", "endpointType": "https://w3id.org/idsa/v4.1/HTTP", "endpoint": "https://…",
     "endpointProperties": [{"@type": "EndpointProperty", "name": "authorization", "value": "…"},
                            {"@type": "EndpointProperty", "name": "authType", "value": "bearer"}]}

Endpoint properties understood (a name may also be an IRI: its last segment counts, e.g.
`https://w3id.org/edc/v0.0.1/ns/method`): `method` (`POST`, the default, or `PUT`); `authorization` with `authType`
(`bearer` gives `Authorization: Bearer <value>`; without `authType` the value is the whole header); `authKey` and
`authCode` (a header name and its value, as Eclipse EDC's HTTP data address). Other properties are ignored. The
secrets never appear in errors or logs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

HTTP_ENDPOINT_TYPES = ("https://w3id.org/idsa/v4.1/HTTP", "HttpData", "HTTP")
METHODS = ("POST", "PUT")
MAX_ENDPOINT = 2048
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP header name (RFC 9110 token)
_RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "content-type",
                               "content-encoding", "te", "upgrade", "expect", "keep-alive", "proxy-authorization"})


class AddressError(ValueError):
    """A data address the provider cannot push to: the member at fault and the rule, in French and English."""

    def __init__(self, field_name: str, fr: str, en: str) -> None:
        self.field, self.fr, self.en = field_name, fr, en
        super().__init__(f"{field_name}: {en}")


@dataclass(frozen=True)
class PushTarget:
    url: str
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # authentication: secret

    @property
    def shown(self) -> str:
        """The endpoint without query or fragment (they may carry secrets): for logs, audit and reasons."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _local(name: str) -> str:
    return re.split(r"[/#:]", name)[-1]


def _properties(address: Mapping[str, Any]) -> dict[str, str]:
    raw = address.get("endpointProperties") or []
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list):
        raise AddressError("dataAddress.endpointProperties", "liste de propriétés {name, value} attendue",
                           "list of {name, value} properties expected")
    found: dict[str, str] = {}
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str) or \
                not isinstance(item.get("value"), str):
            raise AddressError(f"dataAddress.endpointProperties[{index}]", "propriété {name, value} (textes) attendue",
                               "{name, value} property (text) expected")
        found[_local(item["name"])] = item["value"]
    return found


def push_target(address: Mapping[str, Any] | None) -> PushTarget:
    """The target a push DataAddress names; AddressError naming the member at fault otherwise."""
    if not isinstance(address, Mapping):
        raise AddressError("dataAddress", "un format PUSH demande l'adresse de livraison du consommateur "
                                          "(dataAddress)", "a PUSH format needs the consumer's delivery address "
                                                           "(dataAddress)")
    endpoint_type = address.get("endpointType")
    if not isinstance(endpoint_type, str) or not (endpoint_type in HTTP_ENDPOINT_TYPES
                                                  or endpoint_type.upper().endswith("HTTP")):
        raise AddressError("dataAddress.endpointType", f"type de point d'accès non pris en charge : {endpoint_type!r} ;"
                                                       f" attendu : {HTTP_ENDPOINT_TYPES[0]}",
                           f"unsupported endpoint type: {endpoint_type!r}; expected: {HTTP_ENDPOINT_TYPES[0]}")
    endpoint = address.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise AddressError("dataAddress.endpoint", "point d'accès (URL http ou https) manquant",
                           "missing endpoint (an http or https URL)")
    if len(endpoint) > MAX_ENDPOINT or any(ch in endpoint for ch in "\r\n\t "):
        raise AddressError("dataAddress.endpoint", f"URL invalide (au plus {MAX_ENDPOINT} caractères, sans espace)",
                           f"invalid URL (at most {MAX_ENDPOINT} characters, no white space)")
    try:
        parts = urlsplit(endpoint)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise AddressError("dataAddress.endpoint", "URL http ou https avec un hôte attendue",
                           "an http or https URL with a host is expected")
    if parts.username is not None or parts.password is not None:
        raise AddressError("dataAddress.endpoint", "pas d'identifiants dans l'URL : utilisez la propriété "
                                                   "« authorization »", "no credentials in the URL: use the "
                                                                        "'authorization' property")
    properties = _properties(address)
    method = properties.get("method", "POST").upper()
    if method not in METHODS:
        raise AddressError("dataAddress.endpointProperties.method", f"méthode {method} non prise en charge : POST "
                                                                    "ou PUT", f"unsupported method {method}: POST "
                                                                              "or PUT")
    headers: dict[str, str] = {}
    token = properties.get("authorization")
    if token is not None:
        auth_type = properties.get("authType")
        if auth_type is None:
            value = token
        elif auth_type.lower() == "bearer":
            value = f"Bearer {token}"
        elif _TOKEN.match(auth_type):
            value = f"{auth_type} {token}"
        else:
            raise AddressError("dataAddress.endpointProperties.authType", "type d'authentification invalide",
                               "invalid authentication type")
        headers["Authorization"] = _header_value(value, "authorization")
    key, code = properties.get("authKey"), properties.get("authCode")
    if (key is None) != (code is None):
        raise AddressError("dataAddress.endpointProperties.authKey", "authKey (nom d'en-tête) et authCode (sa "
                                                                     "valeur) vont ensemble", "authKey (a header "
                                                                                              "name) and authCode "
                                                                                              "(its value) go "
                                                                                              "together")
    if key is not None and code is not None:
        if not _TOKEN.match(key) or key.lower() in _RESERVED_HEADERS:
            raise AddressError("dataAddress.endpointProperties.authKey", f"nom d'en-tête refusé : {key!r}",
                               f"header name refused: {key!r}")
        headers[key] = _header_value(code, "authCode")
    return PushTarget(endpoint, method, headers)


def _header_value(value: str, name: str) -> str:
    if not value or any(ch in value for ch in "\r\n\x00"):
        raise AddressError(f"dataAddress.endpointProperties.{name}", "valeur vide ou sur plusieurs lignes",
                           "empty or multi-line value")
    return value
