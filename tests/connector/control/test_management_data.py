"""The management API's data-plane parts on a real connector on loopback: publication checks the declared data
source in full and refuses a bad one naming `data_source.<member>`, writing nothing (also when replacing); the audit
log is read through the API — filters, paging newest first, `next` links — and verified, a checkpoint that does not
match being reported as a broken chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from .test_management import TOKEN, Member, new_id, refusal, sheet

OPEN = {"licence": "etalab-2.0", "access": "public"}


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    member = Member.unauthenticated(tmp_path_factory.mktemp("management-data"), "provider")
    sources = member.connector.plane.sources_dir
    (sources / "ppri.gpkg").write_bytes(b"GPKG")
    (sources / "mesures").mkdir()
    (tmp_path_factory.getbasetemp() / "outside.bin").write_bytes(b"secret")
    yield member
    member.stop()


BAD_SOURCES = [
    ({}, "data_source.type"),
    ({"type": "ftp", "path": "ppri.gpkg"}, "data_source.type"),
    ({"type": "file"}, "data_source.path"),
    ({"type": "file", "path": "absent.gpkg"}, "data_source.path"),
    ({"type": "file", "path": "../outside.bin"}, "data_source.path"),
    ({"type": "file", "path": "/etc/passwd"}, "data_source.path"),
    ({"type": "file", "path": "mesures"}, "data_source.path"),
    ({"type": "file", "pth": "ppri.gpkg"}, "data_source.pth"),
    ({"type": "file", "path": "ppri.gpkg", "media_type": "not a type"}, "data_source.media_type"),
    ({"type": "folder", "path": "ppri.gpkg"}, "data_source.path"),
    ({"type": "http", "url": "file:///etc/passwd"}, "data_source.url"),
    ({"type": "postgresql", "url": "postgresql://db.example/geo", "query": "DELETE FROM zones"},
     "data_source.query"),
]


@pytest.mark.parametrize(("source", "field"), BAD_SOURCES, ids=[f for _, f in BAD_SOURCES])
def test_a_bad_data_source_is_refused_naming_the_member_and_nothing_is_written(provider, source, field):
    dataset_id = new_id("source")
    answer = httpx.post(provider.url + "/datasets", headers={"X-Api-Key": TOKEN}, timeout=10,
                        json={"sheet": sheet(dataset_id), "template": OPEN, "data_source": source})
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert problem["field"] == field, problem
    assert problem["error"] == "invalid-data-source"
    assert problem["fr"].startswith(f"{field} : ") and problem["en"].startswith(f"{field}: ")
    assert problem["fr"] != problem["en"]
    assert refusal(lambda: provider.client.get_dataset(dataset_id)).status == 404


def test_good_data_sources_are_accepted_and_a_bad_replacement_changes_nothing(provider):
    dataset_id = new_id("source")
    published = provider.client.publish_dataset(sheet=sheet(dataset_id), template=OPEN,
                                                data_source={"type": "file", "path": "ppri.gpkg"})
    assert published["data_source"] == {"type": "file", "path": "ppri.gpkg"}
    for source in ({"type": "folder", "path": "mesures"},
                   {"type": "http", "url": "https://data.example.org/wfs?service=WFS", "forward_params": ["bbox"]}):
        assert provider.client.publish_dataset(sheet=sheet(dataset_id), template=OPEN, data_source=source,
                                               replace=True)["data_source"] == source
    refused = refusal(lambda: provider.client.publish_dataset(
        sheet=sheet(dataset_id, "Nouveau titre"), template=OPEN, replace=True,
        data_source={"type": "file", "path": "../outside.bin"}))
    assert refused.status == 400 and refused.field == "data_source.path"
    kept = provider.client.get_dataset(dataset_id)
    assert kept["title"] == "Zonage réglementaire PPRI" and kept["data_source"]["type"] == "http"
    # Without a data source there is nothing to check.
    assert provider.client.publish_dataset(sheet=sheet(new_id("nosource")), template=OPEN)["data_source"] is None


@pytest.fixture(scope="module")
def records(provider):
    """Eleven records appended to the provider's audit log: two agreements, three events."""
    audit = provider.connector.audit
    tag = new_id("audit").rsplit("/", 1)[-1]
    agreements = [f"urn:agreement:{tag}:a", f"urn:agreement:{tag}:b"]
    start = datetime.now(UTC)
    written = []
    for i in range(11):
        event = ("data.access", "data.refused", "duty.deleted")[i % 3]
        written.append(audit.append(event, actor="did:web:consumer.example", agreement_id=agreements[i % 2],
                                    transfer_id=f"transfer-{tag}", dataset_id=f"https://data.example.org/{tag}",
                                    decision={"data.access": "permit", "data.refused": "deny"}.get(event),
                                    explanation=(f"enregistrement {i}", f"record {i}"), details={"i": i}))
    return tag, agreements, start, written


def test_the_audit_log_is_filtered_and_paged_newest_first(provider, records):
    tag, agreements, start, written = records
    client = provider.client
    everything = client.list_audit(transfer=f"transfer-{tag}", limit=500)
    assert everything["total"] == 11 and [r["details"]["i"] for r in everything["items"]] == list(range(10, -1, -1))
    first = everything["items"][0]
    assert first["seq"] == written[-1].seq and first["event"] == "data.refused" and first["hash"]
    assert first["agreementId"] == agreements[0] and first["explanation"] == {"fr": "enregistrement 10",
                                                                              "en": "record 10"}
    only_a = client.list_audit(agreement=agreements[1], limit=500)
    assert only_a["total"] == 5 and {r["agreementId"] for r in only_a["items"]} == {agreements[1]}
    refused = client.list_audit(transfer=f"transfer-{tag}", event="data.refused")
    assert [r["details"]["i"] for r in refused["items"]] == [10, 7, 4, 1]
    assert {r["decision"] for r in refused["items"]} == {"deny"}
    area = client.list_audit(dataset=f"https://data.example.org/{tag}", event="data.")
    assert area["total"] == 8 and {r["event"] for r in area["items"]} == {"data.access", "data.refused"}

    page = client.list_audit(transfer=f"transfer-{tag}", limit=4, offset=4)
    assert [r["details"]["i"] for r in page["items"]] == [6, 5, 4, 3]
    assert page["total"] == 11 and "offset=8" in page["next"] and "limit=4" in page["next"]
    last = client.list_audit(transfer=f"transfer-{tag}", limit=4, offset=8)
    assert len(last["items"]) == 3 and last["next"] is None

    after = written[5].at
    since = client.list_audit(transfer=f"transfer-{tag}", since=after, limit=500)
    assert [r["details"]["i"] for r in since["items"]] == [10, 9, 8, 7, 6, 5]
    until = client.list_audit(transfer=f"transfer-{tag}", until=after, limit=500)
    assert [r["details"]["i"] for r in until["items"]] == [4, 3, 2, 1, 0]
    naive = after.astimezone(UTC).replace(tzinfo=None).isoformat()  # no zone: read as UTC
    assert client.list_audit(transfer=f"transfer-{tag}", since=naive, limit=500)["total"] == 6
    assert client.list_audit(transfer=f"transfer-{tag}", since=start - timedelta(days=1),
                             until=start - timedelta(hours=1))["total"] == 0


def test_bad_audit_queries_name_the_field(provider):
    for params, field in (({"limit": 0}, "limit"), ({"offset": -1}, "offset"), ({"since": "yesterday"}, "since")):
        answer = httpx.get(provider.url + "/audit", params=params, headers={"X-Api-Key": TOKEN}, timeout=10)
        assert answer.status_code == 422 and answer.json()["field"] == field, answer.text
    assert httpx.get(provider.url + "/audit", timeout=10).status_code == 401


def test_the_audit_log_verifies_and_a_wrong_checkpoint_is_reported(provider, records):
    report = provider.client.verify_audit()
    assert report["ok"] is True and report["firstBrokenSeq"] is None
    assert report["count"] == report["headSeq"] >= len(records[3])
    assert report["reason"]["fr"].startswith("chaîne intègre") and report["reason"]["en"].startswith("chain intact")
    record = records[3][4]
    good = provider.client.verify_audit(checkpoint=f"{record.seq}:{record.hash}")
    assert good["ok"] is True
    forged = provider.client.verify_audit(checkpoint=f"{record.seq}:{'0' * 64}")
    assert forged["ok"] is False and forged["firstBrokenSeq"] == record.seq
    assert "checkpoint" in forged["reason"]["en"] and forged["reason"]["fr"]
    bad = refusal(lambda: provider.client.verify_audit(checkpoint="twelve"))
    assert bad.status == 400 and bad.field == "checkpoint"


def test_the_openapi_document_lists_the_data_routes_in_french(provider):
    paths = httpx.get(provider.base_url + "/openapi.json", timeout=10).json()["paths"]
    expected = {
        ("post", "/management/transfers/{transfer_id}/fetch"): "Recevoir les données d'un transfert",
        ("get", "/management/transfers/{transfer_id}/edr"): "Lire le jeton d'accès aux données d'un transfert",
        ("get", "/management/received"): "Lister les données reçues",
        ("get", "/management/audit"): "Lire le journal d'audit",
        ("get", "/management/audit/verify"): "Vérifier le journal d'audit",
    }
    for (method, path), summary in expected.items():
        assert paths[path][method]["summary"] == summary
