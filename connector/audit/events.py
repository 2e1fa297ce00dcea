"""The vocabulary of the audit log: event names (``<area>.<what>``, lower case) and the decisions a record carries.
The list is the set the connector writes today; ``AuditLog.append`` accepts any well-formed name, so that a new
event needs no change here to be recorded."""

from __future__ import annotations

import re
from typing import Final, Literal

DATA_ACCESS: Final = "data.access"  # an access the data plane allowed
DATA_REFUSED: Final = "data.refused"  # an access the data plane refused
TRANSFER_STARTED: Final = "transfer.started"
TRANSFER_COMPLETED: Final = "transfer.completed"
TRANSFER_SUSPENDED: Final = "transfer.suspended"
TRANSFER_TERMINATED: Final = "transfer.terminated"
AGREEMENT_SIGNED: Final = "agreement.signed"
AGREEMENT_VERIFIED: Final = "agreement.verified"
DUTY_DELETED: Final = "duty.deleted"  # a deletion duty fulfilled (data deleted at the end of the agreement)

Decision = Literal["permit", "deny", "none"]
DECISIONS: Final = ("permit", "deny", "none")

EVENT_PATTERN: Final = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$")
MAX_EVENT_LENGTH: Final = 64
