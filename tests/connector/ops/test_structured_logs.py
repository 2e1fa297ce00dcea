"""Structured logs in production form: with `JNT_LOG_FORMAT=json` every event is one JSON object per line, and
the control plane's events carry the process id and the counter-party's DID as fields — what an operator filters
on — while no token appears (a negotiation sends and receives several)."""

from __future__ import annotations

import io
import json
import logging
import re

from connector.logs import JsonFormatter, RedactingFilter

from ..control.space import Space
from ..data.loopback import Party, agree, publish

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.")


def test_a_negotiation_logs_json_events_with_process_and_counterparty(tmp_path):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("jnt")
    logger.addHandler(handler)
    space = Space(tmp_path)
    try:
        provider = Party(space.connector("ddtm44", "public"))
        consumer = Party(space.connector("region-pdl", "public"))
        (provider.connector.plane.sources_dir / "pluie.csv").write_text("date;mm\n2026-11-28;12\n")
        dataset_id = publish(provider, {"type": "file", "path": "pluie.csv"})
        agreement_id = agree(provider, consumer, dataset_id, territory=None)
    finally:
        space.close()
        logger.removeHandler(handler)
    lines = [line for line in stream.getvalue().splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "event"} <= set(e) for e in events)
    negotiation = consumer.connector.plane.store.list("negotiation", role="consumer")[0]
    assert negotiation.agreement_id == agreement_id
    mine = [e for e in events if e.get("process_id") == negotiation.id]
    assert mine, "no event names the consumer's negotiation"
    assert any(e.get("counterparty") == provider.did for e in mine)
    assert not any(JWT.search(line) for line in lines)
