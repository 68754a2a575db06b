"""Fit the matcher's confidence calibration on a labelled questionnaire and report how well
calibrated it is (Brier score, reliability by band).

    .venv/bin/python bench/calibrate.py [LABELS FILE]

The model: P(top control's SOC 2 refs overlap the label) = sigmoid(a * (score - b)), where score
is the top fused score (fact and other questions count as misses: no control is right for them).
Two numbers, fitted by Newton's method; paste them into service/matching/matcher.py
(CALIBRATION). The top score's lead over the second control was tried as a third input and
fitted a negative weight (it only echoes the score), so it is left out.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared"


def main() -> None:
    labels_path = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED / "eval/hecvat_full_v3.06_labels.yaml"
    )
    file = (
        Path(sys.argv[2])
        if len(sys.argv) > 2
        else SHARED / "corpus/xlsx/HECVAT_Full_v3.06_blank.xlsx"
    )
    from service.answering.evaluate import load_labels
    from service.controls import load_company, load_knowledge_base
    from service.ingest import parse
    from service.matching.matcher import CALIBRATION, Matcher
    from service.settings import KNOWLEDGE_DIR

    kb = load_knowledge_base(KNOWLEDGE_DIR)
    company = load_company(KNOWLEDGE_DIR / "company/larkspur-health.yaml", kb)
    questionnaire = parse(file)
    matches = Matcher(kb, company).match(questionnaire.questions)
    labels = {str(e["id"]): e for e in load_labels(labels_path)}
    rows, outcomes = [], []
    for question, match in zip(questionnaire.questions, matches, strict=True):
        label = labels.get(question.ref)
        if not label or not match.controls:
            continue
        top = match.controls[0].score
        if label.get("kind") == "control" and label.get("soc2"):
            hit = bool(
                set(kb.controls[match.controls[0].control_id].refs("soc2")) & set(label["soc2"])
            )
        elif label.get("kind") in ("fact", "other"):
            hit = False  # no control is the right answer to a fact question
        else:
            continue
        rows.append(top)
        outcomes.append(float(hit))
    x = np.array([[1.0, s] for s in rows])
    y = np.array(outcomes)
    w = np.zeros(2)
    for _ in range(50):  # Newton's method for logistic regression, lightly regularised
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ (y - p) - 1e-3 * w
        hessian = -(x.T * (p * (1 - p))) @ x - 1e-3 * np.eye(2)
        w -= np.linalg.solve(hessian, gradient)
    slope = w[1]
    midpoint = -w[0] / slope
    print(f"CALIBRATION = ({slope:.1f}, {midpoint:.3f})  # in use: {CALIBRATION}")
    for name, (a, b) in (("fitted", (slope, midpoint)), ("in use", CALIBRATION)):
        p = 1 / (1 + np.exp(-a * (x[:, 1] - b)))
        print(f"{name}: Brier {np.mean((p - y) ** 2):.3f} over {len(y)} questions")
        for low, high in ((0, 0.5), (0.5, 0.8), (0.8, 0.9), (0.9, 1.01)):
            band = (p >= low) & (p < high)
            if band.any():
                print(
                    f"  confidence {low:.1f}-{min(high, 1):.1f}: {band.sum():>3} questions, "
                    f"mean {p[band].mean():.2f}, actually right {y[band].mean():.2f}"
                )


if __name__ == "__main__":
    main()
