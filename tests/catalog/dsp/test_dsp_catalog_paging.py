"""Paging large DSP catalogues: query parameter checks with errors naming the parameter and the rule, page
arithmetic, RFC 8288 Link headers on the first, a middle and the last page, rendering only the requested page, and
a crawler walking a catalogue page by page with `next` links."""

from __future__ import annotations

import pytest
from starlette.datastructures import QueryParams

from catalog.dsp_catalog import (
    MAX_PER_PAGE,
    CatalogEntry,
    Page,
    PageRequest,
    PagingError,
    link_header,
    page_links,
    page_of,
    paging_params,
    parse_catalog,
    parse_link_header,
    render_catalog_page,
)

URL = "https://connecteur.geopal.example.fr/api/dsp/2025-1/catalog/request"


def _entries(loire, count: int) -> list[CatalogEntry]:
    base = loire.rge_alti_sheet()
    out = []
    for i in range(count):
        sheet = base.model_copy(update={"id": f"{base.id}/tile-{i:03d}"})
        out.append(CatalogEntry(sheet, [loire.open_offer(f"urn:jnt:offer:tile-{i:03d}")]))
    return out


# --- parameters ---------------------------------------------------------------------------------------------------


def test_defaults_and_valid_values():
    assert paging_params({}) == PageRequest(page=1, per_page=100)
    assert paging_params({"page": "3", "per_page": "50", "filter": "x"}) == PageRequest(3, 50)
    assert paging_params(QueryParams("page=2&per_page=500")) == PageRequest(2, MAX_PER_PAGE)
    assert paging_params({}, default_per_page=20, max_per_page=20) == PageRequest(1, 20)


@pytest.mark.parametrize("query, parameter, rule, words", [
    ({"per_page": "1000"}, "per_page", "maximum", "at most 500"),
    ({"per_page": "0"}, "per_page", "minimum", "at least 1"),
    ({"page": "0"}, "page", "minimum", "at least 1"),
    ({"page": "-1"}, "page", "integer", "not a positive integer"),
    ({"page": "deux"}, "page", "integer", "'deux'"),
    ({"per_page": "1.5"}, "per_page", "integer", "example: per_page=2"),
    ({"page": "١"}, "page", "integer", "not a positive integer"),  # a non-ASCII digit
    ({"page": ["1", "2"]}, "page", "repeated", "given 2 times"),
    (QueryParams("per_page=10&per_page=20"), "per_page", "repeated", "given 2 times"),
])
def test_bad_parameters_are_named_with_their_rule(query, parameter, rule, words, dsp_validator):
    with pytest.raises(PagingError) as caught:
        paging_params(query)
    error = caught.value
    assert (error.parameter, error.rule) == (parameter, rule)
    assert str(error).startswith(f"{parameter}: ") and words in str(error)
    assert error.message("fr").startswith(f"{parameter} : ")
    body = error.to_catalog_error()
    dsp_validator(body, "catalog/catalog-error-schema.json")
    assert body["code"] == "400" and body["reason"] == [error.message("fr")]


def test_the_maximum_is_configurable():
    with pytest.raises(PagingError, match="at most 50"):
        paging_params({"per_page": "51"}, max_per_page=50)
    assert paging_params({}, max_per_page=50) == PageRequest(1, 50)
    with pytest.raises(ValueError, match="default_per_page"):
        paging_params({}, default_per_page=600)


# --- pages and links ----------------------------------------------------------------------------------------------


def test_page_arithmetic():
    page = page_of(PageRequest(3, 100), 250)
    assert (page.last, page.start, page.stop, page.has_previous, page.has_next) == (3, 200, 250, True, False)
    assert page_of(PageRequest(1, 100), 0) == Page(1, 100, 0)  # an empty catalogue has one empty page
    assert Page(1, 100, 0).last == 1 and Page(1, 100, 200).last == 2 and Page(1, 100, 201).last == 3


def test_a_page_beyond_the_last_is_an_error_naming_the_last_page():
    with pytest.raises(PagingError) as caught:
        page_of(PageRequest(4, 100), 250)
    assert (caught.value.parameter, caught.value.rule) == ("page", "beyond-last-page")
    assert "only 3 page(s) of 100 (250 datasets)" in str(caught.value)


def test_link_header_of_the_first_page():
    assert link_header(URL, page_of(PageRequest(1, 100), 250)) == (
        f'<{URL}?page=1&per_page=100>; rel="first", '
        f'<{URL}?page=2&per_page=100>; rel="next", '
        f'<{URL}?page=3&per_page=100>; rel="last"')


def test_link_header_of_a_middle_page():
    links = page_links(URL, page_of(PageRequest(2, 100), 250))
    assert links == {"first": f"{URL}?page=1&per_page=100", "previous": f"{URL}?page=1&per_page=100",
                     "next": f"{URL}?page=3&per_page=100", "last": f"{URL}?page=3&per_page=100"}


def test_link_header_of_the_last_page_has_no_next():
    header = link_header(URL, page_of(PageRequest(3, 100), 250))
    assert 'rel="next"' not in header
    assert f'<{URL}?page=2&per_page=100>; rel="previous"' in header
    single = page_links(URL, page_of(PageRequest(1, 100), 7))
    assert single == {"first": f"{URL}?page=1&per_page=100", "last": f"{URL}?page=1&per_page=100"}


def test_links_keep_other_query_parameters():
    links = page_links(URL + "?tenant=ddtm-44&page=9", page_of(PageRequest(1, 10), 25))
    assert links["next"] == f"{URL}?tenant=ddtm-44&page=2&per_page=10"


def test_parse_link_header_reads_ours_and_other_servers():
    page = page_of(PageRequest(2, 100), 250)
    assert parse_link_header(link_header(URL, page)) == page_links(URL, page)
    other = ['<https://p.example/cat?token=a,b>; rel="next"; title="suite"',
             '<https://p.example/cat?token=0>; rel="prev first", <https://p.example/x>; rel=last']
    assert parse_link_header(other) == {"next": "https://p.example/cat?token=a,b",
                                        "previous": "https://p.example/cat?token=0",
                                        "first": "https://p.example/cat?token=0", "last": "https://p.example/x"}
    assert parse_link_header("") == {}


# --- rendering pages ----------------------------------------------------------------------------------------------


def test_a_page_is_a_valid_catalog_with_that_page_only(loire, dsp_validator):
    entries = _entries(loire, 25)
    # Entries outside the page have no offer: rendering them would raise, so the page renders only its slice.
    entries[:10] = [CatalogEntry(e.sheet, []) for e in entries[:10]]
    entries[20:] = [CatalogEntry(e.sheet, []) for e in entries[20:]]
    page = render_catalog_page(loire.INFO, entries, PageRequest(2, 10), url=URL)
    dsp_validator(page.body, "catalog/catalog-schema.json")
    assert [d["@id"] for d in page.body["dataset"]] == [e.sheet.id for e in entries[10:20]]
    assert page.headers == {"Link": page.link}
    assert parse_link_header(page.link)["next"] == f"{URL}?page=3&per_page=10"


def test_an_empty_catalog_has_one_valid_empty_page(loire, dsp_validator):
    page = render_catalog_page(loire.INFO, [], PageRequest(), url=URL)
    dsp_validator(page.body, "catalog/catalog-schema.json")
    assert "dataset" not in page.body and "next" not in parse_link_header(page.link)


def test_a_crawler_follows_next_links_to_the_end(loire):
    entries = _entries(loire, 23)
    seen, url, requests = [], URL, 0
    while url:
        requests += 1
        page = render_catalog_page(loire.INFO, entries, paging_params(_query(url), default_per_page=10), url=URL)
        seen.extend(d.id for d in parse_catalog(page.body).datasets)
        url = parse_link_header(page.link).get("next")
    assert requests == 3 and seen == [e.sheet.id for e in entries]


def _query(url: str) -> QueryParams:
    return QueryParams(url.partition("?")[2])
