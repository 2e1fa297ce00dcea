"""The official kit's MET and CAT scenarios (``TCK.md`` §9.3): the version metadata at the root and the catalogue
of our connector in TCK mode (seeded with ``CAT0101`` and ``CAT0102``; ``CAT0103`` must not exist). One test per
scenario, with the kit's pass conditions; every answer is schema-checked. Then the catalogue beyond the kit:
paging with RFC 8288 ``Link`` headers over many datasets, the unsupported ``filter``, unknown datasets."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from catalog.dsp_catalog import DEFAULT_PER_PAGE, parse_link_header
from connector.control.dsp_api import dataset_path
from connector.control.tck import USE_OFFER_RULES, _sheet
from connector.dsp.schemas import validate_message

from .dsp_forms import DCAT, expand
from .tck_harness import CTX, Cut

EXTRA_DATASETS = 150  # added to the 18 datasets of TCK mode: two pages at the default page size


def catalog_request(**fields) -> dict:
    """The kit's CatalogRequestMessage: ``{"@context":[..],"@id":..,"@type":"CatalogRequestMessage"}``."""
    return {"@context": CTX, "@id": str(uuid.uuid4()), "@type": "CatalogRequestMessage", **fields}


def catalog_ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    validate_message(body, "Catalog")
    return body


def catalog_error(response: httpx.Response, status: int) -> dict:
    """A refusal: the expected status and a schema-valid CatalogError with a code and reasons."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    validate_message(body, "CatalogError")
    assert body["@type"] == "CatalogError", body
    assert isinstance(body.get("code"), str) and body["code"], body
    assert body.get("reason") and all(isinstance(r, str) and r for r in body["reason"]), body
    return body


def dataset_ids(catalog: dict) -> list[str]:
    return [dataset["@id"] for dataset in catalog.get("dataset", [])]


# -- MET ---------------------------------------------------------------------------------------------------------
def test_MET_01_01(cut):
    """``GET <root>/.well-known/dspace-version``: an item with ``version=="2025-1"`` and non-null ``path`` and
    ``binding``. Unauthenticated, plain JSON, and ``<root> + path`` is the DSP base the kit is given."""
    response = httpx.get(cut.connector.base_url + "/.well-known/dspace-version", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    validate_message(body, "VersionResponse")
    assert "@context" not in body and "@type" not in body, body
    [version] = [item for item in body["protocolVersions"] if item.get("version") == "2025-1"]
    assert version["path"] is not None and version["binding"] == "HTTPS", version
    assert cut.connector.base_url + version["path"] == cut.base


# -- CAT ---------------------------------------------------------------------------------------------------------
def test_CAT_01_01(cut):
    """POST ``catalog/request``: a schema-valid Catalog whose expanded ``dcat:dataset`` holds ``CAT0101``."""
    body = catalog_ok(cut.post("/catalog/request", catalog_request()))
    [node] = expand(body)
    datasets = node[DCAT + "dataset"]
    assert "CAT0101" in [dataset["@id"] for dataset in datasets], datasets
    assert "CAT0103" not in dataset_ids(body)


def test_CAT_01_02(cut):
    response = cut.get("/catalog/datasets/CAT0102")
    assert response.status_code == 200, response.text
    body = response.json()
    validate_message(body, "Dataset")
    assert body["@id"] == "CAT0102", body
    assert body["@context"] == CTX
    assert body["hasPolicy"] and body["distribution"], body


def test_CAT_01_03(cut):
    """The dataset must not exist: non-2xx (404) and a CatalogError body."""
    catalog_error(cut.get("/catalog/datasets/CAT0103"), 404)


# -- the catalogue beyond the kit --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big_cut(tmp_path_factory):
    """A CUT publishing TCK mode's datasets and EXTRA_DATASETS more."""
    connector = Cut(tmp_path_factory.mktemp("big"))
    for i in range(EXTRA_DATASETS):
        connector.plane.datasets.publish(
            _sheet(f"urn:jnt:test:paging:{i:03d}", f"Paging {i}"),
            [{"@id": f"urn:jnt:test:paging-offer:{i:03d}", "@type": "Offer", **USE_OFFER_RULES}],
            formats=("HttpData-PULL",))
    yield connector
    connector.stop()


def walk(connector: Cut, url: str, rel: str, request: dict) -> list[tuple[str, dict, dict[str, str]]]:
    """Follow ``rel`` links from ``url``, POSTing the same CatalogRequestMessage to each; (url, catalog, links)."""
    pages = []
    while url is not None:
        assert len(pages) < 50, "the links never end"
        response = connector.http.post(url, json=request)
        body = catalog_ok(response)
        links = parse_link_header(response.headers.get_list("link"))
        pages.append((url, body, links))
        url = links.get(rel)
    return pages


def test_a_large_catalogue_is_paged_with_link_headers(big_cut):
    total = len(big_cut.plane.datasets.visible_ids(None))
    assert total > DEFAULT_PER_PAGE
    request = catalog_request()
    pages = walk(big_cut, big_cut.base + "/catalog/request", "next", request)
    assert len(pages) == -(-total // DEFAULT_PER_PAGE)
    ids = [i for _, body, _ in pages for i in dataset_ids(body)]
    assert len(ids) == len(set(ids)) == total  # every dataset once
    assert set(ids) == set(big_cut.plane.datasets.visible_ids(None))
    first_links, last_links = pages[0][2], pages[-1][2]
    assert "previous" not in first_links and "next" in first_links
    assert "next" not in last_links and "previous" in last_links  # the last page has no next
    for _, body, links in pages:
        assert len(dataset_ids(body)) <= DEFAULT_PER_PAGE
        assert links["first"] == first_links["first"] and links["last"] == first_links["last"]
        assert body["participantId"] == big_cut.plane.did


def test_previous_links_lead_back_over_the_same_pages(big_cut):
    total, per_page = len(big_cut.plane.datasets.visible_ids(None)), 40
    request = catalog_request()
    forward = walk(big_cut, f"{big_cut.base}/catalog/request?per_page={per_page}", "next", request)
    sizes = [len(dataset_ids(body)) for _, body, _ in forward]
    assert len(forward) >= 4 and sum(sizes) == total
    assert sizes[:-1] == [per_page] * (len(forward) - 1) and 0 < sizes[-1] <= per_page
    backward = walk(big_cut, forward[-1][0], "previous", request)
    assert [dataset_ids(body) for _, body, _ in backward] == [dataset_ids(body) for _, body, _ in forward[::-1]]
    for url, _, links in forward:
        assert parse_qs(urlsplit(links["next" if "next" in links else "last"]).query)["per_page"] == ["40"], url
    # the header itself: RFC 8288 syntax, rel="next" / rel="previous"
    middle = big_cut.http.post(forward[2][0], json=request)
    header = middle.headers["link"]
    assert f'<{forward[3][0]}>; rel="next"' in header and f'<{forward[1][0]}>; rel="previous"' in header, header


@pytest.mark.parametrize("query, parameter", [
    ("page=99", "page"), ("page=0", "page"), ("page=two", "page"), ("per_page=0", "per_page"),
    ("per_page=100000", "per_page"), ("page=1&page=2", "page"),
])
def test_bad_paging_parameters_are_refused_with_a_catalog_error(big_cut, query, parameter):
    body = catalog_error(big_cut.http.post(f"{big_cut.base}/catalog/request?{query}", json=catalog_request()), 400)
    assert any(reason.startswith(parameter) for reason in body["reason"]), body


@pytest.mark.parametrize("filter_", [
    [{"@type": "dct:title", "value": "Paging 1"}], ["CAT0101"], [{"keyword": "TCK"}],
], ids=["typed", "string", "keyword"])
def test_an_unsupported_filter_answers_400_with_a_catalog_error(cut, filter_):
    body = catalog_error(cut.post("/catalog/request", catalog_request(filter=filter_)), 400)
    assert body["code"] == "unsupported-filter", body
    assert any("filter" in reason for reason in body["reason"]), body


def test_an_empty_filter_is_no_filter(cut):
    assert "CAT0101" in dataset_ids(catalog_ok(cut.post("/catalog/request", catalog_request(filter=[]))))


@pytest.mark.parametrize("dataset_id", ["CAT0103", "urn:uuid:" + "0" * 8, "ACN0101x", "a/b/c", "CAT0101%2F",
                                        "é", "%00"])
def test_an_unknown_dataset_answers_404_with_a_catalog_error(cut, dataset_id):
    body = catalog_error(cut.get(dataset_path(dataset_id)), 404)
    assert body["code"] == "not-found", body


def test_a_dataset_whose_id_holds_slashes_is_found(cut):
    dataset_id = "https://data.example.org/datasets/zonage/2024"
    cut.plane.datasets.publish(_sheet(dataset_id, "Zonage"),
                               [{"@id": "urn:jnt:test:offer:zonage", "@type": "Offer", **USE_OFFER_RULES}],
                               formats=("HttpData-PULL",))
    response = cut.get(dataset_path(dataset_id))
    assert response.status_code == 200, response.text
    body = response.json()
    validate_message(body, "Dataset")
    assert body["@id"] == dataset_id
    assert dataset_id in dataset_ids(catalog_ok(cut.post("/catalog/request", catalog_request())))
