"""Initial control-plane schema: negotiations, agreements, transfers, messages_seen; adopts the identity layer's
replay table (``identity_seen_tokens``, still also created on demand by ``ReplayStore``).

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from connector.store.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _process_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("provider_pid", sa.String(255), nullable=True),
        sa.Column("consumer_pid", sa.String(255), nullable=True),
        sa.Column("counterparty_did", sa.String(512), nullable=False),
        sa.Column("counterparty_address", sa.String(2048), nullable=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("intent", sa.String(32), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("retry_count", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(255), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def _process_table(name: str, *extra: sa.Column) -> None:
    op.create_table(
        name, *_process_columns(), *extra,
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        sa.UniqueConstraint("role", "provider_pid", name=f"uq_{name}_role_provider_pid"),
        sa.UniqueConstraint("role", "consumer_pid", name=f"uq_{name}_role_consumer_pid"),
    )
    op.create_index(f"ix_{name}_intent_next_attempt_at", name, ["intent", "next_attempt_at"])


def upgrade() -> None:
    _process_table(
        "negotiations",
        sa.Column("offer", sa.JSON(), nullable=True),
        sa.Column("agreement_id", sa.String(255), nullable=True),
        sa.Column("dataset_id", sa.String(1024), nullable=True),
    )
    _process_table(
        "transfers",
        sa.Column("agreement_id", sa.String(255), nullable=False),
        sa.Column("format", sa.String(255), nullable=True),
        sa.Column("data_address", sa.JSON(), nullable=True),
    )
    op.create_index("ix_transfers_agreement_id", "transfers", ["agreement_id"])
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("negotiation_id", sa.String(64), nullable=False),
        sa.Column("provider_did", sa.String(512), nullable=False),
        sa.Column("consumer_did", sa.String(512), nullable=False),
        sa.Column("target", sa.String(1024), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("signed_jws", sa.Text(), nullable=True),
        sa.Column("timestamp", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agreements"),
    )
    op.create_index("ix_agreements_negotiation_id", "agreements", ["negotiation_id"])
    op.create_table(
        "messages_seen",
        sa.Column("process_kind", sa.String(16), nullable=False),
        sa.Column("process_id", sa.String(64), nullable=False),
        sa.Column("message_key", sa.String(255), nullable=False),
        sa.Column("message_type", sa.String(128), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("process_kind", "process_id", "message_key", name="pk_messages_seen"),
    )
    # The identity layer's replay table: adopted as is when ReplayStore already created it.
    if not sa.inspect(op.get_bind()).has_table("identity_seen_tokens"):
        op.create_table(
            "identity_seen_tokens",
            sa.Column("issuer", sa.String(512), primary_key=True),
            sa.Column("jti", sa.String(255), primary_key=True),
            sa.Column("expires_at", sa.Float(), nullable=False),
        )
        op.create_index("ix_identity_seen_tokens_expires_at", "identity_seen_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_table("messages_seen")
    op.drop_table("agreements")
    op.drop_table("transfers")
    op.drop_table("negotiations")
