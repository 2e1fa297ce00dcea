"""Data plane (provider side): the pending and finished pushes of transfers in an HTTP-push format, so that a push
survives a restart and several replicas share the work through leases.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from connector.store.schema import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_pushes",
        sa.Column("transfer_id", sa.String(64), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("counted_use", sa.Integer(), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(255), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime(), nullable=True),
        sa.Column("bytes_sent", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("transfer_id", name="pk_data_pushes"),
    )
    op.create_index("ix_data_pushes_state_next_attempt_at", "data_pushes", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_data_pushes_state_next_attempt_at", table_name="data_pushes")
    op.drop_table("data_pushes")
