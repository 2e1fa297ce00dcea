"""Harvesting a CSW 2.0.2 catalogue into characterisation sheets: GetRecords in the ISO 19139 output schema
(`http://www.isotc211.org/2005/gmd`), page after page (startPosition / maxRecords) until numberOfRecordsMatched is
reached or the server says nextRecord=0, and GetRecordById for one record. A record that cannot be imported is
listed with its identifier (or its position) and the harvest goes on; a page that times out or answers something
that is not a GetRecords response is reported, and the harvest goes on with the next page when it can."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from lxml import etree

from .geoconcepts import Registry
from .iso19139 import (
    DEFAULT_DATASET_BASE,
    NS,
    ImportResult,
    IsoImportError,
    import_iso_element,
    record_identifier,
    xml_parser,
)

GMD_SCHEMA = "http://www.isotc211.org/2005/gmd"
CSW = "{http://www.opengis.net/cat/csw/2.0.2}"
OWS_EXCEPTION = ("{http://www.opengis.net/ows}ExceptionReport", "{http://www.opengis.net/ows/1.1}ExceptionReport")
DEFAULT_PAGE_SIZE = 10
DEFAULT_TIMEOUT = 30.0
MAX_CONSECUTIVE_PAGE_FAILURES = 3


class CswError(RuntimeError):
    """A CSW answer that cannot be used (timeout, HTTP error, exception report, not a CSW response)."""

    def __init__(self, code: str, fr: str, en: str):
        super().__init__(f"{fr} / {en}")
        self.code, self.fr, self.en = code, fr, en

    def message(self, lang: str = "fr") -> str:
        return self.en if lang == "en" else self.fr


@dataclass
class HarvestFailure:
    where: str  # the record's identifier, "record N" (its position) or "page N (startPosition=…)"
    error: str  # "fr / en"
    code: str = "error"
    fr: str = ""
    en: str = ""

    def message(self, lang: str = "fr") -> str:
        return (self.en if lang == "en" else self.fr) or self.error

    def __iter__(self):  # a failure unpacks as (where, error)
        return iter((self.where, self.error))


@dataclass
class HarvestReport:
    url: str
    imported: list[ImportResult] = field(default_factory=list)
    failed: list[HarvestFailure] = field(default_factory=list)
    pages: int = 0  # pages received and read
    matched: int | None = None  # numberOfRecordsMatched announced by the server
    complete: bool = False  # every matched record (or --max of them) was seen

    @property
    def page_failures(self) -> list[HarvestFailure]:
        return [f for f in self.failed if f.where.startswith("page ")]

    @property
    def record_failures(self) -> list[HarvestFailure]:
        return [f for f in self.failed if not f.where.startswith("page ")]


@dataclass
class Page:
    start: int
    matched: int
    returned: int
    next_record: int
    records: list[etree._Element]


def _get(client: httpx.Client, url: str, params: dict[str, str | int], timeout: float) -> bytes:
    try:
        response = client.get(url, params=params, timeout=timeout)
    except httpx.TimeoutException:
        raise CswError("timeout", f"pas de réponse en {timeout:g} s", f"no answer within {timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise CswError("network", f"catalogue injoignable : {exc}", f"catalogue unreachable: {exc}") from None
    if response.status_code >= 400:
        raise CswError("http-status", f"le catalogue a répondu HTTP {response.status_code}",
                       f"the catalogue answered HTTP {response.status_code}")
    return response.content


def _parse(data: bytes, expected: str) -> etree._Element:
    try:
        root = etree.fromstring(data, xml_parser())
    except etree.XMLSyntaxError as exc:
        start = data[:60].decode("utf-8", "replace").replace("\n", " ")
        raise CswError("garbage", f"réponse illisible (pas du XML : {exc}) : « {start}… »",
                       f"unreadable answer (not XML: {exc}): '{start}…'") from None
    if root.tag in OWS_EXCEPTION:
        texts = [t.strip() for t in root.itertext() if t.strip()]
        detail = "; ".join(texts) or "?"
        raise CswError("exception-report", f"le catalogue a renvoyé une exception : {detail}",
                       f"the catalogue returned an exception: {detail}")
    if root.tag != CSW + expected:
        qname = etree.QName(root)
        raise CswError("not-csw", f"ce n'est pas une réponse csw:{expected} (élément racine {qname.localname})",
                       f"not a csw:{expected} response (root element {qname.localname})")
    return root


def get_records_page(url: str, start: int, max_records: int, *, client: httpx.Client,
                     timeout: float = DEFAULT_TIMEOUT) -> Page:
    """One GetRecords page (KVP GET), ISO 19139 output schema, full element set."""
    params: dict[str, str | int] = {
        "service": "CSW", "version": "2.0.2", "request": "GetRecords", "typeNames": "gmd:MD_Metadata",
        "namespace": f"xmlns(gmd={GMD_SCHEMA})", "outputSchema": GMD_SCHEMA, "resultType": "results",
        "elementSetName": "full", "startPosition": start, "maxRecords": max_records,
    }
    root = _parse(_get(client, url, params, timeout), "GetRecordsResponse")
    results = root.find(CSW + "SearchResults")
    if results is None:
        raise CswError("not-csw", "réponse GetRecords sans csw:SearchResults",
                       "GetRecords response without csw:SearchResults")
    records = [r for r in results if isinstance(r.tag, str)]
    try:
        matched = int(results.get("numberOfRecordsMatched", ""))
        returned = int(results.get("numberOfRecordsReturned", len(records)))
        next_record = int(results.get("nextRecord", "0") or 0)
    except ValueError:
        raise CswError("not-csw", "attributs de pagination illisibles dans csw:SearchResults",
                       "unreadable paging attributes in csw:SearchResults") from None
    return Page(start, matched, returned, next_record, records)


def _import(record: etree._Element, where: str, source: str, report: HarvestReport,
            registry: Registry | None, dataset_base: str) -> None:
    ident = record_identifier(record) if record.tag == f"{{{NS['gmd']}}}MD_Metadata" else None
    try:
        report.imported.append(import_iso_element(record, source=source, registry=registry,
                                                  dataset_base=dataset_base))
    except IsoImportError as exc:
        report.failed.append(HarvestFailure(ident or where, str(exc), exc.code, exc.fr, exc.en))
    except Exception as exc:  # one broken record must not stop the harvest
        report.failed.append(HarvestFailure(ident or where, f"erreur inattendue : {exc} / unexpected error: {exc}",
                                            "unexpected", f"erreur inattendue : {exc}", f"unexpected error: {exc}"))


def harvest(url: str, *, max_records: int | None = None, page_size: int = DEFAULT_PAGE_SIZE,
            timeout: float = DEFAULT_TIMEOUT, client: httpx.Client | None = None, registry: Registry | None = None,
            dataset_base: str = DEFAULT_DATASET_BASE,
            on_page: Callable[[HarvestReport, Page | None], None] | None = None) -> HarvestReport:
    """Harvest every record of a CSW catalogue (or the first `max_records`) into sheets."""
    if page_size < 1:
        raise ValueError("page_size must be >= 1")
    report = HarvestReport(url=url)
    own = client is None
    http = client or httpx.Client(timeout=timeout, follow_redirects=True)
    try:
        start, page_number, consecutive_failures, seen = 1, 0, 0, 0
        while True:
            wanted = page_size if max_records is None else min(page_size, max_records - seen)
            if wanted <= 0:
                report.complete = True
                break
            page_number += 1
            try:
                page = get_records_page(url, start, wanted, client=http, timeout=timeout)
            except CswError as exc:
                report.failed.append(HarvestFailure(f"page {page_number} (startPosition={start})", str(exc),
                                                    exc.code, exc.fr, exc.en))
                consecutive_failures += 1
                if on_page:
                    on_page(report, None)
                # Without the total we cannot know where the catalogue ends: skip only a page in the middle.
                if report.matched is None or consecutive_failures >= MAX_CONSECUTIVE_PAGE_FAILURES:
                    break
                start += wanted
                seen += wanted
                if start > report.matched:
                    break
                continue
            consecutive_failures = 0
            report.pages += 1
            report.matched = page.matched
            for offset, record in enumerate(page.records):
                if max_records is not None and seen >= max_records:
                    break
                _import(record, f"record {start + offset}", url, report, registry, dataset_base)
                seen += 1
            if on_page:
                on_page(report, page)
            if max_records is not None and seen >= max_records:
                report.complete = True
                break
            following = page.next_record if page.next_record > 0 else start + max(page.returned, len(page.records))
            if page.next_record == 0 or following > page.matched or not page.records:
                report.complete = not report.page_failures and (seen >= page.matched or page.next_record == 0)
                break
            if following <= start:  # a server that does not move on would loop for ever
                report.failed.append(HarvestFailure(
                    f"page {page_number} (startPosition={start})", "pagination bloquée / paging does not advance",
                    "paging", f"pagination bloquée : nextRecord={page.next_record}",
                    f"paging does not advance: nextRecord={page.next_record}"))
                break
            start = following
    finally:
        if own:
            http.close()
    return report


def get_record_by_id(url: str, identifier: str, *, timeout: float = DEFAULT_TIMEOUT,
                     client: httpx.Client | None = None, registry: Registry | None = None,
                     dataset_base: str = DEFAULT_DATASET_BASE) -> ImportResult:
    """One record by its identifier (GetRecordById, ISO 19139 output schema) as a sheet."""
    params: dict[str, str | int] = {"service": "CSW", "version": "2.0.2", "request": "GetRecordById",
                                    "id": identifier, "outputSchema": GMD_SCHEMA, "elementSetName": "full"}
    own = client is None
    http = client or httpx.Client(timeout=timeout, follow_redirects=True)
    try:
        root = _parse(_get(http, url, params, timeout), "GetRecordByIdResponse")
    finally:
        if own:
            http.close()
    records = [r for r in root if isinstance(r.tag, str)]
    if not records:
        raise CswError("not-found", f"aucune fiche d'identifiant {identifier}", f"no record with identifier {identifier}")
    return import_iso_element(records[0], source=f"{url}#{identifier}", registry=registry, dataset_base=dataset_base)
