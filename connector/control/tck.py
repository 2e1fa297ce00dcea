"""TCK mode: a connector pre-seeded with the Eclipse Dataspace TCK's dataset and agreement ids, reacting to each id
as the kit's scenarios expect (``TCK.md`` §9.3), with the two trigger webhooks the kit calls when our connector is
the consumer. Point the official kit at it with the properties printed by ``jnt connector tck``.

The scripts are the tables below: for each id, the actions taken on each event (see ``reactions``). Ids that are
not in the tables get the normal JNT behaviour."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from catalog.sheet import Sheet
from connector.identity.auth import TCK_CLAIMS

from .agreements import timestamp_now
from .errors import ProtocolError
from .plane import ControlPlane
from .reactions import Actions, Reactions

TCK_DID = TCK_CLAIMS.did
TCK_FORMAT = "HttpData-PULL"
TCK_TRANSFER_DATASET = "urn:jnt:tck:transfer-dataset"
USE_OFFER_RULES: dict[str, Any] = {"permission": [{"action": "use"}]}

#: CN (we are the provider): event -> actions, per dataset id.
PROVIDER_NEGOTIATION: dict[str, dict[str, Actions]] = {
    "ACN0101": {"requested": ("offer",)},
    "ACN0102": {"requested": ("offer",), "counter-requested": ("terminate",)},
    "ACN0103": {"requested": ("offer",), "accepted": ("agree",), "verified": ("finalize",)},
    "ACN0104": {"requested": ("agree",), "verified": ("finalize",)},
    "ACN0201": {"requested": ("terminate",)},
    "ACN0202": {},
    "ACN0203": {"requested": ("agree",)},
    "ACN0204": {"requested": ("offer",)},
    "ACN0205": {"requested": ("offer", "terminate")},
    "ACN0206": {"requested": ("offer",), "accepted": ("terminate",)},
    "ACN0207": {"requested": ("agree",), "verified": ("terminate",)},
    "ACN0301": {"requested": ("agree",), "verified": ("finalize",)},
    "ACN0302": {"requested": ("offer",)},
    "ACN0303": {"requested": ("offer",)},
    "ACN0304": {"requested": ("offer",)},
}

#: CN_C (we are the consumer): event -> actions, per dataset id.
CONSUMER_NEGOTIATION: dict[str, dict[str, Actions]] = {
    "ACNC0101": {"offered": ("accept",), "agreed": ("verify",)},
    "ACNC0102": {"offered": ("counter",)},
    "ACNC0103": {"offered": ("terminate",)},
    "ACNC0104": {"agreed": ("verify",)},
    "ACNC0201": {},
    "ACNC0202": {"sent:REQUESTED": ("terminate",)},
    "ACNC0203": {"agreed": ("terminate",)},
    "ACNC0204": {},
    "ACNC0205": {"offered": ("accept",)},
    "ACNC0206": {"agreed": ("verify",)},
    "ACNC0301": {},
    "ACNC0302": {},
    "ACNC0303": {},
    "ACNC0304": {"offered": ("accept",)},
    "ACNC0305": {"offered": ("accept",)},
    "ACNC0306": {"offered": ("accept",)},
}

#: TP (we are the provider): actions on the transfer request (a chain), per agreement id.
PROVIDER_TRANSFER: dict[str, Actions] = {
    "ATP0101": ("start", "terminate"),
    "ATP0102": ("start", "complete"),
    "ATP0103": ("start", "suspend", "terminate"),
    "ATP0104": ("start", "suspend", "start", "complete"),
    "ATP0105": ("terminate",),
    "ATP0201": ("start",),
    "ATP0202": ("start",),
    "ATP0203": ("start",),
    "ATP0204": ("start",),
    "ATP0205": (),
    "ATP0301": (),
    "ATP0302": (),
    "ATP0303": ("start",),
    "ATP0304": ("start",),
    "ATP0305": ("start",),
    "ATP0306": ("start",),
}

#: TP_C (we are the consumer): event -> actions, per agreement id.
CONSUMER_TRANSFER: dict[str, dict[str, Actions]] = {
    "ATPC0201": {"started": ("terminate",)},
    "ATPC0202": {"started": ("complete",)},
    "ATPC0203": {"started": ("suspend", "terminate")},
    "ATPC0204": {"started": ("suspend", "start", "complete")},
    "ATPC0205": {"sent:REQUESTED": ("terminate",)},
}

CATALOG_DATASETS = ("CAT0101", "CAT0102")  # CAT0103 must not exist


class TckReactions(Reactions):
    def negotiation(self, role: str, event: str, dataset_id: str | None) -> Actions:
        table = PROVIDER_NEGOTIATION if role == "provider" else CONSUMER_NEGOTIATION
        if dataset_id in table:
            return table[dataset_id].get(event, ())
        return super().negotiation(role, event, dataset_id)

    def transfer(self, role: str, event: str, agreement_id: str | None) -> Actions:
        if role == "provider" and agreement_id in PROVIDER_TRANSFER:
            return PROVIDER_TRANSFER[agreement_id] if event == "requested" else ()
        if role == "consumer" and agreement_id in CONSUMER_TRANSFER:
            return CONSUMER_TRANSFER[agreement_id].get(event, ())
        return super().transfer(role, event, agreement_id)


def _sheet(dataset_id: str, title: str) -> Sheet:
    sheet = Sheet(id=dataset_id)
    sheet.nature.title = title
    sheet.nature.description = "Jeu de données du kit de conformité DSP (TCK) / DSP test kit dataset."
    return sheet


def seed(plane: ControlPlane) -> None:
    """Datasets, offers and agreements the kit's scenarios refer to (idempotent)."""
    for dataset_id in (*CATALOG_DATASETS, *PROVIDER_NEGOTIATION):
        if plane.datasets.get(dataset_id) is None:
            plane.datasets.publish(_sheet(dataset_id, f"TCK {dataset_id}"),
                                   [{"@id": f"CD123:{dataset_id}:456", "@type": "Offer", **USE_OFFER_RULES}],
                                   formats=(TCK_FORMAT,))
    if plane.datasets.get(TCK_TRANSFER_DATASET) is None:
        plane.datasets.publish(_sheet(TCK_TRANSFER_DATASET, "TCK transfer dataset"),
                               [{"@id": "urn:jnt:tck:transfer-offer", "@type": "Offer", **USE_OFFER_RULES}],
                               formats=(TCK_FORMAT,))
    agreements = [(a, plane.did, TCK_DID) for a in PROVIDER_TRANSFER]
    agreements += [(a, TCK_DID, plane.did) for a in ("ATPC0101", "ATPC0102", "ATPC0103", "ATPC0104", "ATPC0105",
                                                    "ATPC0201", "ATPC0202", "ATPC0203", "ATPC0204", "ATPC0205",
                                                    "ATPC0301", "ATPC0302", "ATPC0303", "ATPC0304", "ATPC0305",
                                                    "ATPC0306")]
    for agreement_id, assigner, assignee in agreements:
        if plane.store.get_agreement(agreement_id) is None:
            policy = {"@id": agreement_id, "@type": "Agreement", "target": TCK_TRANSFER_DATASET,
                      "assigner": assigner, "assignee": assignee, "timestamp": timestamp_now(), **USE_OFFER_RULES}
            plane.store.save_agreement(id=agreement_id, negotiation_id="", provider_did=assigner,
                                       consumer_did=assignee, target=TCK_TRANSFER_DATASET, policy=policy)


class NegotiationTrigger(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    provider_id: str = Field("TCK_PARTICIPANT", alias="providerId")
    offer_id: str = Field(alias="offerId")
    dataset_id: str = Field(alias="datasetId")
    connector_address: str = Field(alias="connectorAddress")


class TransferTrigger(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    provider_id: str = Field("TCK_PARTICIPANT", alias="providerId")
    agreement_id: str = Field(alias="agreementId")
    format: str = TCK_FORMAT
    connector_address: str = Field(alias="connectorAddress")


def webhook_router(plane: ControlPlane) -> APIRouter:
    """``POST /tck/negotiations/requests`` and ``POST /tck/transfers/requests``: the kit asks our connector (as
    consumer) to start a negotiation or a transfer with it."""
    router = APIRouter(prefix="/tck", tags=["TCK"])

    @router.post("/negotiations/requests", summary="Déclencheur TCK : négocier (consommateur)")
    def negotiation_trigger(trigger: NegotiationTrigger, background: BackgroundTasks) -> JSONResponse:
        offer = {"@id": trigger.offer_id, "@type": "Offer", **USE_OFFER_RULES}
        process = plane.negotiations.start(provider_address=trigger.connector_address, provider_did=TCK_DID,
                                           offer=offer, dataset_id=trigger.dataset_id)
        background.add_task(plane.wake)
        return JSONResponse({"id": process.id, "consumerPid": process.consumer_pid}, status_code=200)

    @router.post("/transfers/requests", summary="Déclencheur TCK : transférer (consommateur)")
    def transfer_trigger(trigger: TransferTrigger, background: BackgroundTasks) -> JSONResponse:
        try:
            process = plane.transfers.start(agreement_id=trigger.agreement_id, format=trigger.format,
                                            provider_address=trigger.connector_address, provider_did=TCK_DID)
        except ProtocolError as exc:
            return JSONResponse({"code": exc.code, "reasons": exc.reasons}, status_code=exc.status)
        background.add_task(plane.wake)
        return JSONResponse({"id": process.id, "consumerPid": process.consumer_pid}, status_code=200)

    return router


def tck_properties(base_url: str, dsp_base_path: str, agent_id: str = "CONNECTOR_UNDER_TEST",
                   callback: str = "http://localhost:8083") -> str:
    """The kit's configuration file for this connector (ids as in the kit's sample)."""
    lines = [
        "# Eclipse Dataspace TCK configuration for a JNT connector in TCK mode (jnt connector tck)",
        "dataspacetck.dsp.local.connector=false",
        f"dataspacetck.callback.address={callback}",
        f"dataspacetck.dsp.connector.agent.id={agent_id}",
        f"dataspacetck.dsp.connector.http.url={base_url}{dsp_base_path}",
        f"dataspacetck.dsp.connector.http.base.url={base_url}",
        f"dataspacetck.dsp.connector.negotiation.initiate.url={base_url}/tck/negotiations/requests",
        f"dataspacetck.dsp.connector.transfer.initiate.url={base_url}/tck/transfers/requests",
        "dataspacetck.dsp.default.wait=15",
    ]
    for dataset_id in PROVIDER_NEGOTIATION:
        test = f"CN_{dataset_id[3:5]}_{dataset_id[5:7]}"
        lines += [f"{test}_DATASETID={dataset_id}", f"{test}_OFFERID=CD123:{dataset_id}:456"]
    for dataset_id in CONSUMER_NEGOTIATION:
        lines.append(f"CN_C_{dataset_id[4:6]}_{dataset_id[6:8]}_DATASETID={dataset_id}")
    for agreement_id in PROVIDER_TRANSFER:
        test = f"TP_{agreement_id[3:5]}_{agreement_id[5:7]}"
        lines += [f"{test}_AGREEMENTID={agreement_id}", f"{test}_FORMAT={TCK_FORMAT}"]
    for agreement_id in ("ATPC0101", "ATPC0102", "ATPC0103", "ATPC0104", "ATPC0105", "ATPC0201", "ATPC0202",
                         "ATPC0203", "ATPC0204", "ATPC0205", "ATPC0301", "ATPC0302", "ATPC0303", "ATPC0304",
                         "ATPC0305", "ATPC0306"):
        test = f"TP_C_{agreement_id[4:6]}_{agreement_id[6:8]}"
        lines += [f"{test}_AGREEMENTID={agreement_id}", f"{test}_FORMAT={TCK_FORMAT}"]
    for index, dataset_id in enumerate(("CAT0101", "CAT0102", "CAT0103"), start=1):
        lines.append(f"CAT_01_{index:02d}_DATASETID={dataset_id}")
    return "\n".join(lines) + "\n"

