"""The column mapping of an upload, as the web app shows and corrects it. Which columns ingest
took the questions, answers and comments from, and re-reading a part from corrected columns,
are ingest's (service.ingest.columns); here an upload is read for both in one go."""

from __future__ import annotations

import io

from service.ingest import Questionnaire, parse
from service.ingest.columns import (
    CORRECTABLE_FORMATS,
    Cells,
    ColumnChoice,
    PartMapping,
    apply_overrides,
    column_mapping,
    read_cells,
    template_fingerprint,
)

__all__ = [
    "CORRECTABLE_FORMATS", "Cells", "ColumnChoice", "PartMapping", "apply_overrides",
    "column_mapping", "read_cells", "read_upload", "template_fingerprint",
]


def read_upload(data: bytes, filename: str) -> tuple[Questionnaire, Cells]:
    """The questionnaire and its cells (`read_cells`): what an upload needs read from it."""
    questionnaire = parse(data, filename)
    return questionnaire, read_cells(io.BytesIO(data), questionnaire.format)
