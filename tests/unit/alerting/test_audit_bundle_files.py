"""Audit bundles on disk (zip file or directory) and `qinglian audit verify BUNDLE`, which needs no database."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from qinglian.cli import app
from services.alerting.adapters.bundle_archive import read_bundle, write_bundle, zip_bytes
from services.alerting.domain.audit_bundle import HISTORY
from services.alerting.errors import InvalidBundle

Files = dict[str, bytes]
# Nothing listens there: a command that touched the database would fail.
NOWHERE = "postgresql+psycopg://nobody@127.0.0.1:9/nowhere"


def verify(bundle: Path, **environment: str) -> Result:
    return CliRunner().invoke(
        app,
        ["audit", "verify", str(bundle)],
        env={"QINGLIAN_DATABASE_URL": NOWHERE, **environment},
    )


class TestOnDisk:
    @pytest.mark.parametrize("name", ["case.zip", "case-bundle"])
    def test_a_written_bundle_reads_back_identically(
        self, bundle_files: Files, tmp_path: Path, name: str
    ) -> None:
        write_bundle(bundle_files, tmp_path / name)
        assert read_bundle(tmp_path / name) == bundle_files

    def test_the_zip_depends_on_the_content_only(self, bundle_files: Files) -> None:
        assert zip_bytes(bundle_files) == zip_bytes(dict(reversed(bundle_files.items())))

    def test_an_existing_bundle_is_never_overwritten(
        self, bundle_files: Files, tmp_path: Path
    ) -> None:
        for name in ("case.zip", "case-bundle"):
            write_bundle(bundle_files, tmp_path / name)
            with pytest.raises(InvalidBundle, match="already exists|not empty"):
                write_bundle(bundle_files, tmp_path / name)

    def test_a_zip_entry_pointing_outside_the_bundle_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "evil.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("../outside.txt", b"x")
        with pytest.raises(InvalidBundle, match="unsafe file name"):
            read_bundle(path)

    def test_a_file_that_is_not_a_zip_is_named(self, tmp_path: Path) -> None:
        path = tmp_path / "bundle.zip"
        path.write_text("not a zip")
        with pytest.raises(InvalidBundle, match="is not a zip bundle"):
            read_bundle(path)


class TestVerifyCommand:
    def test_an_intact_bundle_verifies_offline(self, bundle_files: Files, tmp_path: Path) -> None:
        write_bundle(bundle_files, tmp_path / "case.zip")
        result = verify(tmp_path / "case.zip")
        assert result.exit_code == 0, result.output
        assert "通过 / OK      哈希链 / hash chain: 5 条记录" in result.output
        assert result.output.rstrip().endswith("bundle verified: every check holds")

    def test_a_tampered_bundle_fails_naming_what_failed(
        self, bundle_files: Files, tmp_path: Path
    ) -> None:
        write_bundle(bundle_files, tmp_path / "case")
        history = tmp_path / "case" / HISTORY
        history.write_bytes(history.read_bytes().replace("请核查".encode(), "无需核查".encode()))
        result = verify(tmp_path / "case")
        assert result.exit_code == 1, result.output
        failures = [line for line in result.output.splitlines() if "FAILED" in line]
        assert len(failures) == 4
        assert "file hashes: history.jsonl: sha256" in failures[0]
        assert "differs from SHA256SUMS" in failures[1]
        assert failures[2].endswith(
            "hash chain: history.jsonl: 记录被修改 / edited: entry seq 3 does not match its hash"
        )
        assert failures[3] == "审计包校验未通过：3 处问题 / bundle verification FAILED: 3 problems"

    def test_the_signature_is_checked_with_the_configured_key(
        self, bundle_files: Files, tmp_path: Path
    ) -> None:
        write_bundle(bundle_files, tmp_path / "case.zip")
        result = verify(tmp_path / "case.zip", QINGLIAN_AUDIT_EXPORT_KEY="expected-a-signature")
        assert result.exit_code == 1
        assert (
            "manifest.sig 缺失：审计包未签名 / missing: the bundle is not signed" in result.output
        )
