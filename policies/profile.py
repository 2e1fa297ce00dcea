"""The JNT policy profile: every left operand the engine understands, where its value comes from at decision
time, which operators it accepts, how its right operand is read, and how values are named in explanations.

A left operand or operator outside this table is refused when a policy is loaded: nothing is silently ignored.
docs/policy-profile.md is the human description of this module; keep the two in step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .model import IRI, Literal, Value
from .purposes import PURPOSE_NS, UnknownPurpose, broader_closure, purpose_iri, purpose_label
from .request import Request, World
from .values import Elapsed, Kind, ValueFormatError, coerce, display
from .vocab import CC, JNT, JNT_PROFILE, ODRL, expand_curie, short

_O = ODRL
ORDER_OPS = frozenset(_O + op for op in ("eq", "neq", "lt", "lteq", "gt", "gteq"))
SET_OPS = frozenset(_O + op for op in ("eq", "neq", "isAnyOf", "isNoneOf", "isAllOf", "hasPart", "isPartOf"))
CONCEPT_OPS = SET_OPS | {_O + "isA"}
SPATIAL_OPS = frozenset(_O + op for op in ("eq", "neq", "isPartOf", "isAnyOf", "isNoneOf", "hasPart"))

CATEGORY_NS = JNT + "category/"
CATEGORIES = {
    "public": CATEGORY_NS + "public-body",
    "public-body": CATEGORY_NS + "public-body",
    "private": CATEGORY_NS + "private-company",
    "private-company": CATEGORY_NS + "private-company",
}
CATEGORY_LABELS = {
    CATEGORY_NS + "public-body": ("organisme public", "public body"),
    CATEGORY_NS + "private-company": ("entreprise privée", "private company"),
}
CHANNEL_NS = JNT + "channel/"
CHANNELS = ("http-pull", "http-push", "stream")

# Duties whose action is performed with or after the use (attribution shown with the data, deletion at the end,
# informing the provider, passing the policy on): while active and not yet fulfilled they do not block the
# permission, they are returned as duties the consumer must honour. Every other duty is a pre-condition and must be
# fulfilled before the action (ODRL Formal Semantics). A violated duty always blocks.
POST_DUTY_ACTIONS = frozenset(
    {
        _O + "attribute", _O + "inform", _O + "delete", _O + "nextPolicy", _O + "anonymize", _O + "watermark",
        CC + "Attribution", CC + "Notice", CC + "ShareAlike", CC + "SourceCode",
    }
)


class OperandValueError(ValueError):
    """A right operand or request value that does not fit its left operand."""


@dataclass(frozen=True)
class LeftOperand:
    iri: str
    kind: Kind
    operators: frozenset[str]
    label_fr: str
    label_en: str
    source_fr: str
    source_en: str
    getter: Callable[[Request, World], Any]
    normalise: Callable[[Any], Any] = lambda v: v  # applied after coerce(), to right operands and request values
    hierarchy: Callable[[Any], frozenset] | None = None  # value -> itself and everything broader (isA, isPartOf)
    shown: Callable[[Any, str], str] = lambda v, lang: display(v)
    feminine: bool = False  # grammatical gender of the French label, for agreement in explanations

    @property
    def name(self) -> str:
        return short(self.iri)

    def label(self, lang: str) -> str:
        return self.label_fr if lang == "fr" else self.label_en

    def read_right(self, value: Value) -> Any:
        """The Python value of one right operand; raises OperandValueError naming what is expected."""
        try:
            return self.normalise(coerce(value, self.kind))
        except (ValueFormatError, UnknownPurpose, ValueError) as exc:
            raise OperandValueError(str(exc)) from exc


def _category(value: str) -> str:
    text = value.strip()
    if text in CATEGORIES:
        return CATEGORIES[text]
    if text.startswith("jnt:"):
        text = expand_curie(text)
    if text in CATEGORY_LABELS:
        return text
    raise ValueError(f"unknown recipient category '{value}': expected public (public body) or private (private company)")


def _channel(value: str) -> str:
    text = value.strip()
    if text in CHANNELS:
        return CHANNEL_NS + text
    if text.startswith(CHANNEL_NS) and text[len(CHANNEL_NS):] in CHANNELS:
        return text
    raise ValueError(f"unknown delivery channel '{value}': expected one of {', '.join(CHANNELS)}")


def _media_type(value: str) -> str:
    text = value.strip().lower()
    for prefix in ("https://www.iana.org/assignments/media-types/", "http://www.iana.org/assignments/media-types/"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    if "/" not in text or " " in text:
        raise ValueError(f"'{value}' is not an IANA media type (e.g. application/geo+json, text/csv)")
    return text


def _elapsed(req: Request, world: World) -> Elapsed:
    now = world.current_time()
    # Before an agreement exists (negotiation), the agreement would start now: nothing has elapsed.
    return Elapsed(start=world.agreement_start or now, now=now)


def _spatial_value(value: Any) -> Any:
    from .spatial import read_area  # shapely is loaded only when a spatial constraint is used

    return read_area(value)


def _short_name(prefix: str) -> Callable[[Any, str], str]:
    return lambda v, lang: v[len(prefix):] if isinstance(v, str) and v.startswith(prefix) else str(v)


def _category_shown(value: Any, lang: str) -> str:
    labels = CATEGORY_LABELS.get(value)
    return (labels[0] if lang == "fr" else labels[1]) if labels else str(value)


def _area_shown(value: Any, lang: str) -> str:
    return getattr(value, "label", str(value))


def _count(req: Request, world: World) -> int:
    # The rank of the requested use: `count lteq 5` allows five uses in all.
    return world.count + 1


_OPERANDS = [
    LeftOperand(_O + "dateTime", Kind.DATETIME, ORDER_OPS, "la date d'accès", "the access date",
                "l'heure de l'évaluation", "the time of evaluation",
                lambda r, w: w.current_time(), feminine=True),
    LeftOperand(_O + "elapsedTime", Kind.DURATION, ORDER_OPS, "la durée écoulée depuis l'accord",
                "the time elapsed since the agreement",
                "durée entre la signature de l'accord et l'évaluation (zéro avant l'accord)",
                "time between the agreement signature and the evaluation (zero before the agreement)",
                _elapsed, feminine=True),
    LeftOperand(_O + "count", Kind.INTEGER, ORDER_OPS, "le nombre d'utilisations", "the number of uses",
                "utilisations déjà enregistrées pour l'accord, plus celle demandée",
                "uses already recorded for the agreement, plus the requested one",
                lambda r, w: _count(r, w), normalise=lambda d: d,
                shown=lambda v, lang: display(v)),
    LeftOperand(_O + "purpose", Kind.IRI, CONCEPT_OPS, "la finalité", "the purpose",
                "finalité déclarée par le consommateur", "purpose declared by the consumer",
                lambda r, w: r.purpose, normalise=purpose_iri, hierarchy=broader_closure,
                shown=lambda v, lang: purpose_label(v, lang), feminine=True),
    LeftOperand(JNT + "recipientCategory", Kind.IRI, SET_OPS - {_O + "isAllOf", _O + "hasPart"},
                "la catégorie du destinataire", "the recipient category",
                "catégorie inscrite dans l'attestation d'adhésion vérifiée", "category in the verified membership credential",
                lambda r, w: r.category, normalise=_category, shown=_category_shown, feminine=True),
    LeftOperand(_O + "recipient", Kind.IRI, SET_OPS - {_O + "isAllOf", _O + "hasPart"},
                "le destinataire", "the recipient",
                "identifiant (DID) vérifié du demandeur", "verified identifier (DID) of the requester",
                lambda r, w: r.assignee),
    LeftOperand(_O + "spatial", Kind.GEOMETRY, SPATIAL_OPS, "l'emprise demandée", "the requested area",
                "zone demandée par le consommateur (territoire nommé ou géométrie)",
                "area requested by the consumer (named territory or geometry)",
                lambda r, w: r.area, normalise=_spatial_value, shown=_area_shown, feminine=True),
    LeftOperand(_O + "industry", Kind.STRING, SET_OPS - {_O + "isAllOf", _O + "hasPart"},
                "le secteur d'activité", "the industry",
                "nature de l'organisme inscrite dans l'attestation d'adhésion",
                "kind of organisation in the membership credential",
                lambda r, w: r.industry, normalise=lambda s: s.strip()),
    LeftOperand(_O + "deliveryChannel", Kind.IRI, SET_OPS - {_O + "isAllOf", _O + "hasPart"},
                "le canal de livraison", "the delivery channel",
                "mode de transfert demandé (http-pull, http-push, stream)",
                "requested transfer mode (http-pull, http-push, stream)",
                lambda r, w: r.delivery_channel, normalise=_channel, shown=_short_name(CHANNEL_NS)),
    LeftOperand(_O + "fileFormat", Kind.STRING, SET_OPS - {_O + "isAllOf", _O + "hasPart"},
                "le format de fichier", "the file format",
                "type de média demandé (IANA)", "requested media type (IANA)",
                lambda r, w: r.file_format, normalise=_media_type),
]

LEFT_OPERANDS: dict[str, LeftOperand] = {op.iri: op for op in _OPERANDS}


def left_operand(iri: str) -> LeftOperand | None:
    return LEFT_OPERANDS.get(iri)


def normalise_request_value(operand_iri: str, value: Any) -> Any:
    """Read a request fact (given as text or a Python value) as its operand does."""
    spec = LEFT_OPERANDS[operand_iri]
    if isinstance(value, str):
        value = coerce(Literal(value) if ":" not in value or spec.kind is not Kind.IRI else IRI(expand_curie(value)), spec.kind)
    return spec.normalise(value)


PROFILE_IRI = JNT_PROFILE
__all__ = [
    "CATEGORIES", "CATEGORY_LABELS", "LEFT_OPERANDS", "POST_DUTY_ACTIONS", "PROFILE_IRI", "PURPOSE_NS",
    "LeftOperand", "OperandValueError", "left_operand", "normalise_request_value",
]
