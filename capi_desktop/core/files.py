"""Writing the user's files safely: a crash or a full disk leaves the old file or the new one, never half."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from capi_desktop.core.storage import writing


def write_text_atomic(path: Path, text: str) -> None:
    """Write to a unique temporary file next to ``path``, flush it to disk, then move it into place.

    A full disk or a folder that refuses the write raises ``StorageError``."""
    with writing(path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)  # nothing secret inside; readable like any document the user saves
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
