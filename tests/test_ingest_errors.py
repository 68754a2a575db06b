"""Bad input: one clear line, IngestError in the API, exit 2 on the CLI, never a traceback."""

import io
import subprocess
import sys
import zipfile

import msoffcrypto
import pytest

from service.ingest import IngestError, Limits, parse

SAMPLE = "xlsx/HECVAT_Lite_v3.04_CanvasStudio_filled.xlsx"


def _rezip(
    data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info, (replace or {}).get(info.filename, source.read(info)))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def _error(source, **kwargs) -> str:
    with pytest.raises(IngestError) as caught:
        parse(source, **kwargs)
    message = str(caught.value)
    assert message and "\n" not in message and "Traceback" not in message
    return message


def test_empty_and_whitespace_files():
    assert "empty" in _error(b"")
    assert "empty" in _error(b"   \n")


def test_truncated_zip(corpus):
    data = (corpus / SAMPLE).read_bytes()
    assert "corrupt" in _error(data[: len(data) // 2])


def test_encrypted_office_file(corpus, tmp_path):
    office = msoffcrypto.OfficeFile(io.BytesIO((corpus / SAMPLE).read_bytes()))
    encrypted = io.BytesIO()
    office.encrypt("s3cret", encrypted)
    assert "password" in _error(encrypted.getvalue())


def test_legacy_binary_office_file():
    ole_header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    assert "not supported" in _error(ole_header)


def test_macro_enabled_workbook_is_parsed_never_run(corpus):
    data = _rezip((corpus / SAMPLE).read_bytes(), add={"xl/vbaProject.bin": b"\x00VBA"})
    questionnaire = parse(data)
    assert len(questionnaire.questions) == 94
    assert any("macro" in notice for notice in questionnaire.notices)


def test_zip_bomb_is_refused_before_expanding():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (64 * 1024 * 1024))
    assert "zip bomb" in _error(out.getvalue())


def test_entity_declarations_are_refused(corpus):
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>&lol2;</t></si></sst>"
    )
    data = _rezip((corpus / SAMPLE).read_bytes(), replace={"xl/sharedStrings.xml": laughs})
    assert "entity" in _error(data)
    external = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><workbook/>'
    )
    data = _rezip((corpus / SAMPLE).read_bytes(), replace={"xl/workbook.xml": external})
    assert "entity" in _error(data)


def test_unknown_types():
    assert "unknown file type" in _error(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert "unknown file type" in _error(b"<!DOCTYPE html><html><body>hi</body></html>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not an office file")
    assert "unknown file type" in _error(out.getvalue())


def test_text_that_is_not_a_table():
    assert "not a questionnaire" in _error(b"just one line of prose without any columns\n")


def test_limits(corpus):
    path = corpus / SAMPLE
    assert "limit" in _error(path, limits=Limits(max_bytes=10_000))
    assert "rows" in _error(path, limits=Limits(max_rows=50))
    assert "sheets" in _error(path, limits=Limits(max_sheets=3))


def test_broken_defined_names_do_not_crash(corpus):
    # HECVAT Lite 2.11 defines names that point into a missing external workbook
    questionnaire = parse(corpus / "xlsx/HECVAT_Lite_v2.11_blank.xlsx")
    assert len(questionnaire.questions) == 74
    workbook = (corpus / SAMPLE).read_bytes()
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        book = archive.read("xl/workbook.xml").decode()
    assert "<definedNames>" in book
    broken = book.replace(
        "<definedNames>",
        '<definedNames><definedName name="Broken">#REF!</definedName>'
        '<definedName name="Outside">[3]Lists!$A$1:$A$4</definedName>',
    )
    assert (
        len(parse(_rezip(workbook, replace={"xl/workbook.xml": broken.encode()})).questions) == 94
    )


def test_file_name_never_decides_the_format(corpus, tmp_path):
    disguised = tmp_path / "questionnaire.pdf"
    disguised.write_bytes((corpus / SAMPLE).read_bytes())
    assert parse(disguised).format == "xlsx"


@pytest.mark.parametrize("payload", [b"", b"PK\x03\x04garbage", b"%PDF-1.7\n%%EOF"])
def test_cli_prints_one_line_and_exits_2(tmp_path, payload):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(payload)
    run = subprocess.run(
        [sys.executable, "-m", "service.cli", "ingest", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.startswith("candor: ") and run.stderr.count("\n") == 1


def test_utf16_csv_and_a_cut_utf16_byte_order_mark():
    utf16 = b"\xff\xfe" + "ID,Question,Answer\n1,Do you encrypt data?,Yes\n".encode("utf-16-le")
    assert parse(utf16).questions[0].existing_answer == "Yes"
    assert "not a questionnaire" in _error(b"\xfe\xff\xbb")
