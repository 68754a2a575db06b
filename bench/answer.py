"""End-to-end answering time on a questionnaire, cold and warm, against raw embedding time.

    .venv/bin/python bench/answer.py [FILE]

cold: a fresh process's first answer (imports, model load, knowledge-base embeddings from the
      disk cache); warm: the same answer again with the model loaded; raw: encoding the same
      question texts alone. Peak RSS is the process's high-water mark.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[2] / "shared/corpus/xlsx/HECVAT_Full_v3.06_blank.xlsx"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    start = time.perf_counter()
    from service.answering import answer_questionnaire
    from service.controls import load_company, load_knowledge_base
    from service.ingest import parse
    from service.matching import Matcher
    from service.settings import KNOWLEDGE_DIR

    kb = load_knowledge_base(KNOWLEDGE_DIR)
    company = load_company(KNOWLEDGE_DIR / "company/larkspur-health.yaml", kb)
    cache = Path(tempfile.mkdtemp()) / "cache"
    Matcher(kb, company, cache_dir=cache)  # fill the embedding cache, as a first run would
    prepared = time.perf_counter()

    def run() -> float:
        began = time.perf_counter()
        questionnaire = parse(path)
        matcher = Matcher(kb, company, embedder=embedder, cache_dir=cache)
        answer_questionnaire(questionnaire, kb, company, matcher, date.today())
        return time.perf_counter() - began

    from service.matching import Embedder

    embedder = Embedder()
    cold = run() + (prepared - start)
    warm = min(run() for _ in range(3))
    texts = [q.text for q in parse(path).questions]
    began = time.perf_counter()
    embedder.encode(texts)
    raw = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"| {path.name} | {len(texts)} | {cold:.1f} | {warm:.2f} | {raw:.2f} | "
        f"{warm / raw:.2f}x | {len(texts) / raw:.0f} | {peak_mb:.0f} |"
    )


if __name__ == "__main__":
    print(
        "| file | questions | cold s | warm s | raw embedding s | warm/raw | questions/s | "
        "peak RSS MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    main()
