"""Request authentication: per-source HMAC keys, rotation, timestamp window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.ingest.domain.signature import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    SOURCE_HEADER,
    TIMESTAMP_HEADER,
    authenticate,
    signature,
    signing_headers,
)
from services.ingest.domain.sources import SourceRegistry, SourceSystem
from services.ingest.errors import AuthenticationFailed
from tests.unit.ingest.support import NEW_KEY, NOW, OLD_KEY, SigningKey, registry_of

BODY = b'{"id": "e-1"}'
WINDOW = timedelta(seconds=300)


def check(headers: dict[str, str], body: bytes = BODY, now=NOW) -> str:
    return authenticate(registry_of(), headers, body, now=now, window=WINDOW).source_id


class TestValidSignatures:
    def test_signed_with_the_current_key(self) -> None:
        assert check(signing_headers("fuling-finance", NEW_KEY, BODY, NOW)) == "fuling-finance"

    def test_rotation_accepts_the_second_key_too(self) -> None:
        assert check(signing_headers("fuling-finance", OLD_KEY, BODY, NOW)) == "fuling-finance"

    def test_without_key_id_every_active_key_is_tried(self) -> None:
        headers = signing_headers("fuling-finance", OLD_KEY, BODY, NOW)
        del headers[KEY_ID_HEADER]
        assert check(headers) == "fuling-finance"

    def test_rfc3339_timestamp_with_offset(self) -> None:
        stamp = (NOW + timedelta(seconds=30)).astimezone().isoformat()
        headers = {
            SOURCE_HEADER: "fuling-finance",
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: signature(NEW_KEY.secret, stamp, BODY).upper(),
        }
        assert check(headers) == "fuling-finance"


class TestRefusals:
    def refusal(self, headers: dict[str, str], body: bytes = BODY, now=NOW) -> str:
        with pytest.raises(AuthenticationFailed) as caught:
            check(headers, body, now)
        assert caught.value.status_code == 401
        return caught.value.message

    def test_unsigned(self) -> None:
        assert "unsigned" in self.refusal({SOURCE_HEADER: "fuling-finance"})

    def test_missing_source(self) -> None:
        headers = signing_headers("fuling-finance", NEW_KEY, BODY, NOW)
        del headers[SOURCE_HEADER]
        assert SOURCE_HEADER in self.refusal(headers)

    def test_a_pull_only_source_may_not_push_even_with_a_key(self) -> None:
        pull_only = SourceSystem("xueji", (NEW_KEY,), ("*",), ("*",), may_push=False)
        headers = signing_headers("xueji", NEW_KEY, BODY, NOW)
        with pytest.raises(AuthenticationFailed, match="pull-only") as caught:
            authenticate(SourceRegistry.of([pull_only]), headers, BODY, now=NOW, window=WINDOW)
        assert caught.value.status_code == 401

    def test_unknown_source(self) -> None:
        assert "not registered" in self.refusal(signing_headers("someone-else", NEW_KEY, BODY, NOW))

    def test_wrong_secret(self) -> None:
        forged = SigningKey(NEW_KEY.key_id, b"guessed")
        assert "does not match" in self.refusal(
            signing_headers("fuling-finance", forged, BODY, NOW)
        )

    def test_body_changed_after_signing(self) -> None:
        headers = signing_headers("fuling-finance", NEW_KEY, BODY, NOW)
        assert "does not match" in self.refusal(headers, body=BODY + b" ")

    def test_key_id_of_a_retired_key(self) -> None:
        retired = SigningKey("2024-09", b"retired")
        assert "not an active key" in self.refusal(
            signing_headers("fuling-finance", retired, BODY, NOW)
        )

    def test_key_id_names_the_other_active_key(self) -> None:
        headers = signing_headers("fuling-finance", OLD_KEY, BODY, NOW)
        headers[KEY_ID_HEADER] = NEW_KEY.key_id
        assert "does not match" in self.refusal(headers)

    @pytest.mark.parametrize(
        "skew", [timedelta(seconds=-301), timedelta(seconds=301), timedelta(days=-1)]
    )
    def test_timestamp_outside_the_window(self, skew: timedelta) -> None:
        message = self.refusal(signing_headers("fuling-finance", NEW_KEY, BODY, NOW + skew))
        assert "±300 s" in message

    def test_timestamp_at_the_edge_of_the_window_is_accepted(self) -> None:
        assert (
            check(signing_headers("fuling-finance", NEW_KEY, BODY, NOW - WINDOW))
            == "fuling-finance"
        )

    def test_timestamp_without_offset(self) -> None:
        stamp = "2025-09-01T08:00:00"
        headers = {
            SOURCE_HEADER: "fuling-finance",
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: signature(NEW_KEY.secret, stamp, BODY),
        }
        assert "UTC offset" in self.refusal(headers)

    def test_garbage_timestamp(self) -> None:
        headers = {
            SOURCE_HEADER: "fuling-finance",
            TIMESTAMP_HEADER: "yesterday",
            SIGNATURE_HEADER: "0" * 64,
        }
        assert "neither unix seconds nor RFC 3339" in self.refusal(headers)

    def test_signature_not_hex(self) -> None:
        headers = signing_headers("fuling-finance", NEW_KEY, BODY, NOW)
        headers[SIGNATURE_HEADER] = "sha256=" + headers[SIGNATURE_HEADER]
        assert "64-character hex" in self.refusal(headers)
