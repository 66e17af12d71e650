"""Add users, API tokens, console sessions, the personal-data access log and the notification delivery log.

Tokens and sessions hold only the sha256 of their secret. ``ix_cases_state_terminal``
serves the summary's time-to-close figures (the most recently closed cases).

Revision ID: 2fff4d07ca16
Revises: 67c8bb65137e
Create Date: 2026-11-22 22:56:17
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "2fff4d07ca16"
down_revision = "67c8bb65137e"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum() -> sa.String:
    return sa.String(length=32)


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("role", _enum(), nullable=False),
        sa.Column("district_id", sa.String(length=128), nullable=True),
        sa.Column("school_id", sa.String(length=128), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("revoked_at", _time(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_api_tokens_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("digest", name="uq_api_tokens_digest"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])

    op.create_table(
        "login_sessions",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("expires_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_login_sessions_user_id_users"),
        sa.PrimaryKeyConstraint("digest", name="pk_login_sessions"),
    )
    op.create_index("ix_login_sessions_expires_at", "login_sessions", ["expires_at"])
    op.create_index("ix_login_sessions_user_id", "login_sessions", ["user_id"])

    op.create_table(
        "case_reads",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("at", _time(), nullable=False),
        sa.Column("channel", _enum(), nullable=False),
        sa.Column("view", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_reads_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_case_reads"),
    )
    op.create_index("ix_case_reads_at", "case_reads", ["at"])
    op.create_index("ix_case_reads_case_id_at", "case_reads", ["case_id", "at"])

    op.create_table(
        "notification_deliveries",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("notification_key", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", _enum(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("at", _time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_notification_deliveries_case_id_cases"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notification_deliveries"),
    )
    op.create_index("ix_notification_deliveries_case_id", "notification_deliveries", ["case_id"])
    op.create_index(
        "ix_notification_deliveries_notification_key",
        "notification_deliveries",
        ["notification_key"],
    )

    op.create_index("ix_cases_state_terminal", "cases", ["state", "terminal_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_state_terminal", table_name="cases")
    for table in ("notification_deliveries", "case_reads", "login_sessions", "api_tokens", "users"):
        op.drop_table(table)
