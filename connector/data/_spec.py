"""Reading a `data_source` declaration: one small reader that checks each member's type and range and refuses the
members it does not know (a misspelt `pth` must not silently become "no path"). Every refusal names the member as
`data_source.<key>`, the form the management API uses for the body field."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import DataSourceError

PREFIX = "data_source"
MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
                        r"(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=(\"[^\"\r\n]*\"|[A-Za-z0-9!#$&^_.+-]+))*$")


def invalid(field: str, fr: str, en: str) -> DataSourceError:
    return DataSourceError(f"{PREFIX}.{field}" if field else PREFIX, fr, en, 400)


class SpecReader:
    def __init__(self, spec: Mapping[str, Any], allowed: Iterable[str], *, kind: str, prefix: str = "") -> None:
        self.spec = spec
        self.kind = kind
        self.prefix = prefix  # "simulate." for a nested declaration
        allowed = sorted(set(allowed))
        for key in spec:
            if key not in allowed:
                raise invalid(self.prefix + str(key),
                              f"membre inconnu pour une source « {kind} » ; membres possibles : {', '.join(allowed)}",
                              f"unknown member for a '{kind}' source; possible members: {', '.join(allowed)}")

    def name(self, key: str) -> str:
        return self.prefix + key

    def error(self, key: str, fr: str, en: str) -> DataSourceError:
        return invalid(self.name(key), fr, en)

    def has(self, key: str) -> bool:
        return self.spec.get(key) is not None

    def string(self, key: str, *, required: bool = False, max_length: int = 4096) -> str | None:
        value = self.spec.get(key)
        if value is None:
            if required:
                raise self.error(key, f"obligatoire pour une source « {self.kind} »",
                                 f"required for a '{self.kind}' source")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "doit être une chaîne de caractères non vide", "must be a non-empty string")
        if "\x00" in value:
            raise self.error(key, "ne doit pas contenir de caractère nul", "must not contain a NUL character")
        if len(value) > max_length:
            raise self.error(key, f"trop long (au plus {max_length} caractères)",
                             f"too long (at most {max_length} characters)")
        return value

    def number(self, key: str, *, default: float, minimum: float, maximum: float,
               zero: bool = False) -> float:
        """A number in ]minimum, maximum] — [minimum, maximum] when `zero` allows the minimum itself."""
        value = self.spec.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.error(key, "doit être un nombre", "must be a number")
        if not (minimum <= value if zero else minimum < value) or value > maximum:
            low_fr, low_en = ("", "at least") if zero else (" (exclu)", "greater than")
            raise self.error(key, f"doit être compris entre {minimum:g}{low_fr} et {maximum:g}",
                             f"must be {low_en} {minimum:g} and at most {maximum:g}")
        return float(value)

    def integer(self, key: str, *, default: int, minimum: int, maximum: int) -> int:
        value = self.spec.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, "doit être un entier", "must be an integer")
        if not minimum <= value <= maximum:
            raise self.error(key, f"doit être compris entre {minimum} et {maximum}",
                             f"must be between {minimum} and {maximum}")
        return value

    def media_type(self, key: str = "media_type") -> str | None:
        value = self.string(key, max_length=255)
        if value is not None and not MEDIA_TYPE.match(value.strip()):
            raise self.error(key, "type de média invalide (attendu : « type/sous-type », ex. application/geo+json)",
                             "invalid media type (expected 'type/subtype', e.g. application/geo+json)")
        return value.strip() if value else None

    def string_list(self, key: str, *, max_items: int = 100) -> list[str]:
        value = self.spec.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            raise self.error(key, "doit être une liste de chaînes non vides", "must be a list of non-empty strings")
        if len(value) > max_items:
            raise self.error(key, f"au plus {max_items} éléments", f"at most {max_items} items")
        return list(value)

    def mapping(self, key: str) -> Mapping[str, Any] | None:
        value = self.spec.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.error(key, "doit être un objet JSON", "must be a JSON object")
        return value
