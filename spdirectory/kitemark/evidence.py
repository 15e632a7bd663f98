"""Evidence files: checked by their content (magic bytes), never by their name, and stored
under the instance folder (KITEMARK_EVIDENCE_DIR), never under static/.

A file's name is only a label: a PDF called "photo.jpg" is stored and served as a PDF, and a
program called "policy.pdf" is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import filetype
from flask import current_app
from werkzeug.utils import secure_filename

# What may be uploaded: content type -> the extension a stored copy is served with.
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}
ALLOWED_DESCRIPTION = "a PDF, or a PNG, JPEG, GIF or WebP image"
_CHUNK = 64 * 1024


class EvidenceError(ValueError):
    """An upload that cannot be accepted; the message is for the person uploading."""


@dataclass(frozen=True)
class StoredFile:
    filename: str  # a safe display name whose extension matches the content
    stored_name: str
    content_type: str
    size: int
    sha256: str


def evidence_dir() -> Path:
    configured = current_app.config.get("KITEMARK_EVIDENCE_DIR") or "kitemark-evidence"
    path = Path(configured)
    if not path.is_absolute():
        path = Path(current_app.instance_path) / path
    return path


def max_bytes() -> int:
    return int(current_app.config.get("KITEMARK_EVIDENCE_MAX_BYTES") or 5 * 1024 * 1024)


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    return f"{size // 1024} KB"


def sniff(head: bytes) -> str | None:
    """The content type of these first bytes, when it is one we accept."""
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        return None
    return str(kind.mime)


def display_name(original: str, content_type: str) -> str:
    """A safe name whose extension says what the file really is."""
    stem = Path(secure_filename(original or "")).stem or "evidence"
    return f"{stem[:100]}.{ALLOWED_TYPES[content_type]}"


def store(stream: IO[bytes], original_name: str, organisation_id: int) -> StoredFile:
    """Check and store an upload; raise EvidenceError (nothing kept) when it is refused."""
    limit = max_bytes()
    head = stream.read(8192)
    if not head:
        raise EvidenceError("The selected file is empty")
    content_type = sniff(head)
    if content_type is None:
        raise EvidenceError(
            f"“{original_name}” is not {ALLOWED_DESCRIPTION} (files are checked by their "
            "content, not their name)"
        )
    folder = evidence_dir() / str(organisation_id)
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = f"{organisation_id}/{secrets.token_hex(16)}"
    final = evidence_dir() / stored_name
    partial = final.with_name(final.name + ".part")
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("xb") as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > limit:
                    raise EvidenceError(
                        f"“{original_name}” is larger than {_human(limit)}: upload a smaller "
                        "file (for example a lower-resolution scan)"
                    )
                digest.update(chunk)
                out.write(chunk)
                chunk = stream.read(_CHUNK)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return StoredFile(
        filename=display_name(original_name, content_type),
        stored_name=stored_name,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
    )


def path_of(stored_name: str) -> Path:
    base = evidence_dir().resolve()
    path = (base / stored_name).resolve()
    if base not in path.parents:  # stored names are ours, but never trust a path blindly
        raise FileNotFoundError(stored_name)
    return path


def discard(stored_name: str) -> None:
    """Remove a stored file (after its row is gone, or when its transaction failed)."""
    with contextlib.suppress(FileNotFoundError):
        path_of(stored_name).unlink(missing_ok=True)
