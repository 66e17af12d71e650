"""Checking an audit bundle offline: every file's hash, the signature, the history chain, the evidence.

``check_bundle(files, signing_key=...)`` takes the bundle's files (name → bytes)
and returns one ``Check`` per aspect, each naming exactly what fails. The history
chain is checked by ``domain.history.verify_chain``, the code that checks the
case database, against the chain head and entry count the manifest recorded.
The bundle is untrusted input: a malformed file is a failure, never a crash.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from services.alerting.domain.audit_bundle import (
    ALERTS,
    ATTACHMENTS_DIR,
    BUNDLE_FORMAT,
    EVIDENCE,
    HISTORY,
    MANIFEST,
    SIGNATURE,
    SIGNATURE_PREFIX,
    SUMS,
    attachment_list,
    rules_config_hashes,
    sha256_hex,
    sign,
)
from services.alerting.domain.history import EntryKind, HistoryEntry, verify_chain

UNLISTED = frozenset({MANIFEST, SIGNATURE, SUMS})


@dataclass(frozen=True, slots=True)
class Check:
    title: str
    problems: tuple[str, ...] = ()
    summary: str = ""

    @property
    def holds(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class BundleVerdict:
    case_id: str | None
    checks: tuple[Check, ...]

    @property
    def holds(self) -> bool:
        return all(check.holds for check in self.checks)


class _Malformed(Exception):
    """A file of the bundle cannot be read as the format says; the message names it."""


@dataclass(frozen=True, slots=True)
class _Bundle:
    files: Mapping[str, bytes]
    manifest: dict[str, Any]

    def lines(self, name: str) -> list[dict[str, Any]]:
        content = self.files.get(name)
        if content is None:
            raise _Malformed(f"{name}: 文件缺失 / file is missing")
        records = []
        for number, line in enumerate(content.decode("utf-8", "replace").splitlines(), start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _Malformed(f"{name} 第 {number} 行不是 JSON / line {number}: {exc}") from exc
            if not isinstance(record, dict):
                raise _Malformed(f"{name} 第 {number} 行不是对象 / line {number} is not an object")
            records.append(record)
        return records


def check_bundle(files: Mapping[str, bytes], *, signing_key: bytes | None = None) -> BundleVerdict:
    try:
        manifest = _manifest(files)
    except _Malformed as exc:
        return BundleVerdict(None, (Check("清单 / manifest", (str(exc),)),))
    bundle = _Bundle(files, manifest)
    checks = (
        _guarded("文件哈希 / file hashes", _file_hashes, bundle),
        _guarded("签名 / signature", lambda b: _signature(b, signing_key), bundle),
        _guarded("哈希链 / hash chain", _history_chain, bundle),
        _guarded("预警 / alerts", _alerts, bundle),
        _guarded("原始证据 / evidence", _evidence, bundle),
        _guarded("附件 / attachments", _attachments, bundle),
    )
    return BundleVerdict(str(manifest.get("case_id")), checks)


def _manifest(files: Mapping[str, bytes]) -> dict[str, Any]:
    if MANIFEST not in files:
        raise _Malformed(f"{MANIFEST} 缺失，这不是审计包 / missing: this is not an audit bundle")
    try:
        manifest = json.loads(files[MANIFEST])
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _Malformed(f"{MANIFEST} 不是 JSON / is not JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise _Malformed(f"{MANIFEST}: 格式不是 / format is not {BUNDLE_FORMAT}")
    return manifest


def _guarded(
    title: str, check: Callable[[_Bundle], tuple[list[str], str]], bundle: _Bundle
) -> Check:
    try:
        problems, summary = check(bundle)
    except _Malformed as exc:
        return Check(title, (str(exc),))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return Check(title, (f"格式错误 / malformed content: {type(exc).__name__}: {exc}",))
    return Check(title, tuple(problems), summary)


def _file_hashes(bundle: _Bundle) -> tuple[list[str], str]:
    listed: dict[str, str] = bundle.manifest["files"]
    problems = list(_mismatches(bundle.files, listed.items(), MANIFEST))
    problems += [
        f"{name}: 清单未列出的文件 / not listed in {MANIFEST}"
        for name in sorted(set(bundle.files) - set(listed) - UNLISTED)
    ]
    if SUMS in bundle.files:
        sums = [line.split("  ", 1) for line in bundle.files[SUMS].decode().splitlines()]
        problems += _mismatches(bundle.files, ((name, digest) for digest, name in sums), SUMS)
    return problems, f"{len(listed)} 个文件 / files"


def _mismatches(files: Mapping[str, bytes], listed: Any, where: str) -> Iterator[str]:
    for name, digest in listed:
        if name not in files:
            yield f"{name}: 文件缺失 / missing (listed in {where})"
        elif sha256_hex(files[name]) != digest:
            yield f"{name}: sha256 与 {where} 不符 / sha256 differs from {where}"


def _signature(bundle: _Bundle, key: bytes | None) -> tuple[list[str], str]:
    stated = bundle.files.get(SIGNATURE)
    if stated is None:
        if key is not None:
            return [f"{SIGNATURE} 缺失：审计包未签名 / missing: the bundle is not signed"], ""
        return [], "未签名 / not signed"
    if key is None:
        return [], "有签名，未提供密钥，未核验 / signed; no key given, not checked"
    expected = SIGNATURE_PREFIX + sign(bundle.files[MANIFEST], key)
    if not hmac.compare_digest(stated.decode(errors="replace").strip(), expected):
        return [f"{SIGNATURE}: 签名与 {MANIFEST} 不符 / HMAC does not match {MANIFEST}"], ""
    return [], "HMAC-SHA256 一致 / matches"


def _history_chain(bundle: _Bundle) -> tuple[list[str], str]:
    case = bundle.manifest["case"]
    entries = []
    for number, record in enumerate(bundle.lines(HISTORY), start=1):
        try:
            entries.append(HistoryEntry.from_record(record))
        except (KeyError, TypeError, ValueError) as exc:
            raise _Malformed(f"{HISTORY} 第 {number} 行无法读取 / line {number}: {exc!r}") from exc
    problems = [
        f"{HISTORY} seq {entry.seq}: 属于其他案件 / belongs to case {entry.case_id}"
        for entry in entries
        if entry.case_id != case["id"]
    ]
    status = verify_chain(entries, head_hash=case["chain_head"], entry_count=case["history_count"])
    if not status.intact:
        problems.append(f"{HISTORY}: {status.describe()}")
    return problems, f"{len(entries)} 条记录，链头一致 / entries, head matches"


def _alerts(bundle: _Bundle) -> tuple[list[str], str]:
    alerts = bundle.lines(ALERTS)
    in_history = {
        record["details"].get("alert_id")
        for record in bundle.lines(HISTORY)
        if record.get("kind") in (EntryKind.OPENED.value, EntryKind.EVIDENCE_ADDED.value)
    }
    in_file = [alert["alert_id"] for alert in alerts]
    problems = [
        f"{ALERTS}: 预警 {alert_id} 不在处置记录中 / alert {alert_id} is not in the history"
        for alert_id in in_file
        if alert_id not in in_history
    ]
    problems += [
        f"{ALERTS}: 缺少处置记录中的预警 {alert_id} / alert {alert_id} of the history is missing"
        for alert_id in sorted(in_history - set(in_file), key=str)
    ]
    if len(set(in_file)) != len(in_file):
        problems.append(f"{ALERTS}: 预警重复 / an alert appears twice")
    if rules_config_hashes(alerts) != bundle.manifest["rules_config_hashes"]:
        problems.append(
            f"{MANIFEST}: rules_config_hashes 与预警不符 / differ from the alerts' hashes"
        )
    problems += _count(bundle, "alerts", len(alerts))
    return problems, f"{len(alerts)} 条 / alerts"


def _evidence(bundle: _Bundle) -> tuple[list[str], str]:
    records = bundle.lines(EVIDENCE)
    problems: list[str] = []
    found: set[str] = set()
    for record in records:
        event_id = record["event_id"]
        found.add(event_id)
        if sha256_hex(record["value"].encode()) != record["value_sha256"]:
            problems.append(
                f"{EVIDENCE}: 事件 {event_id} 原文被改动 / event {event_id}: value sha256 differs"
            )
        elif _event_id(record["value"]) != event_id:
            problems.append(
                f"{EVIDENCE}: 事件 {event_id} 原文不是该事件 / event {event_id}: the value is not "
                "a CloudEvent with this id"
            )
    missing = set(bundle.manifest["evidence"]["missing"])
    cited = {
        (alert["alert_id"], i)
        for alert in bundle.lines(ALERTS)
        for i in alert["evidence_event_ids"]
    }
    problems += [
        f"预警 {alert_id} 的证据 {event_id} 既不在 {EVIDENCE} 也未列为缺失 / "
        f"alert {alert_id}: evidence {event_id} is neither in {EVIDENCE} nor listed as missing"
        for alert_id, event_id in sorted(cited)
        if event_id not in found and event_id not in missing
    ]
    problems += [
        f"{MANIFEST}: 证据 {event_id} 列为缺失却在包中 / listed as missing but present"
        for event_id in sorted(missing & found)
    ]
    problems += _count(bundle, "evidence_found", len(records))
    problems += _count(bundle, "evidence_missing", len(missing))
    return (
        problems,
        f"找到 {len(found)} 条，缺失 {len(missing)} 条 / {len(found)} found, {len(missing)} missing",
    )


def _event_id(value: str) -> object:
    try:
        event = json.loads(value)
    except json.JSONDecodeError:
        return None
    return event.get("id") if isinstance(event, dict) else None


def _attachments(bundle: _Bundle) -> tuple[list[str], str]:
    entries = [HistoryEntry.from_record(record) for record in bundle.lines(HISTORY)]
    listed = bundle.manifest["attachments"]
    problems = []
    if [{k: item[k] for k in ("seq", "name", "sha256")} for item in listed] != attachment_list(
        entries
    ):
        problems.append(f"{MANIFEST}: 附件清单与处置记录不符 / attachments differ from the history")
    for item in listed:
        name = ATTACHMENTS_DIR + item["sha256"]
        content = bundle.files.get(name)
        if item["included"] and content is None:
            problems.append(f"{name}: 附件缺失 / attachment {item['name']} is missing")
        elif content is not None and sha256_hex(content) != item["sha256"]:
            problems.append(f"{name}: 附件内容被改动 / attachment {item['name']} was changed")
    included = sum(1 for item in listed if item["included"])
    return (
        problems,
        f"{len(listed)} 个，随包 {included} 个 / {len(listed)} listed, {included} included",
    )


def _count(bundle: _Bundle, name: str, actual: int) -> list[str]:
    stated = bundle.manifest["counts"][name]
    if stated == actual:
        return []
    return [f"{MANIFEST}: counts.{name} 为 {stated}，实际 {actual} / says {stated}, found {actual}"]
