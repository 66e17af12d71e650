"""Create the case tables: cases, alerts, case_history, silences, escalations, notifications.

Enum columns are plain VARCHAR(32) holding the enum's value, without CHECK
constraints (see ``adapters/orm.py``); times are TIMESTAMP WITH TIME ZONE
(UTC, naive, on SQLite).

Revision ID: 67c8bb65137e
Revises:
Create Date: 2026-11-22 22:39:46
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "67c8bb65137e"
down_revision = None
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum() -> sa.String:
    return sa.String(length=32)


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("school_id", sa.String(length=128), nullable=True),
        sa.Column("district_id", sa.String(length=128), nullable=True),
        sa.Column("rule_id", sa.String(length=32), nullable=False),
        sa.Column("subject_kind", _enum(), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("risk_area", _enum(), nullable=False),
        sa.Column("severity", _enum(), nullable=False),
        sa.Column("severity_rank", sa.SmallInteger(), nullable=False),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("state", _enum(), nullable=False),
        sa.Column("routed_to_district", sa.Boolean(), nullable=False),
        sa.Column("linked_case_id", sa.String(length=36), nullable=True),
        sa.Column("assignee", sa.String(length=128), nullable=True),
        sa.Column("resolution", _enum(), nullable=True),
        sa.Column("opened_at", _time(), nullable=False),
        sa.Column("first_alert_at", _time(), nullable=False),
        sa.Column("last_alert_at", _time(), nullable=False),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("stage_entered_at", _time(), nullable=True),
        sa.Column("stage_seq", sa.Integer(), nullable=False),
        sa.Column("deadline_at", _time(), nullable=True),
        sa.Column("terminal_at", _time(), nullable=True),
        sa.Column("history_count", sa.Integer(), nullable=False),
        sa.Column("chain_head", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["linked_case_id"], ["cases.id"], name="fk_cases_linked_case_id_cases"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
    )
    op.create_index(
        "ix_cases_case_key",
        "cases",
        ["school_id", "rule_id", "subject_kind", "subject_id", "opened_at"],
    )
    op.create_index("ix_cases_deadline", "cases", ["deadline_at", "id"])
    op.create_index(
        "ix_cases_district_inbox", "cases", ["district_id", "severity_rank", "deadline_at", "id"]
    )
    op.create_index("ix_cases_rule_resolution", "cases", ["rule_id", "resolution"])
    op.create_index(
        "ix_cases_school_inbox", "cases", ["school_id", "severity_rank", "deadline_at", "id"]
    )

    op.create_table(
        "silences",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("starts_at", _time(), nullable=False),
        sa.Column("ends_at", _time(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("expired_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_silences"),
    )
    op.create_index("ix_silences_ends_at", "silences", ["ends_at"])

    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.String(length=128), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("silence_id", sa.String(length=36), nullable=True),
        sa.Column("rule_id", sa.String(length=32), nullable=False),
        sa.Column("school_id", sa.String(length=128), nullable=True),
        sa.Column("severity", _enum(), nullable=False),
        sa.Column("event_time", _time(), nullable=False),
        sa.Column("received_at", _time(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_alerts_case_id_cases"),
        sa.ForeignKeyConstraint(
            ["silence_id"], ["silences.id"], name="fk_alerts_silence_id_silences"
        ),
        sa.PrimaryKeyConstraint("alert_id", name="pk_alerts"),
    )
    op.create_index("ix_alerts_case_id", "alerts", ["case_id"])
    op.create_index("ix_alerts_silence_id", "alerts", ["silence_id"])

    op.create_table(
        "case_history",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", _enum(), nullable=False),
        sa.Column("at", _time(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", _enum(), nullable=True),
        sa.Column("from_state", _enum(), nullable=True),
        sa.Column("to_state", _enum(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_history_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_case_history"),
        sa.UniqueConstraint("case_id", "seq", name="uq_case_history_case_id_seq"),
    )

    op.create_table(
        "escalations",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("stage_seq", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("audience", _enum(), nullable=False),
        sa.Column("unit_id", sa.String(length=128), nullable=True),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("due_at", _time(), nullable=False),
        sa.Column("recorded_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_escalations_case_id_cases"),
        sa.PrimaryKeyConstraint("key", name="pk_escalations"),
    )
    op.create_index("ix_escalations_case_id", "escalations", ["case_id"])

    op.create_table(
        "notifications",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("audience", _enum(), nullable=False),
        sa.Column("unit_id", sa.String(length=128), nullable=True),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", _enum(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("sent_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_notifications_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("key", name="uq_notifications_key"),
    )
    op.create_index("ix_notifications_case_id", "notifications", ["case_id"])
    op.create_index("ix_notifications_status_id", "notifications", ["status", "id"])


def downgrade() -> None:
    for table in ("notifications", "escalations", "case_history", "alerts", "silences", "cases"):
        op.drop_table(table)
