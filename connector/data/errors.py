"""`DataSourceError`: why a data source cannot be declared or read, as a value the caller can act on — the field at
fault (`data_source.path` for the declaration stored with a dataset, `path`, `range`, `params.<name>` or `bbox` for
what a consumer asked, `upstream` or `data` for what the provider's system returned), the rule in French and English,
an HTTP status and a short error code, so the data plane answers a problem body and never a bare 500."""

from __future__ import annotations

from connector.i18n import t

#: Error codes by HTTP status, for the `error` member of a problem body.
CODES = {400: "invalid-data-source", 404: "not-found", 416: "range-not-satisfiable", 500: "invalid-data",
         502: "bad-gateway", 504: "gateway-timeout"}


class DataSourceError(ValueError):
    """A data source that cannot be declared (status 400, field `data_source.*`) or read (the other statuses)."""

    def __init__(self, field: str, fr: str, en: str, status: int = 400, *, code: str | None = None,
                 upstream_status: int | None = None, detail: str | None = None) -> None:
        self.field, self.fr, self.en, self.status = field, fr, en, status
        self.code = code or CODES.get(status, "data-source-error")
        self.upstream_status = upstream_status  # the status an HTTP upstream answered, when it is the cause
        self.detail = detail  # for the provider's log only (an upstream's error body): not shown to consumers
        super().__init__(f"{field}: {en}")

    def message(self, lang: str | None = None) -> str:
        return f"{self.field} : {self.fr}" if t("fr", "en", lang) == "fr" else f"{self.field}: {self.en}"

    def as_dict(self) -> dict[str, str]:
        """The problem body shape of the management API: `{"error", "field", "fr", "en"}`."""
        return {"error": self.code, "field": self.field, "fr": self.fr, "en": self.en}
