"""A case's history as a hash chain, so an edit made directly in the database shows.

Each entry stores ``sha256(canonical JSON of its content, which includes the
previous entry's hash)``. The case row keeps the hash of the last entry and the
number of entries, so removing entries from the end is detected too: a chain
can only be rewritten undetected by someone who also recomputes every later
hash and updates the case row.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.alerting.domain.workflow import Action, CaseState

GENESIS_HASH = "0" * 64
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class EntryKind(enum.Enum):
    OPENED = "opened"
    EVIDENCE_ADDED = "evidence_added"
    TRANSITIONED = "transitioned"
    ESCALATED = "escalated"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a transition, identified by its content hash (the file itself is stored elsewhere)."""

    name: str
    sha256: str

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("attachment name is empty / 附件名为空")
        if not _SHA256_HEX.fullmatch(self.sha256):
            raise ValueError(
                f"attachment {self.name!r}: sha256 must be 64 lower-case hex digits / 附件哈希格式错误"
            )


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    case_id: str
    seq: int
    kind: EntryKind
    at: datetime
    actor: str
    prev_hash: str
    hash: str
    action: Action | None = None
    from_state: CaseState | None = None
    to_state: CaseState | None = None
    comment: str = ""
    attachments: tuple[Attachment, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def content(self) -> dict[str, Any]:
        """Everything the hash covers: all fields except the hash itself."""
        return {
            "case_id": self.case_id,
            "seq": self.seq,
            "kind": self.kind.value,
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": self.actor,
            "action": self.action.value if self.action else None,
            "from_state": self.from_state.value if self.from_state else None,
            "to_state": self.to_state.value if self.to_state else None,
            "comment": self.comment,
            "attachments": [{"name": a.name, "sha256": a.sha256} for a in self.attachments],
            "details": self.details,
            "prev_hash": self.prev_hash,
        }

    def computed_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.content())).hexdigest()

    def record(self) -> dict[str, Any]:
        """The entry as one self-contained record (its content plus its hash), as audit bundles hold it."""
        return {**self.content(), "hash": self.hash}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> HistoryEntry:
        """The inverse of ``record``; raises KeyError, TypeError or ValueError on a malformed record."""
        action, from_state, to_state = (
            record[name] for name in ("action", "from_state", "to_state")
        )
        return cls(
            case_id=record["case_id"],
            seq=record["seq"],
            kind=EntryKind(record["kind"]),
            at=datetime.fromisoformat(record["at"]),
            actor=record["actor"],
            prev_hash=record["prev_hash"],
            hash=record["hash"],
            action=None if action is None else Action(action),
            from_state=None if from_state is None else CaseState(from_state),
            to_state=None if to_state is None else CaseState(to_state),
            comment=record["comment"],
            attachments=tuple(Attachment(a["name"], a["sha256"]) for a in record["attachments"]),
            details=record["details"],
        )


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same content always gives the same bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def chained_entry(
    *,
    case_id: str,
    seq: int,
    prev_hash: str,
    kind: EntryKind,
    at: datetime,
    actor: str,
    action: Action | None = None,
    from_state: CaseState | None = None,
    to_state: CaseState | None = None,
    comment: str = "",
    attachments: Sequence[Attachment] = (),
    details: dict[str, Any] | None = None,
) -> HistoryEntry:
    unsealed = HistoryEntry(
        case_id=case_id,
        seq=seq,
        kind=kind,
        at=at,
        actor=actor,
        prev_hash=prev_hash,
        hash="",
        action=action,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        attachments=tuple(attachments),
        details=details or {},
    )
    return HistoryEntry(**{**_fields(unsealed), "hash": unsealed.computed_hash()})


def _fields(entry: HistoryEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in HistoryEntry.__dataclass_fields__}


class ChainProblem(enum.Enum):
    EDITED = "edited"
    REORDERED = "reordered"
    TRUNCATED = "truncated"
    HEAD_MISMATCH = "head_mismatch"


@dataclass(frozen=True, slots=True)
class ChainStatus:
    problem: ChainProblem | None = None
    seq: int | None = None
    detail: str = ""

    @property
    def intact(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        if self.problem is None:
            return "完整 / intact"
        return f"{_PROBLEM_ZH[self.problem]} / {self.problem.value}: {self.detail}"


_PROBLEM_ZH = {
    ChainProblem.EDITED: "记录被修改",
    ChainProblem.REORDERED: "记录顺序被打乱或中间缺失",
    ChainProblem.TRUNCATED: "记录被截断",
    ChainProblem.HEAD_MISMATCH: "链头与案件不符",
}


def verify_chain(
    entries: Sequence[HistoryEntry], *, head_hash: str, entry_count: int
) -> ChainStatus:
    """Check ``entries`` (in stored order) against each other and against the case row's head and count."""
    previous = GENESIS_HASH
    for position, entry in enumerate(entries, start=1):
        if entry.seq != position or entry.prev_hash != previous:
            return ChainStatus(
                ChainProblem.REORDERED,
                entry.seq,
                f"entry at position {position} (seq {entry.seq}) does not follow its predecessor",
            )
        if entry.computed_hash() != entry.hash:
            return ChainStatus(
                ChainProblem.EDITED, entry.seq, f"entry seq {entry.seq} does not match its hash"
            )
        previous = entry.hash
    if len(entries) < entry_count:
        return ChainStatus(
            ChainProblem.TRUNCATED,
            len(entries),
            f"case records {entry_count} entries, found {len(entries)}",
        )
    if len(entries) > entry_count or previous != head_hash:
        return ChainStatus(
            ChainProblem.HEAD_MISMATCH,
            len(entries),
            f"case records {entry_count} entries ending in {head_hash[:12]}…",
        )
    return ChainStatus()
