"""Persistence of the connector (docs: design/ARCHITECTURE.md §5): the schema, its Alembic migrations and the
control plane's repository with optimistic versioning and worker leases (the audit log's own access is
``connector.audit``)."""

from .migrate import current_revision, head_revision, upgrade
from .repository import ConcurrentUpdate, Store, message_digest
from .schema import Agreement, AuditHead, AuditRecord, Base, MessageSeen, Negotiation, Transfer

__all__ = [
    "Agreement", "AuditHead", "AuditRecord", "Base", "ConcurrentUpdate", "MessageSeen", "Negotiation", "Store",
    "Transfer",
    "current_revision", "head_revision", "message_digest", "upgrade",
]
