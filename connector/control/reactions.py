"""What a connector does next in a negotiation or a transfer: its *reactions* to protocol events.

An event is what just happened to a process: a message received (``requested``, ``offered``, ``accepted``,
``agreed``, ``verified``, ``finalized``...) or one of our own messages acknowledged (``sent:OFFERED``,
``sent:REQUESTED``...). A reaction is a list of actions: the first becomes the process's next intent, the others
follow one by one, each after the previous message is acknowledged (a *chain*, e.g. the TCK's "start, then suspend,
then terminate").

Actions: negotiation — ``decide`` (provider: evaluate the policy, then agree or terminate with the explanation),
``offer``, ``agree``, ``finalize``, ``accept``, ``verify``, ``check`` (consumer: verify the received agreement, then
verify or terminate), ``accept-if-same`` (consumer: accept an offer equal to the one requested, else terminate),
``counter`` (consumer: a counter-request), ``terminate``; transfer — ``start``, ``suspend``, ``complete``,
``terminate``. ``Reactions`` holds the JNT behaviour; the TCK mode replaces it with scripted tables
(``connector.control.tck``)."""

from __future__ import annotations

from collections.abc import Sequence

Actions = Sequence[str]

NEGOTIATION_ACTIONS = frozenset({"decide", "offer", "agree", "finalize", "accept", "verify", "check",
                                 "accept-if-same", "counter", "terminate"})
TRANSFER_ACTIONS = frozenset({"start", "suspend", "complete", "terminate"})


class Reactions:
    """The JNT connector's behaviour: providers decide with the policy engine, consumers check what they get."""

    def negotiation(self, role: str, event: str, dataset_id: str | None) -> Actions:
        if role == "provider":
            return {"requested": ("decide",), "counter-requested": ("decide",), "accepted": ("decide",),
                    "verified": ("finalize",)}.get(event, ())
        return {"offered": ("accept-if-same",), "agreed": ("check",)}.get(event, ())

    def transfer(self, role: str, event: str, agreement_id: str | None) -> Actions:
        if role == "provider":
            return {"requested": ("start",)}.get(event, ())
        return ()
