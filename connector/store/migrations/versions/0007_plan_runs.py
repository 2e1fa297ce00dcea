"""Brokering (consumer side): the runs of access plans and their items — the step each géo-concept has reached,
the negotiation and transfer of its current attempt, the copy received, the attempts so far — so that a run
survives a restart and resumes where it stood.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from connector.store.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_runs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("plan_id", sa.String(255), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("consumer_did", sa.String(512), nullable=True),
        sa.Column("usecase", sa.String(255), nullable=True),
        sa.Column("purpose", sa.String(1024), nullable=False),
        sa.Column("territory", sa.Text(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_plan_runs"),
    )
    op.create_index("ix_plan_runs_plan_id", "plan_runs", ["plan_id"])
    op.create_index("ix_plan_runs_status", "plan_runs", ["status"])
    op.create_table(
        "plan_items",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("geoconcept_id", sa.String(255), nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("candidate", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.JSON(), nullable=False),
        sa.Column("negotiation_id", sa.String(64), nullable=True),
        sa.Column("agreement_id", sa.String(255), nullable=True),
        sa.Column("transfer_id", sa.String(64), nullable=True),
        sa.Column("copy_id", sa.String(36), nullable=True),
        sa.Column("received_path", sa.String(4096), nullable=True),
        sa.Column("received_size", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("lease_owner", sa.String(255), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["plan_runs.id"], name="fk_plan_items_run_id_plan_runs",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_plan_items"),
        sa.UniqueConstraint("run_id", "position", name="uq_plan_items_run_id_position"),
    )
    op.create_index("ix_plan_items_run_id", "plan_items", ["run_id"])
    op.create_index("ix_plan_items_negotiation_id", "plan_items", ["negotiation_id"])
    op.create_index("ix_plan_items_transfer_id", "plan_items", ["transfer_id"])


def downgrade() -> None:
    op.drop_index("ix_plan_items_transfer_id", table_name="plan_items")
    op.drop_index("ix_plan_items_negotiation_id", table_name="plan_items")
    op.drop_index("ix_plan_items_run_id", table_name="plan_items")
    op.drop_table("plan_items")
    op.drop_index("ix_plan_runs_status", table_name="plan_runs")
    op.drop_index("ix_plan_runs_plan_id", table_name="plan_runs")
    op.drop_table("plan_runs")
