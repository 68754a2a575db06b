"""Where exports go and how they land on disk."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path


class ExportError(Exception):
    """An export that cannot be made. The message is one line meant for the user."""


def filled_path(source: Path, out: Path | None = None) -> Path:
    """`out`, or `<name>_filled.<ext>` inside `out` when it is a directory, or beside the
    source when `out` is None. Refuses a path that is the source itself."""
    default_name = f"{source.stem}_filled{source.suffix}"
    if out is None:
        target = source.with_name(default_name)
    elif out.is_dir():
        target = out / default_name
    else:
        target = out
    if target.resolve() == source.resolve():
        raise ExportError(f"refusing to overwrite the input file {source}")
    return target


def sibling(path: Path, suffix: str, tag: str = "") -> Path:
    """`name<tag><suffix>` next to `path`, e.g. the report beside the filled file."""
    return path.with_name(f"{path.stem}{tag}{suffix}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder and rename it into place, so a
    failure never leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def rezip(archive: zipfile.ZipFile, replaced: dict[str, bytes]) -> bytes:
    """A copy of the archive, entry by entry in the same order and with the same settings,
    with the parts in `replaced` swapped for their new content."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for info in archive.infolist():
            data = replaced.get(info.filename)
            out.writestr(info, data if data is not None else archive.read(info),
                         compress_type=info.compress_type)
    return buffer.getvalue()
