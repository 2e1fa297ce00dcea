"""Data plane (consumer side): the copies of transfer data this connector received, with the deletion date their
agreement imposes and the sweeper's lease.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from connector.store.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "received_copies",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("transfer_id", sa.String(64), nullable=False),
        sa.Column("agreement_id", sa.String(255), nullable=False),
        sa.Column("dataset_id", sa.String(1024), nullable=True),
        sa.Column("provider_did", sa.String(512), nullable=True),
        sa.Column("path", sa.String(4096), nullable=False),
        sa.Column("sub_path", sa.String(1024), nullable=True),
        sa.Column("media_type", sa.String(255), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("attribution", sa.Text(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("delete_by", UTCDateTime(), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("deleted_reason", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_received_copies"),
    )
    op.create_index("ix_received_copies_transfer_id", "received_copies", ["transfer_id"])
    op.create_index("ix_received_copies_agreement_id", "received_copies", ["agreement_id"])
    op.create_index("ix_received_copies_delete_by", "received_copies", ["delete_by"])


def downgrade() -> None:
    op.drop_index("ix_received_copies_delete_by", table_name="received_copies")
    op.drop_index("ix_received_copies_agreement_id", table_name="received_copies")
    op.drop_index("ix_received_copies_transfer_id", table_name="received_copies")
    op.drop_table("received_copies")
