"""Typed values: turning ODRL right operands and request facts into comparable Python values (xsd:dateTime,
xsd:date, xsd:duration, xsd:decimal/integer/double, IRIs, strings), and ordering them.

Rules (documented in docs/policy-profile.md): a naive date-time is taken as UTC; an xsd:date is the instant
00:00 of that day (UTC unless it carries an offset); durations are compared exactly by adding them to an anchor
instant (the agreement start), so `P1M` means one calendar month."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

import isodate

from .model import IRI, Literal, Value
from .vocab import RDF, XSD, expand_curie


class Kind(StrEnum):
    DATETIME = "dateTime"
    DURATION = "duration"
    NUMBER = "number"
    INTEGER = "integer"
    IRI = "iri"
    STRING = "string"
    GEOMETRY = "geometry"


NUMERIC_TYPES = {
    XSD + t
    for t in (
        "decimal", "integer", "int", "long", "short", "byte", "double", "float",
        "nonNegativeInteger", "positiveInteger", "unsignedInt", "unsignedLong",
    )
}
DATETIME_TYPES = {XSD + "dateTime", XSD + "dateTimeStamp", XSD + "date"}
JSON_LITERAL = RDF + "JSON"

_DATE_ONLY = re.compile(r"^-?\d{4,}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?$")


class ValueFormatError(ValueError):
    """A value that does not have the form its left operand needs."""


def parse_datetime(text: str) -> datetime:
    """An xsd:dateTime or xsd:date lexical form as an aware datetime (naive means UTC, a date means 00:00)."""
    text = text.strip()
    try:
        if _DATE_ONLY.match(text):
            tz = text[10:]
            d = date.fromisoformat(text[:10])
            parsed = datetime(d.year, d.month, d.day, tzinfo=UTC)
            if tz and tz != "Z":
                sign = 1 if tz[0] == "+" else -1
                hours, minutes = int(tz[1:3]), int(tz[4:6])
                parsed = parsed.replace(tzinfo=None) - sign * timedelta(hours=hours, minutes=minutes)
                parsed = parsed.replace(tzinfo=UTC)
            return parsed
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueFormatError(f"'{text}' is not an xsd:dateTime or xsd:date (ISO 8601, e.g. 2026-01-31T12:00:00Z)") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def parse_duration(text: str) -> timedelta | isodate.Duration:
    try:
        value = isodate.parse_duration(text.strip())
    except (isodate.ISO8601Error, ValueError) as exc:
        raise ValueFormatError(f"'{text}' is not an xsd:duration (ISO 8601, e.g. P1Y, P30D, PT12H)") from exc
    return value


def parse_number(text: str | int | float) -> Decimal:
    if isinstance(text, bool):
        raise ValueFormatError(f"'{text}' is a boolean, not a number")
    try:
        number = Decimal(str(text).strip())
    except InvalidOperation as exc:
        raise ValueFormatError(f"'{text}' is not a number") from exc
    if not number.is_finite():
        raise ValueFormatError(f"'{text}' is not a finite number")
    return number


def coerce(value: Value, kind: Kind):
    """The Python value of an RDF value for a left operand of the given kind (raises ValueFormatError)."""
    if kind is Kind.DATETIME:
        if isinstance(value, IRI):
            raise ValueFormatError(f"<{value.value}> is an IRI, a date or date-time is expected")
        if value.datatype and value.datatype not in DATETIME_TYPES and value.datatype != XSD + "string":
            raise ValueFormatError(f"'{value.lexical}' has datatype <{value.datatype}>, xsd:dateTime or xsd:date is expected")
        return parse_datetime(value.lexical)
    if kind is Kind.DURATION:
        if isinstance(value, IRI):
            raise ValueFormatError(f"<{value.value}> is an IRI, an xsd:duration is expected")
        return parse_duration(value.lexical)
    if kind in (Kind.NUMBER, Kind.INTEGER):
        if isinstance(value, IRI):
            raise ValueFormatError(f"<{value.value}> is an IRI, a number is expected")
        number = parse_number(value.lexical)
        if kind is Kind.INTEGER and number != number.to_integral_value():
            raise ValueFormatError(f"'{value.lexical}' is not a whole number")
        return number
    if kind is Kind.IRI:
        if isinstance(value, IRI):
            return expand_curie(value.value)
        return expand_curie(value.lexical.strip())
    if kind is Kind.STRING:
        return value.value if isinstance(value, IRI) else value.lexical
    if kind is Kind.GEOMETRY:
        if isinstance(value, IRI):
            return value.value
        if value.datatype == JSON_LITERAL:
            return json.loads(value.lexical)
        return value.lexical
    raise ValueFormatError(f"unsupported kind {kind}")


@dataclass(frozen=True, slots=True)
class Elapsed:
    """Time elapsed between an anchor (agreement start) and now; compared with durations exactly."""

    start: datetime
    now: datetime

    def deadline(self, duration) -> datetime:
        return self.start + duration

    def __str__(self) -> str:
        return isodate.duration_isoformat(self.now - self.start)


def compare_order(left, right) -> int:
    """-1, 0 or 1; raises TypeError when the two cannot be ordered."""
    if isinstance(left, Elapsed):
        deadline = left.deadline(right)
        return (left.now > deadline) - (left.now < deadline)
    if isinstance(left, datetime) and isinstance(right, datetime):
        return (left > right) - (left < right)
    if isinstance(left, Decimal) and isinstance(right, Decimal):
        return (left > right) - (left < right)
    if isinstance(left, str) and isinstance(right, str):
        return (left > right) - (left < right)
    raise TypeError(f"cannot order {left!r} and {right!r}")


def display(value) -> str:
    """A short human form of a Python value for explanations."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, timedelta | isodate.Duration):
        return isodate.duration_isoformat(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return str(value)


def literal_from_python(value) -> Literal:
    """A typed literal for a Python value (used by templates and the serializer)."""
    if isinstance(value, bool):
        return Literal("true" if value else "false", XSD + "boolean")
    if isinstance(value, int):
        return Literal(str(value), XSD + "integer")
    if isinstance(value, Decimal | float):
        return Literal(str(value), XSD + "decimal")
    if isinstance(value, datetime):
        return Literal(display(value), XSD + "dateTime")
    if isinstance(value, date):
        return Literal(value.isoformat(), XSD + "date")
    if isinstance(value, timedelta | isodate.Duration):
        return Literal(isodate.duration_isoformat(value), XSD + "duration")
    return Literal(str(value))
