"""Published datasets and their offers (provider side), and a process context on negotiations and transfers (what the
consumer declared: purpose, territory; the scripted follow-up messages of the TCK mode).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from connector.store.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.String(1024), primary_key=True),
        sa.Column("sheet", sa.JSON(), nullable=False),
        sa.Column("formats", sa.JSON(), nullable=False),
        sa.Column("data_source", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_datasets"),
    )
    op.create_table(
        "offers",
        sa.Column("id", sa.String(1024), primary_key=True),
        sa.Column("dataset_id", sa.String(1024), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_offers"),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], name="fk_offers_dataset_id_datasets",
                                ondelete="CASCADE"),
    )
    op.create_index("ix_offers_dataset_id", "offers", ["dataset_id"])
    for table in ("negotiations", "transfers"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("context", sa.JSON(), nullable=True))


def downgrade() -> None:
    for table in ("negotiations", "transfers"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("context")
    op.drop_index("ix_offers_dataset_id", table_name="offers")
    op.drop_table("offers")
    op.drop_table("datasets")
