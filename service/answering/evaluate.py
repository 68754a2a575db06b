"""The matching metric of shared/eval/README.md, exactly: hit@1, hit@3, precision@1 on SOC 2;
hit@3 at standard level on HIPAA and GDPR; the share of fact/other questions auto-answered from
a control."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from service.controls import KnowledgeBase
from service.ingest import IngestError

from .engine import AnsweredQuestionnaire


@dataclass(frozen=True)
class Scores:
    soc2_questions: int
    soc2_hit1: float
    soc2_hit3: float
    soc2_precision1: float
    hipaa_questions: int
    hipaa_hit3: float
    gdpr_questions: int
    gdpr_hit3: float
    fact_other_questions: int
    fact_other_auto_from_control: float
    unmatched_labels: tuple[str, ...]  # label ids with no question in the file

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def share(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def load_labels(path: Path) -> list[dict[str, Any]]:
    try:
        labels = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise IngestError(f"{path}: cannot read labels ({str(exc).splitlines()[0]})") from None
    if not isinstance(labels, list) or not all(isinstance(e, dict) and "id" in e for e in labels):
        raise IngestError(f"{path}: expected a list of entries with an 'id'")
    return labels


def hipaa_standard(ref: str) -> str:
    """164.308(a)(1)(ii)(A) -> 164.308(a)(1); 164.312(a)(2)(iv) -> 164.312(a); 164.404 -> itself."""
    section, _, rest = ref.partition("(")
    groups = re.findall(r"\(([^)]+)\)", "(" + rest) if rest else []
    depth = 2 if section == "164.308" else 1
    return section + "".join(f"({g})" for g in groups[:depth])


def gdpr_article(ref: str) -> str:
    match = re.search(r"Art\.?\s*(\d+)", ref)
    return f"Art. {match.group(1)}" if match else ref


def score(
    answered: AnsweredQuestionnaire, labels: list[dict[str, Any]], kb: KnowledgeBase
) -> Scores:
    by_ref = {}
    for item in answered.answers:
        by_ref.setdefault(item.question.ref, item)  # a ref repeated on several tabs: first one

    def refs(control_id: str, framework: str) -> set[str]:
        return set(kb.controls[control_id].refs(framework))

    hit1 = hit3 = precision = soc2 = 0.0
    std_hits = {"hipaa": 0, "gdpr": 0}
    std_counts = {"hipaa": 0, "gdpr": 0}
    fact_other = auto_from_control = 0
    missing = []
    normalise = {"hipaa": hipaa_standard, "gdpr": gdpr_article}
    for label in labels:
        item = by_ref.get(str(label["id"]))
        if item is None:
            missing.append(str(label["id"]))
            continue
        top = [m.control_id for m in item.match.controls]
        if label.get("kind") == "control":
            expected = set(label.get("soc2") or [])
            if expected and top:
                soc2 += 1
                predicted = refs(top[0], "soc2")
                overlap = predicted & expected
                hit1 += bool(overlap)
                precision += len(overlap) / len(predicted) if overlap else 0.0
                hit3 += any(refs(c, "soc2") & expected for c in top[:3])
            for framework, norm in normalise.items():
                wanted = {norm(r) for r in label.get(framework) or []}
                if wanted and top:
                    std_counts[framework] += 1
                    std_hits[framework] += any(
                        {norm(r) for r in refs(c, framework)} & wanted for c in top[:3]
                    )
        elif label.get("kind") in ("fact", "other"):
            fact_other += 1
            auto_from_control += item.answer.status == "auto" and item.answer.basis == "control"
    return Scores(
        int(soc2),
        share(hit1, soc2),
        share(hit3, soc2),
        share(precision, soc2),
        std_counts["hipaa"],
        share(std_hits["hipaa"], std_counts["hipaa"]),
        std_counts["gdpr"],
        share(std_hits["gdpr"], std_counts["gdpr"]),
        fact_other,
        share(auto_from_control, fact_other),
        tuple(missing),
    )
