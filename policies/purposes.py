"""The JNT purpose vocabulary: the small set of purposes a consumer declares when it asks for data
(flood-risk simulation, crisis management, urban planning, research), their labels, and how they relate to the
W3C Data Privacy Vocabulary (DPV), whose IRIs are accepted as purposes too."""

from __future__ import annotations

from dataclasses import dataclass

from .vocab import DPV, DPV_LEGACY

PURPOSE_NS = "https://w3id.org/jnt/purpose/"


@dataclass(frozen=True, slots=True)
class Purpose:
    name: str
    label_fr: str
    label_en: str
    broader: tuple[str, ...] = ()

    @property
    def iri(self) -> str:
        return PURPOSE_NS + self.name

    def label(self, lang: str = "fr") -> str:
        return self.label_fr if lang == "fr" else self.label_en


PURPOSES: dict[str, Purpose] = {
    p.name: p
    for p in (
        Purpose("flood-risk-simulation", "simulation du risque d'inondation", "flood-risk simulation",
                (PURPOSE_NS + "risk-management",)),
        Purpose("crisis-management", "gestion de crise", "crisis management", (PURPOSE_NS + "risk-management",)),
        Purpose("urban-planning", "aménagement et urbanisme", "urban planning", ()),
        Purpose("research", "recherche", "research", (DPV + "ResearchAndDevelopment",)),
        Purpose("risk-management", "prévention et gestion des risques", "risk prevention and management", ()),
    )
}
_BY_IRI = {p.iri: p for p in PURPOSES.values()}


class UnknownPurpose(ValueError):
    pass


def purpose_iri(text: str) -> str:
    """Normalise a declared purpose: a JNT name (`flood-risk-simulation`), a JNT IRI, or a DPV IRI
    (`dpv:ResearchAndDevelopment`, legacy `http://www.w3.org/ns/dpv#...` accepted). Other absolute IRIs are
    kept as they are, so a profile can add purposes; bare unknown names are refused."""
    text = text.strip()
    if text in PURPOSES:
        return PURPOSES[text].iri
    if text.startswith("dpv:"):
        return DPV + text[4:]
    if text.startswith(DPV_LEGACY):
        return DPV + text[len(DPV_LEGACY):]
    if text.startswith("jnt-purpose:"):
        text = PURPOSE_NS + text[len("jnt-purpose:"):]
    if text.startswith(PURPOSE_NS):
        if text not in _BY_IRI:
            raise UnknownPurpose(_unknown(text))
        return text
    if ":" in text and not text.startswith(":"):
        return text
    raise UnknownPurpose(_unknown(text))


def _unknown(text: str) -> str:
    names = ", ".join(sorted(PURPOSES))
    return f"unknown purpose '{text}': expected one of {names}, or a DPV IRI such as dpv:ResearchAndDevelopment"


def broader_closure(iri: str) -> frozenset[str]:
    """The purpose and every broader purpose it falls under (for `isA` / `isPartOf`)."""
    seen: set[str] = set()
    stack = [iri]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        purpose = _BY_IRI.get(current)
        if purpose:
            stack.extend(purpose.broader)
    return frozenset(seen)


def purpose_label(iri: str, lang: str = "fr") -> str:
    purpose = _BY_IRI.get(iri)
    if purpose:
        return purpose.name
    if iri.startswith(DPV):
        return "dpv:" + iri[len(DPV):]
    return iri
