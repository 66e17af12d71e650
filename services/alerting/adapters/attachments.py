"""Files attached to case actions, kept on disk under their sha256 (content-addressed, written once).

The history entry records the file's name and sha256, so the hash chain covers
the attachment's content too: replacing a file on disk shows as a hash mismatch
when it is downloaded.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path, PurePosixPath, PureWindowsPath

from services.alerting.domain.history import Attachment
from services.alerting.errors import InvalidAttachment

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class FileAttachmentStore:
    def __init__(self, root: Path, *, max_bytes: int = MAX_ATTACHMENT_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def put(self, filename: str, content: bytes) -> Attachment:
        name = _plain_name(filename)
        if not content:
            raise InvalidAttachment(f"附件 {name} 为空 / attachment {name} is empty")
        if len(content) > self.max_bytes:
            raise InvalidAttachment(
                f"附件 {name} 超过 {self.max_bytes // (1024 * 1024)} MB / attachment {name} is larger "
                f"than {self.max_bytes} bytes"
            )
        sha256 = hashlib.sha256(content).hexdigest()
        path = self._path(sha256)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
                handle.write(content)
            os.replace(handle.name, path)
        return Attachment(name, sha256)

    def read(self, sha256: str) -> bytes | None:
        if not _SHA256_HEX.fullmatch(sha256):
            return None
        path = self._path(sha256)
        return path.read_bytes() if path.exists() else None

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256


def _plain_name(filename: str) -> str:
    """The file's own name, without any directory a browser or client sent along."""
    name = PurePosixPath(PureWindowsPath(filename).name).name.strip()
    if not name:
        raise InvalidAttachment("附件缺少文件名 / an attachment needs a file name")
    return name[:200]
