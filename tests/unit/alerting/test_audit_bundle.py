"""Audit bundles: what an export holds, and that every kind of tampering is detected and named."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

import pytest

from qinglian.settings import Settings
from services.alerting.adapters.passwords import Argon2Hasher
from services.alerting.bootstrap import AlertingService, bootstrap
from services.alerting.domain.accounts import ReadChannel
from services.alerting.domain.audit_bundle import (
    ALERTS,
    CLOCK_SLACK,
    EVIDENCE,
    HISTORY,
    MANIFEST,
    README,
    SIGNATURE,
    SUMS,
)
from services.alerting.domain.bundle_check import BundleVerdict, check_bundle
from services.alerting.errors import AccessDenied, CaseNotFound
from services.alerting.testing import (
    RecordingEvidenceSource,
    add_sample_users,
    raw_event_record,
    sample_alert,
)

from .conftest import REPORT, REPORT_SHA

Files = dict[str, bytes]
KEY = b"export-key-for-tests"


def lines(content: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in content.decode().splitlines()]


def jsonl(records: list[dict[str, object]]) -> bytes:
    return b"".join(
        json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        for r in records
    )


def problems(verdict: BundleVerdict) -> dict[str, list[str]]:
    """Failed checks by their English title."""
    return {
        check.title.split(" / ")[1]: list(check.problems)
        for check in verdict.checks
        if not check.holds
    }


def rehashed(files: Files) -> Files:
    """What a careful forger does after an edit: recompute the manifest's hashes and SHA256SUMS."""
    manifest = json.loads(files[MANIFEST])
    manifest["files"] = {
        name: hashlib.sha256(files[name]).hexdigest() for name in manifest["files"]
    }
    forged = {**files, MANIFEST: json.dumps(manifest, ensure_ascii=False).encode()}
    forged[SUMS] = "".join(
        f"{hashlib.sha256(content).hexdigest()}  {name}\n"
        for name, content in sorted(forged.items())
        if name not in (SUMS, SIGNATURE)
    ).encode()
    return forged


def edited(files: Files, name: str, change: Callable[[list[dict[str, object]]], None]) -> Files:
    records = lines(files[name])
    change(records)
    return {**files, name: jsonl(records)}


class TestExport:
    def test_the_manifest_describes_the_case_and_every_file(
        self, bundle_files: Files, exporting: AlertingService, case_id: str
    ) -> None:
        manifest = json.loads(bundle_files[MANIFEST])
        case = exporting.case(case_id)
        assert manifest["case_id"] == case_id and manifest["exporter"] == "auditor-zhou"
        assert manifest["case"]["chain_head"] == case.chain_head
        assert manifest["case"]["history_count"] == case.history_count == 5
        assert manifest["counts"] == {
            "alerts": 2,
            "history_entries": 5,
            "evidence_found": 2,
            "evidence_missing": 1,
            "attachments": 1,
        }
        assert manifest["rules_config_hashes"] == ["0123456789abcdef", "9b1d4e7a2c3f5b68"]
        assert manifest["evidence"]["missing"] == ["ev-3"]
        assert manifest["attachments"] == [
            {"seq": 5, "name": "整改报告.pdf", "sha256": REPORT_SHA, "included": True}
        ]
        assert bundle_files[f"attachments/{REPORT_SHA}"] == REPORT
        assert set(manifest["files"]) == set(bundle_files) - {MANIFEST, SUMS}
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(bundle_files[name]).hexdigest() == digest

    def test_the_files_hold_the_alerts_history_and_raw_events(self, bundle_files: Files) -> None:
        assert [a["alert_id"] for a in lines(bundle_files[ALERTS])] == ["al-1", "al-2"]
        history = lines(bundle_files[HISTORY])
        assert [h["seq"] for h in history] == [1, 2, 3, 4, 5]
        assert history[0]["prev_hash"] == "0" * 64
        evidence = {e["event_id"]: e for e in lines(bundle_files[EVIDENCE])}
        assert set(evidence) == {"ev-1", "ev-2"}
        assert evidence["ev-1"]["offset"] == 7
        assert evidence["ev-1"]["value"] == raw_event_record("ev-1").value
        assert "sha256sum -c SHA256SUMS" in bundle_files[README].decode()
        assert bundle_files[SUMS].decode().count("\n") == len(bundle_files) - 1

    def test_evidence_is_looked_for_in_the_school_partition_before_detection(
        self, bundle_files: Files, evidence: RecordingEvidenceSource
    ) -> None:
        (query,) = evidence.queries
        detected = sample_alert().detected_at  # the same for every sample alert
        assert query.school_id == "500102001"
        assert query.event_ids == {"ev-1", "ev-2", "ev-3"}
        assert query.until == detected + CLOCK_SLACK
        # Back by the second alert's seven-day window plus the default lookback of a day.
        assert query.since == detected - timedelta(days=7) - timedelta(days=1)

    def test_an_untouched_bundle_verifies(self, bundle_files: Files) -> None:
        verdict = check_bundle(bundle_files)
        assert verdict.holds, problems(verdict)
        assert len(verdict.checks) == 6


class TestTampering:
    def test_an_edited_history_line_is_named(self, bundle_files: Files) -> None:
        forged = edited(bundle_files, HISTORY, lambda h: h[2].update(comment="无需核查"))
        for bundle in (forged, rehashed(forged)):
            found = problems(check_bundle(bundle))
            assert found["hash chain"] == [
                "history.jsonl: 记录被修改 / edited: entry seq 3 does not match its hash"
            ]
        assert any(HISTORY in p for p in problems(check_bundle(forged))["file hashes"])

    def test_dropping_the_last_history_line_is_named_even_when_rehashed(
        self, bundle_files: Files
    ) -> None:
        forged = edited(bundle_files, HISTORY, lambda h: h.pop())
        found = problems(check_bundle(rehashed(forged)))
        assert found.keys() == {"hash chain", "attachments"}, "the dropped entry attached a file"
        (problem,) = found["hash chain"]
        assert "truncated" in problem and "5 entries, found 4" in problem
        assert problems(check_bundle(forged))["file hashes"][0] == (
            "history.jsonl: sha256 与 manifest.json 不符 / sha256 differs from manifest.json"
        )

    def test_a_changed_evidence_event_is_named(self, bundle_files: Files) -> None:
        def swap(records: list[dict[str, object]]) -> None:
            records[0]["value"] = str(records[0]["value"]).replace("验收", "未验收")

        found = problems(check_bundle(edited(bundle_files, EVIDENCE, swap)))
        assert found["evidence"] == [
            "evidence.jsonl: 事件 ev-1 原文被改动 / event ev-1: value sha256 differs"
        ]
        assert found["file hashes"] == [
            "evidence.jsonl: sha256 与 manifest.json 不符 / sha256 differs from manifest.json",
            "evidence.jsonl: sha256 与 SHA256SUMS 不符 / sha256 differs from SHA256SUMS",
        ]

    def test_another_event_passed_off_as_evidence_is_named(self, bundle_files: Files) -> None:
        def substitute(records: list[dict[str, object]]) -> None:
            other = raw_event_record("ev-other").value
            records[0].update(value=other, value_sha256=hashlib.sha256(other.encode()).hexdigest())

        found = problems(check_bundle(rehashed(edited(bundle_files, EVIDENCE, substitute))))
        (problem,) = found.pop("evidence")
        assert problem.endswith("event ev-1: the value is not a CloudEvent with this id")
        assert found == {}

    def test_a_changed_alert_is_named(self, bundle_files: Files) -> None:
        forged = edited(bundle_files, ALERTS, lambda a: a[0].update(measured_value="2"))
        assert problems(check_bundle(forged)) == {
            "file hashes": [
                "alerts.jsonl: sha256 与 manifest.json 不符 / sha256 differs from manifest.json",
                "alerts.jsonl: sha256 与 SHA256SUMS 不符 / sha256 differs from SHA256SUMS",
            ]
        }

    def test_evidence_neither_present_nor_listed_missing_is_named(
        self, bundle_files: Files
    ) -> None:
        forged = edited(bundle_files, ALERTS, lambda a: a[0].update(evidence_event_ids=["ev-9"]))
        (problem,) = problems(check_bundle(rehashed(forged)))["evidence"]
        assert (
            "alert al-1: evidence ev-9 is neither in evidence.jsonl nor listed as missing"
            in problem
        )

    def test_an_alert_not_in_the_history_is_named(self, bundle_files: Files) -> None:
        forged = edited(bundle_files, ALERTS, lambda a: a[1].update(alert_id="al-forged"))
        found = problems(check_bundle(rehashed(forged)))["alerts"]
        assert any("alert al-forged is not in the history" in p for p in found)
        assert any("alert al-2 of the history is missing" in p for p in found)

    def test_a_replaced_attachment_is_named(self, bundle_files: Files) -> None:
        forged = rehashed({**bundle_files, f"attachments/{REPORT_SHA}": b"another report"})
        assert problems(check_bundle(forged)) == {
            "attachments": [
                f"attachments/{REPORT_SHA}: 附件内容被改动 / attachment 整改报告.pdf was changed"
            ]
        }

    def test_an_extra_file_is_named(self, bundle_files: Files) -> None:
        found = problems(check_bundle({**bundle_files, "notes.txt": b"added later"}))
        assert found == {
            "file hashes": ["notes.txt: 清单未列出的文件 / not listed in manifest.json"]
        }

    def test_an_unreadable_history_line_is_named_not_a_crash(self, bundle_files: Files) -> None:
        forged = {**bundle_files, HISTORY: bundle_files[HISTORY] + b"{not json\n"}
        found = problems(check_bundle(rehashed(forged)))
        assert found["hash chain"][0].startswith("history.jsonl 第 6 行不是 JSON / line 6")

    def test_a_folder_without_a_manifest_is_not_a_bundle(self) -> None:
        verdict = check_bundle({"alerts.jsonl": b""})
        assert not verdict.holds
        assert problems(verdict) == {
            "manifest": ["manifest.json 缺失，这不是审计包 / missing: this is not an audit bundle"]
        }


class TestSignature:
    @pytest.fixture
    def signed(self, exporting: AlertingService, case_id: str) -> Files:
        signing = bootstrap(
            Settings(audit_export_key=KEY.decode()),
            uow=exporting.uow,
            hasher=Argon2Hasher.for_tests(),
            evidence=RecordingEvidenceSource(),
            attachments=exporting.export_sources.attachments,
        )
        return signing.export_case(case_id, exporter="tester").files

    def test_a_signed_bundle_verifies_with_the_key(self, signed: Files) -> None:
        assert signed[SIGNATURE].decode().startswith("hmac-sha256:")
        verdict = check_bundle(signed, signing_key=KEY)
        assert verdict.holds, problems(verdict)

    def test_without_the_key_the_signature_is_reported_unchecked(self, signed: Files) -> None:
        verdict = check_bundle(signed)
        assert verdict.holds
        assert "not checked" in verdict.checks[1].summary

    def test_a_rehashed_forgery_fails_the_signature(self, signed: Files) -> None:
        forged = rehashed(edited(signed, ALERTS, lambda a: a[0].update(measured_value="2")))
        assert problems(check_bundle(forged, signing_key=KEY)) == {
            "signature": [
                "manifest.sig: 签名与 manifest.json 不符 / HMAC does not match manifest.json"
            ]
        }

    def test_an_unsigned_bundle_fails_when_a_key_is_expected(self, bundle_files: Files) -> None:
        assert list(problems(check_bundle(bundle_files, signing_key=KEY))) == ["signature"]


class TestWhoMayExport:
    def test_auditors_export_and_the_read_is_logged(
        self, exporting: AlertingService, case_id: str
    ) -> None:
        users = add_sample_users(exporting)
        export = exporting.export_for(users["auditor"], case_id, ReadChannel.API)
        assert json.loads(export.files[MANIFEST])["exporter"] == "auditor"
        (read,) = exporting.case_reads(case_id=case_id)
        assert (read.username, read.view, read.channel) == (
            "auditor",
            "audit_export",
            ReadChannel.API,
        )

    def test_other_roles_may_not(self, exporting: AlertingService, case_id: str) -> None:
        users = add_sample_users(exporting)
        with pytest.raises(AccessDenied):
            exporting.export_for(users["inspector"], case_id, ReadChannel.CONSOLE)
        with pytest.raises(CaseNotFound):
            exporting.export_for(users["neighbour"], case_id, ReadChannel.CONSOLE)
        assert exporting.case_reads(case_id=case_id) == []
