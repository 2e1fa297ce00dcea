"""Bitstring Status List: bit order, size, encoding compatible with the W3C specification's example."""

from __future__ import annotations

import base64
import gzip

import pytest

from connector.identity import StatusEntry, StatusList

# From W3C Bitstring Status List v1.0, example "BitstringStatusListCredential": an empty list of 131,072 bits.
SPEC_EMPTY_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def test_decodes_the_specification_example():
    bits = StatusList.decode(SPEC_EMPTY_LIST)
    assert bits.size == 131_072
    assert not any(bits[i] for i in range(0, bits.size, 997))


def test_index_zero_is_the_leftmost_bit_and_encoding_round_trips():
    bits = StatusList()
    bits[0] = True
    bits[131_071] = True
    bits[9] = True
    encoded = bits.encode()
    assert encoded.startswith("u") and "=" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) == 16_384 and raw[0] == 0b1000_0000 and raw[1] == 0b0100_0000 and raw[-1] == 0b0000_0001
    decoded = StatusList.decode(encoded)
    assert [i for i in range(decoded.size) if decoded[i]] == [0, 9, 131_071]
    decoded[9] = False
    assert not decoded[9] and decoded[0]


def test_lists_are_large_enough_for_herd_privacy():
    with pytest.raises(ValueError):
        StatusList(1024)
    with pytest.raises(IndexError):
        StatusList()[131_072]


def test_status_entry_json_round_trip():
    entry = StatusEntry("https://authority.example/status/1", 94567)
    as_json = entry.as_json()
    assert as_json["type"] == "BitstringStatusListEntry" and as_json["statusListIndex"] == "94567"
    assert as_json["statusPurpose"] == "revocation"
    assert StatusEntry.from_json(as_json) == entry
