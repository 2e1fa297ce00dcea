"""The audit log: ``audit_records`` (hash-chained, signed records) and ``audit_head`` (one row: the newest record),
with triggers that make the log append-only at the database level — UPDATE, DELETE (and TRUNCATE on PostgreSQL) of
a record are refused, a record can only be inserted beyond the head and as the successor of the record before it
(its ``prev_hash`` is that record's hash), and the head can only move forward, onto an existing record's hash.
Triggers only raise the bar (an owner can drop them): the evidence is the chain itself, checked by
``jnt audit verify``.

On SQLite a later ``batch_alter_table`` on these tables would copy them without their triggers: such a migration
must recreate them (``_sqlite_triggers``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from connector.store.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GENESIS = "0" * 64  # prev_hash of record 1, hash of the empty log

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused'); END""",
    f"""CREATE TRIGGER audit_records_next BEFORE INSERT ON audit_records
       WHEN NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1 AND seq < NEW.seq)
         OR NEW.prev_hash IS NOT (CASE WHEN NEW.seq = 1 THEN '{GENESIS}'
                                  ELSE (SELECT hash FROM audit_records WHERE seq = NEW.seq - 1) END)
       BEGIN SELECT RAISE(ABORT, 'audit log: a record must continue the chain'); END""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
       BEGIN SELECT RAISE(ABORT, 'audit log: the head cannot be deleted'); END""",
    """CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
       WHEN NEW.id IS NOT OLD.id OR NEW.seq <= OLD.seq
         OR NEW.hash IS NOT (SELECT hash FROM audit_records WHERE seq = NEW.seq)
       BEGIN SELECT RAISE(ABORT, 'audit log: the head only moves forward, onto a record'); END""",
)

# ERRCODE 23000 (integrity_constraint_violation): the drivers report it as an IntegrityError, as on SQLite.
_POSTGRESQL_FUNCTIONS = (
    """CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
           USING ERRCODE = 'integrity_constraint_violation';
       END $$""",
    # A row-level BEFORE trigger sees the rows inserted before it by the same statement: a multi-row INSERT of
    # consecutive records passes.
    f"""CREATE FUNCTION audit_record_next() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE head_seq integer;
       BEGIN
         SELECT seq INTO head_seq FROM audit_head WHERE id = 1;
         IF head_seq IS NULL OR NEW.seq <= head_seq
            OR NEW.prev_hash IS DISTINCT FROM (CASE WHEN NEW.seq = 1 THEN '{GENESIS}'
                                               ELSE (SELECT hash FROM audit_records WHERE seq = NEW.seq - 1) END) THEN
           RAISE EXCEPTION 'audit log: a record must continue the chain'
             USING ERRCODE = 'integrity_constraint_violation';
         END IF;
         RETURN NEW;
       END $$""",
    """CREATE FUNCTION audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.id <> OLD.id OR NEW.seq <= OLD.seq
            OR NEW.hash IS DISTINCT FROM (SELECT hash FROM audit_records WHERE seq = NEW.seq) THEN
           RAISE EXCEPTION 'audit log: the head only moves forward, onto a record'
             USING ERRCODE = 'integrity_constraint_violation';
         END IF;
         RETURN NEW;
       END $$""",
)
_POSTGRESQL_TRIGGERS = (
    """CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
       FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
       FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_records_next BEFORE INSERT ON audit_records
       FOR EACH ROW EXECUTE FUNCTION audit_record_next()""",
    """CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
       FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
       FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
       FOR EACH ROW EXECUTE FUNCTION audit_head_forward()""",
)


def _sqlite_triggers() -> None:
    for statement in _SQLITE_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(512), nullable=True),
        sa.Column("agreement_id", sa.String(255), nullable=True),
        sa.Column("transfer_id", sa.String(255), nullable=True),
        sa.Column("dataset_id", sa.String(1024), nullable=True),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("explanation_fr", sa.Text(), nullable=True),
        sa.Column("explanation_en", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("kid", sa.String(600), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_records"),
        sa.UniqueConstraint("id", name="uq_audit_records_id"),
    )
    for column in ("at", "event", "agreement_id", "transfer_id", "dataset_id"):
        op.create_index(f"ix_audit_records_{column}", "audit_records", [column])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])
    if op.get_bind().dialect.name == "postgresql":
        for statement in (*_POSTGRESQL_FUNCTIONS, *_POSTGRESQL_TRIGGERS):
            op.execute(statement)
    else:
        _sqlite_triggers()


def downgrade() -> None:
    # Dropping a table drops its triggers (both backends); the PostgreSQL functions go afterwards.
    op.drop_table("audit_head")
    for column in ("at", "event", "agreement_id", "transfer_id", "dataset_id"):
        op.drop_index(f"ix_audit_records_{column}", table_name="audit_records")
    op.drop_table("audit_records")
    if op.get_bind().dialect.name == "postgresql":
        for function in ("audit_refuse_change", "audit_record_next", "audit_head_forward"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
