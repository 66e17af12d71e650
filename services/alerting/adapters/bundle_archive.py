"""Audit bundles on disk: one .zip file (what auditors are handed) or an unpacked directory.

``write_bundle`` picks by the path: ``*.zip`` is a zip file, anything else a
directory. Zip entries get a fixed timestamp, so the archive's bytes depend on
its content only. ``read_bundle`` reads either form back as name → bytes.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from services.alerting.errors import InvalidBundle

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
MAX_BUNDLE_FILES = 100_000


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def write_bundle(files: Mapping[str, bytes], path: Path) -> None:
    """Write ``files`` to ``path`` (a new .zip file, or a new or empty directory); never overwrites."""
    if path.suffix.lower() == ".zip":
        if path.exists():
            raise InvalidBundle(f"{path} 已存在 / {path} already exists; choose a new name")
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".part") as handle:
            handle.write(zip_bytes(files))
        os.replace(handle.name, path)
        return
    if path.exists() and any(path.iterdir()):
        raise InvalidBundle(f"目录 {path} 非空 / directory {path} is not empty; choose a new one")
    for name, content in files.items():
        target = path / _safe_name(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def read_bundle(path: Path) -> dict[str, bytes]:
    """The files of the bundle at ``path`` (a zip file or a directory), by their names in the bundle."""
    if path.is_dir():
        return {
            file.relative_to(path).as_posix(): file.read_bytes()
            for file in sorted(path.rglob("*"))
            if file.is_file()
        }
    if not path.is_file():
        raise InvalidBundle(f"审计包 {path} 不存在 / no bundle at {path}")
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if len(members) > MAX_BUNDLE_FILES:
                raise InvalidBundle(f"{path}: 文件过多 / more than {MAX_BUNDLE_FILES} files")
            return {_safe_name(info.filename): archive.read(info) for info in members}
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise InvalidBundle(f"{path} 不是 zip 审计包 / is not a zip bundle: {exc}") from exc


def _safe_name(name: str) -> str:
    """A bundle-relative name; refuses absolute paths and ``..`` so nothing lands outside the bundle."""
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or ".." in parts:
        raise InvalidBundle(f"审计包中的文件名不安全 / unsafe file name in bundle: {name!r}")
    return PurePosixPath(*parts).as_posix()
