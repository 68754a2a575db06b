"""Confidence: the calibrated probability that a question's top control is what it asks about.

A logistic model over what the matcher measured: how close the best control is, whether more
than one of its phrasings is close (a match resting on one stray phrasing is weaker), and how
much of the question's topic that control names. `fit` learns it
from labelled questionnaires; `candor eval` fits it leave-one-family-out, so the numbers it
reports for a family come from a model that never saw that family's labels, and `candor eval
--fit` prints the model fitted on every family, which is the one shipped (`CALIBRATION`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FEATURES = ("score", "depth", "coverage", "familiarity")


@dataclass(frozen=True)
class MatchSignals:
    """What the matcher measured for a question's top control."""

    score: float  # fused relevance of the top control
    depth: float  # cosine of the control's second-closest text (title, statement, phrasing)
    coverage: float  # share of the question's topic words it names (support.coverage)
    familiarity: float = 1.0  # share of them the knowledge base names at all

    def vector(self) -> tuple[float, ...]:
        return (self.score, self.depth, self.coverage, self.familiarity)


@dataclass(frozen=True)
class Calibration:
    weights: tuple[float, ...]  # one per FEATURES
    intercept: float

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"a calibration weighs {len(FEATURES)} features: {FEATURES}")

    def confidence(self, signals: MatchSignals) -> float:
        z = self.intercept + sum(w * x for w, x in zip(self.weights, signals.vector(),
                                                       strict=True))
        return round(1 / (1 + math.exp(-max(min(z, 40.0), -40.0))), 3)


# Fitted on every labelled family by `candor eval --fit` (see README, "Matching quality").
CALIBRATION = Calibration((2.1451, 5.61, 1.5874, 0.0136), -3.9366)


def fit(samples: Sequence[tuple[MatchSignals, bool]], l2: float = 0.01) -> Calibration:
    """Logistic regression by Newton's method (deterministic), lightly regularised so that a
    small or separable sample still gives finite weights. Families are weighed equally by
    the caller if it passes balanced samples."""
    if not samples:
        return CALIBRATION
    x = np.array([(1.0, *e.vector()) for e, _ in samples], dtype=np.float64)
    y = np.array([1.0 if right else 0.0 for _, right in samples])
    w = np.zeros(x.shape[1])
    penalty = l2 * np.eye(x.shape[1])
    penalty[0, 0] = 0.0  # the intercept is not shrunk
    for _ in range(100):
        p = 1 / (1 + np.exp(-(x @ w)))
        gradient = x.T @ (y - p) - penalty @ w
        hessian = -(x.T * (p * (1 - p))) @ x - penalty - 1e-9 * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return Calibration(tuple(round(float(v), 4) for v in w[1:]), round(float(w[0]), 4))
