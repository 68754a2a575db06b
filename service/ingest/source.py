"""Reading an upload safely and telling what it is from its content, never its name."""

from __future__ import annotations

import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .model import Format, IngestError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
# What reading a damaged zip member raises, from the container or the decompressor.
CORRUPT_ARCHIVE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)
_DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile or absurd file from eating the machine."""

    max_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 400 * 1024 * 1024
    max_compression_ratio: int = 200  # per zip member larger than 1 MiB uncompressed
    max_zip_members: int = 20_000
    max_sheets: int = 250
    max_rows: int = 100_000  # per sheet or CSV
    max_columns: int = 1_000
    max_shared_strings: int = 500_000  # a workbook's string table (openpyxl holds it whole)
    max_pages: int = 600
    max_tables: int = 5_000
    max_document_bytes: int = 64 * 1024 * 1024  # a DOCX's main XML part, parsed whole


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Source:
    data: bytes
    format: Format
    name: str | None
    macro_enabled: bool = False


def read_source(source: str | os.PathLike[str] | bytes | BinaryIO, limits: Limits) -> bytes:
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise IngestError(f"{path}: no such file")
        if path.stat().st_size > limits.max_bytes:
            raise IngestError(_too_big(path.stat().st_size, limits))
        data = path.read_bytes()
    else:
        data = source.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise IngestError(_too_big(len(data), limits))
    if not data.strip():
        raise IngestError("the file is empty")
    return data


def _too_big(size: int, limits: Limits) -> str:
    return f"the file is {size / 1e6:.1f} MB, over the {limits.max_bytes / 1e6:.0f} MB limit"


def detect(data: bytes, name: str | None, limits: Limits) -> Source:
    """Identify the format by magic bytes and zip members."""
    if data.startswith(ZIP_MAGICS):
        return _detect_zip(data, name, limits)
    if data.startswith(OLE_MAGIC):
        raise IngestError(_ole_message(data))
    head = data[:1024]
    if b"%PDF-" in head:
        return Source(data, "pdf", name)
    if _looks_like_text(data):
        return Source(data, "csv", name)
    raise IngestError("unknown file type: expected an XLSX, DOCX, PDF or CSV questionnaire")


def _ole_message(data: bytes) -> str:
    # Office encrypts OOXML files by wrapping them in an OLE container with these streams.
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        streams = {"/".join(s).lower() for s in ole.listdir()}
    except Exception:
        streams = set()
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        return (
            "the file is encrypted (password-protected): remove the password in Excel or Word "
            "and upload it again"
        )
    return (
        "legacy binary Office file (.xls/.doc) is not supported: save it as .xlsx or .docx "
        "and upload it again"
    )


def _detect_zip(data: bytes, name: str | None, limits: Limits) -> Source:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise IngestError(f"the file is corrupt or truncated (not a readable zip: {exc})") from None
    if len(infos) > limits.max_zip_members:
        raise IngestError(
            f"the archive has {len(infos)} parts, over the limit of {limits.max_zip_members}"
        )
    total = 0
    for info in infos:
        total += info.file_size
        if (
            info.file_size > 1024 * 1024
            and info.compress_size
            and info.file_size / info.compress_size > limits.max_compression_ratio
        ):
            raise IngestError(
                f"refusing a likely zip bomb: {info.filename} expands "
                f"{info.file_size // max(info.compress_size, 1)}x"
            )
    if total > limits.max_uncompressed_bytes:
        raise IngestError(
            f"refusing a likely zip bomb: {total / 1e6:.0f} MB uncompressed, over the "
            f"{limits.max_uncompressed_bytes / 1e6:.0f} MB limit"
        )
    names = {info.filename for info in infos}
    if "EncryptedPackage" in names:
        raise IngestError(
            "the file is encrypted (password-protected): remove the password and upload it again"
        )
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if "xl/workbook.bin" in names:
            raise IngestError("binary Excel workbook (.xlsb) is not supported: save it as .xlsx")
        fmt: Format = "xlsx"
    elif "word/document.xml" in names:
        fmt = "docx"
    else:
        raise IngestError(
            "unknown file type: a zip archive that is neither an Excel workbook nor a Word document"
        )
    _refuse_entity_declarations(archive, infos)
    macro = any(n.lower().endswith("vbaproject.bin") for n in names)
    return Source(data, fmt, name, macro_enabled=macro)


def _refuse_entity_declarations(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Office XML never needs a DTD; one is a billion-laughs or external-entity attempt."""
    for info in infos:
        if not info.filename.endswith((".xml", ".rels", ".vml")):
            continue
        try:
            with archive.open(info) as member:
                head = member.read(4096)
        except CORRUPT_ARCHIVE_ERRORS as exc:
            raise IngestError(f"the file is corrupt ({info.filename}: {exc})") from None
        if _DOCTYPE.search(head):
            raise IngestError(
                f"refusing XML with entity declarations in {info.filename} "
                "(possible entity-expansion or external-entity attack)"
            )


def _looks_like_text(data: bytes) -> bool:
    sample = data[:65536]
    if sample.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the sample's end is still text
        if exc.start < len(sample) - 4:
            try:
                sample.decode("cp1252")
            except UnicodeDecodeError:
                return False
    lowered = sample.lstrip().lower()
    return not lowered.startswith((b"<!doctype html", b"<html", b"<?xml", b"{\\rtf"))


def decode_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
