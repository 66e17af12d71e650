"""Create ingest_dedup (push and pull dedup by source and event id) and connector_checkpoints.

Before this revision the services made both tables with ``create_all`` at
start-up, with exactly these columns: a table that is already there is adopted
as it is (`qinglian db check` then compares it with the models).

Revision ID: 5b1e0c7d9a42
Revises:
Create Date: 2026-11-23 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5b1e0c7d9a42"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "ingest_dedup" not in existing:
        _create_ingest_dedup()
    if "connector_checkpoints" not in existing:
        _create_connector_checkpoints()


def _create_ingest_dedup() -> None:
    op.create_table(
        "ingest_dedup",
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.String(length=256), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source_id", "event_id"),
        comment="Event ids (per source) already stored in Kafka by the ingest service.",
    )


def _create_connector_checkpoints() -> None:
    op.create_table(
        "connector_checkpoints",
        sa.Column("connector_id", sa.String(length=128), nullable=False),
        sa.Column("stream", sa.String(length=512), nullable=False),
        sa.Column("position", sa.JSON(), nullable=False),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("connector_id", "stream"),
        comment="Pull connectors: how far each connector got in each stream (table, resource, dropped file).",
    )


def downgrade() -> None:
    op.drop_table("connector_checkpoints")
    op.drop_table("ingest_dedup")
