"""Persistence of the control plane (docs: design/ARCHITECTURE.md §5): the schema, its Alembic migrations and the
repository with optimistic versioning and worker leases."""

from .migrate import current_revision, head_revision, upgrade
from .repository import ConcurrentUpdate, Store, message_digest
from .schema import Agreement, Base, MessageSeen, Negotiation, Transfer

__all__ = [
    "Agreement", "Base", "ConcurrentUpdate", "MessageSeen", "Negotiation", "Store", "Transfer",
    "current_revision", "head_revision", "message_digest", "upgrade",
]
