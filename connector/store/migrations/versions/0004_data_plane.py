"""Data plane (provider side): the token grants of each transfer (refresh-token digests, access-token ids,
generations) and the use counter of each agreement.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from connector.store.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "edr_grants",
        sa.Column("refresh_hash", sa.String(64), nullable=False),
        sa.Column("transfer_id", sa.String(64), nullable=False),
        sa.Column("access_jti", sa.String(64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("refresh_hash", name="pk_edr_grants"),
        sa.UniqueConstraint("access_jti", name="uq_edr_grants_access_jti"),
    )
    op.create_index("ix_edr_grants_transfer_id", "edr_grants", ["transfer_id"])
    op.create_table(
        "agreement_usage",
        sa.Column("agreement_id", sa.String(255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agreement_id", name="pk_agreement_usage"),
    )


def downgrade() -> None:
    op.drop_table("agreement_usage")
    op.drop_index("ix_edr_grants_transfer_id", table_name="edr_grants")
    op.drop_table("edr_grants")
