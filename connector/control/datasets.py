"""The datasets a provider publishes and their offers: stored in the connector's database, held in memory for the
catalogue, filtered per verified requester.

Visibility: a dataset appears in a requester's catalogue when one of its offers has a permission whose conditions
on *who* asks (recipient category, recipient DID, industry, the rule's assignee) hold for the verified claims.
Conditions on *how* the data will be used (purpose, period, count, territory, channel...) are not known at catalogue
time: they are evaluated at negotiation, where a refusal carries the engine's explanation.

Performance: compiled policies are cached per offer, visibility per (offer, requester DID, category), and the DSP
rendering of each dataset once; a catalogue page is assembled from cached renderings. The cache is reloaded when the
datasets table changes (count and latest update), so several replicas sharing one database stay consistent."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from catalog.dsp_render import DEFAULT_FORMATS, CatalogEntry, DspService, render_dataset, render_offer
from catalog.sheet import Sheet
from connector.identity.tokens import VerifiedClaims
from connector.store.schema import Dataset, Offer, utcnow
from policies import CompiledPolicy, PolicyError, compile_policy, parse_policy
from policies.model import Policy
from policies.requester import admits
from policies.serialize import to_jsonld

from ..dsp.schemas import CONTEXT_URL


class DatasetError(ValueError):
    """A dataset or offer that cannot be stored; ``field`` names the input at fault."""

    def __init__(self, field: str, fr: str, en: str, status: int = 400) -> None:
        self.field, self.fr, self.en, self.status = field, fr, en, status
        super().__init__(f"{field}: {en}")

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "fr": self.fr, "en": self.en}


@dataclass
class PublishedDataset:
    id: str
    sheet: Sheet
    formats: tuple[str, ...]
    data_source: dict[str, Any] | None
    offers: dict[str, dict[str, Any]] = field(default_factory=dict)  # offer id -> DSP JSON (no target)
    compiled: dict[str, CompiledPolicy] = field(default_factory=dict)

    def entry(self) -> CatalogEntry:
        return CatalogEntry(self.sheet, list(self.offers.values()), self.formats)


def offer_json(policy: Policy | Mapping[str, Any]) -> dict[str, Any]:
    """An offer as stored: DSP compact JSON-LD, `@type: Offer`, without `@context` and `target`."""
    if isinstance(policy, Policy):
        doc = to_jsonld(policy, with_context=False)
    else:
        doc = {key: value for key, value in policy.items() if key != "@context"}
    doc.pop("target", None)
    doc["@type"] = "Offer"
    if not isinstance(doc.get("@id"), str) or not doc["@id"]:
        raise DatasetError("offer.@id", "l'offre doit avoir un identifiant @id", "the offer needs an @id")
    return doc


def _compile(offer: Mapping[str, Any], where: str) -> CompiledPolicy:
    try:
        return compile_policy(parse_policy({"@context": [CONTEXT_URL], **offer}))
    except PolicyError as exc:
        raise DatasetError(where, f"politique ODRL invalide : {exc}", f"invalid ODRL policy: {exc}") from None


#: What changes when a dataset is published, replaced or removed (see `DatasetRegistry._current`).
_FINGERPRINT = select(func.count(Dataset.id), func.max(Dataset.updated_at), func.sum(Dataset.version))


class DatasetRegistry:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._lock = threading.Lock()
        self._fingerprint: tuple[Any, ...] | None = None
        self._datasets: dict[str, PublishedDataset] = {}
        self._order: list[str] = []
        self._visible: dict[tuple[str, str | None], list[str]] = {}
        self._rendered: dict[tuple[str, str], dict[str, Any]] = {}

    # -- writing ----------------------------------------------------------------------------------------------
    def publish(self, sheet: Sheet, offers: Sequence[Policy | Mapping[str, Any]], *,
                formats: Sequence[str] = DEFAULT_FORMATS, data_source: Mapping[str, Any] | None = None,
                replace: bool = False) -> PublishedDataset:
        """Store a dataset with its offers (at least one), all or nothing."""
        if not offers:
            raise DatasetError("offers", "au moins une offre est nécessaire pour publier un jeu de données",
                               "at least one offer is needed to publish a dataset")
        if not formats:
            raise DatasetError("formats", "au moins un format de transfert (ex. HttpData-PULL) est nécessaire",
                               "at least one transfer format (e.g. HttpData-PULL) is needed")
        docs = [offer_json(o) for o in offers]
        ids = [d["@id"] for d in docs]
        if len(set(ids)) != len(ids):
            raise DatasetError("offers", "deux offres ont le même @id", "two offers share the same @id")
        for i, doc in enumerate(docs):
            _compile(doc, f"offers[{i}]")
        now = utcnow()
        stored_sheet = sheet.model_dump(mode="json")
        try:
            with self._sessions() as session, session.begin():
                existing = session.get(Dataset, sheet.id)
                if existing is not None and not replace:
                    raise DatasetError("sheet.id", f"le jeu de données {sheet.id} existe déjà",
                                       f"dataset {sheet.id} already exists", status=409)
                taken = session.scalars(select(Offer.id).where(Offer.id.in_(ids), Offer.dataset_id != sheet.id)).all()
                if taken:
                    raise DatasetError("offers", f"identifiant d'offre déjà utilisé : {taken[0]}",
                                       f"offer id already in use: {taken[0]}", status=409)
                if existing is not None:
                    session.execute(delete(Offer).where(Offer.dataset_id == sheet.id))
                    existing.sheet = stored_sheet
                    existing.formats = list(formats)
                    existing.data_source = dict(data_source) if data_source else None
                    existing.updated_at = now
                    existing.version = existing.version + 1
                else:
                    session.add(Dataset(id=sheet.id, sheet=stored_sheet, formats=list(formats),
                                        data_source=dict(data_source) if data_source else None, created_at=now,
                                        updated_at=now, version=1))
                session.flush()
                for doc in docs:
                    session.add(Offer(id=doc["@id"], dataset_id=sheet.id, policy=doc, created_at=now))
        except IntegrityError:
            raise DatasetError("sheet.id", f"le jeu de données {sheet.id} ou une de ses offres existe déjà",
                               f"dataset {sheet.id} or one of its offers already exists", status=409) from None
        self.invalidate()
        # Built from what was stored, not read back: `get` would reload the whole registry (every sheet validated
        # again) after each publication, which made publishing N datasets cost O(N²).
        return PublishedDataset(sheet.id, Sheet.model_validate(stored_sheet), tuple(formats),
                                dict(data_source) if data_source else None,
                                {doc["@id"]: copy.deepcopy(doc) for doc in docs})

    def remove(self, dataset_id: str) -> bool:
        with self._sessions() as session, session.begin():
            session.execute(delete(Offer).where(Offer.dataset_id == dataset_id))
            removed = session.execute(delete(Dataset).where(Dataset.id == dataset_id)).rowcount
        self.invalidate()
        return bool(removed)

    def invalidate(self) -> None:
        with self._lock:
            self._fingerprint = None

    # -- reading ----------------------------------------------------------------------------------------------
    def _current(self) -> dict[str, PublishedDataset]:
        # Read at every lookup (each data request, each catalogue request, each negotiation): one prebuilt
        # statement on a plain connection costs about a third of an ORM session building it anew.
        with self.engine.connect() as connection:
            fingerprint = tuple(connection.execute(_FINGERPRINT).one())
        with self._lock:
            if fingerprint == self._fingerprint:
                return self._datasets
        datasets: dict[str, PublishedDataset] = {}
        with self._sessions() as session:
            for row in session.scalars(select(Dataset).order_by(Dataset.created_at, Dataset.id)):
                datasets[row.id] = PublishedDataset(row.id, Sheet.model_validate(row.sheet), tuple(row.formats),
                                                    row.data_source)
            for offer in session.scalars(select(Offer).order_by(Offer.created_at, Offer.id)):
                if offer.dataset_id in datasets:
                    datasets[offer.dataset_id].offers[offer.id] = offer.policy
        with self._lock:
            old = self._datasets
            for dataset_id, dataset in datasets.items():  # keep compiled policies of unchanged offers
                previous = old.get(dataset_id)
                if previous is not None:
                    dataset.compiled = {k: v for k, v in previous.compiled.items()
                                        if previous.offers.get(k) == dataset.offers.get(k)}
            self._datasets = datasets
            self._order = list(datasets)
            self._visible = {}
            self._rendered = {}
            self._fingerprint = fingerprint
        return datasets

    def all(self) -> list[PublishedDataset]:
        return list(self._current().values())

    def get(self, dataset_id: str) -> PublishedDataset | None:
        return self._current().get(dataset_id)

    def attribution(self, dataset_id: str) -> str | None:
        """The attribution returned with the data: the sheet's rights statement, else "title — publisher
        (licence)" from the sheet."""
        dataset = self.get(dataset_id)
        if dataset is None:
            return None
        sheet = dataset.sheet
        if sheet.licence.rights:
            return sheet.licence.rights
        publisher = sheet.provenance.publisher.name if sheet.provenance.publisher else None
        parts = [p for p in (sheet.nature.title, publisher) if p]
        text = " — ".join(parts)
        if sheet.licence.licence:
            text += f" ({sheet.licence.licence})"
        return text or None

    def find_offer(self, offer_id: str) -> tuple[PublishedDataset, dict[str, Any]] | None:
        for dataset in self._current().values():
            offer = dataset.offers.get(offer_id)
            if offer is not None:
                return dataset, offer
        return None

    def compiled(self, dataset: PublishedDataset, offer_id: str) -> CompiledPolicy:
        policy = dataset.compiled.get(offer_id)
        if policy is None:
            policy = _compile(dataset.offers[offer_id], f"offer {offer_id}")
            dataset.compiled[offer_id] = policy
        return policy

    def visible_ids(self, claims: VerifiedClaims | None) -> list[str]:
        """The ids of the datasets this requester may see (all of them for ``None``, e.g. the TCK mode)."""
        datasets = self._current()
        if claims is None:
            return list(self._order)
        key = (claims.did, claims.category)
        with self._lock:
            cached = self._visible.get(key)
        if cached is not None:
            return cached
        by_policy: dict[str, bool] = {}
        visible = []
        for dataset_id in self._order:
            dataset = datasets[dataset_id]
            for offer_id, offer in dataset.offers.items():
                signature = repr(sorted((k, repr(v)) for k, v in offer.items() if k != "@id"))
                verdict = by_policy.get(signature)
                if verdict is None:
                    verdict = admits(self.compiled(dataset, offer_id), claims.requester(), dataset_id)
                    # Offers with equal rules (templates) share a verdict unless a rule names its own target.
                    if "target" not in signature:
                        by_policy[signature] = verdict
                if verdict:
                    visible.append(dataset_id)
                    break
        with self._lock:
            self._visible[key] = visible
        return visible

    def rendered(self, dataset_id: str, service: DspService) -> dict[str, Any]:
        """The DSP Dataset (nested form, without @context) of a dataset, rendered once."""
        key = (dataset_id, service.endpoint_url)
        with self._lock:
            cached = self._rendered.get(key)
        if cached is not None:
            return cached
        dataset = self._current()[dataset_id]
        out = render_dataset(dataset.entry(), service, with_context=False)
        with self._lock:
            self._rendered[key] = out
        return out

    def message_offer(self, dataset_id: str, offer_id: str) -> dict[str, Any]:
        """The offer as carried in negotiation messages: with its `target`."""
        dataset = self._current()[dataset_id]
        offer = render_offer(dataset.offers[offer_id], dataset_id)
        offer["target"] = dataset_id
        return offer
