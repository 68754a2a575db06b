"""Mutated corpus files through every parser: only IngestError may escape, and quickly.

A short, derandomised run for CI; bench/fuzz_ingest.py runs the same mutations for longer.
"""

import io
import os
import time
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.ingest import IngestError, parse

from .conftest import CORPUS

SAMPLES = {
    "xlsx": "xlsx/HECVAT_Lite_v3.04_CanvasStudio_filled.xlsx",
    "docx": "docx/UK_ICO_DPIA_template_GDPR_blank.docx",
    "pdf": "pdf/UK_ICO_DPIA_template_GDPR_blank.pdf",
    "csv": "csv/HECVAT_Lite_IntelligentInsights_filled.csv",
}
SECONDS_PER_PARSE = 20
# CI: a short, repeatable run; bench/fuzz_ingest.py sets a count and random seeds
LONG_RUN = int(os.environ.get("CANDOR_FUZZ_EXAMPLES", "0"))


def mutate_bytes(data: bytes, draw) -> bytes:
    """Flip, drop or insert a few bytes, or cut the file short."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        where = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "drop", "insert", "truncate"]))
        if action == "flip":
            data[where] ^= draw(st.integers(1, 255))
        elif action == "drop":
            del data[where : where + draw(st.integers(1, 64))]
        elif action == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=32))
        else:
            del data[max(where, 1) :]
        if not data:
            break
    return bytes(data)


def mutate_member(data: bytes, draw) -> bytes:
    """Corrupt one XML part inside an Office zip, keeping the zip itself valid: this reaches
    the XML readers behind the container checks."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        infos = source.infolist()
        parts = [i for i in infos if i.filename.endswith((".xml", ".rels"))]
        target = draw(st.sampled_from(parts)).filename
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as result:
            for info in infos:
                content = source.read(info)
                if info.filename == target:
                    content = mutate_bytes(content, draw) if content else content
                result.writestr(info, content)
    return out.getvalue()


def _parse_within_bound(data: bytes) -> None:
    started = time.monotonic()
    try:
        parse(data)
    except IngestError as exc:
        assert str(exc) and "\n" not in str(exc)
    assert time.monotonic() - started < SECONDS_PER_PARSE


@pytest.mark.parametrize("kind", sorted(SAMPLES))
@settings(max_examples=LONG_RUN or 40, deadline=None, derandomize=not LONG_RUN,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutated_files_raise_only_ingest_errors(kind, data):
    original = (CORPUS / SAMPLES[kind]).read_bytes()
    if kind in ("xlsx", "docx") and data.draw(st.booleans()):
        mutated = mutate_member(original, data.draw)
    else:
        mutated = mutate_bytes(original, data.draw)
    _parse_within_bound(mutated)
