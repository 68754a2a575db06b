"""Ingest speed per corpus file: seconds and MB/s (and s/page for PDFs).

.venv/bin/python bench/ingest.py [CORPUS_DIR]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from service.ingest import IngestError, parse

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    print("| file | questions | MB | seconds | MB/s | s/page |")
    print("|---|---:|---:|---:|---:|---:|")
    for path in sorted(
        p for p in corpus.rglob("*") if p.suffix in {".xlsx", ".docx", ".pdf", ".csv"}
    ):
        size = path.stat().st_size / 1e6
        best = float("inf")
        try:
            for _ in range(3):
                start = time.perf_counter()
                questionnaire = parse(path)
                best = min(best, time.perf_counter() - start)
        except IngestError as exc:
            print(f"| {path.name} | error: {exc} | | | | |")
            continue
        pages = _pages(path) if path.suffix == ".pdf" else None
        per_page = f"{best / pages:.3f}" if pages else ""
        print(
            f"| {path.name} | {len(questionnaire.questions)} | {size:.2f} | {best:.2f} | "
            f"{size / best:.2f} | {per_page} |"
        )


def _pages(path: Path) -> int:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return len(pdf.pages)


if __name__ == "__main__":
    main()
