"""The local broker's KRaft cluster id never reads as a command-line option."""

from __future__ import annotations

import base64
import uuid

from qinglian.stack.kafka import new_cluster_id

STARTS_WITH_DASH = uuid.UUID(bytes=b"\xf8" + bytes(15))  # URL-safe base64 "-A…"
PLAIN = uuid.UUID(int=7)


def test_an_id_that_would_start_with_a_dash_is_drawn_again() -> None:
    assert base64.urlsafe_b64encode(STARTS_WITH_DASH.bytes).decode().startswith("-")
    drawn = iter([STARTS_WITH_DASH, PLAIN])
    assert new_cluster_id(lambda: next(drawn)) == base64.urlsafe_b64encode(
        PLAIN.bytes
    ).decode().rstrip("=")


def test_a_cluster_id_is_22_url_safe_characters() -> None:
    cluster_id = new_cluster_id()
    assert len(cluster_id) == 22 and not cluster_id.startswith("-")
