"""Putting a verdict into the words a questionnaire allows ("Yes", "Si", "Partially compliant")."""

from __future__ import annotations

from typing import Literal

from service.ingest.text import NA_WORDS, NO_WORDS, PARTIAL_WORDS, YES_WORDS, normalise_choice

Verdict = Literal["yes", "no", "partial", "na"]

# Checklists of requirements say "yes" and "no" as an assessment outcome ("Pass", "Met").
_WORDS: dict[Verdict, set[str]] = {
    "yes": YES_WORDS | {"pass", "passed", "met", "in place"},
    "no": NO_WORDS | {"fail", "failed", "not met", "not in place"},
    "partial": PARTIAL_WORDS,
    "na": NA_WORDS,
}
_DEFAULT: dict[Verdict, str] = {"yes": "Yes", "no": "No", "partial": "Partial", "na": "N/A"}


def fit_verdict(verdict: Verdict, options: tuple[str, ...]) -> str | None:
    """The option that says `verdict`, or None when the list has no way to say it.

    Without options the plain English word is used. Options like "Yes, it covers general
    risks" are matched by their leading word only when exactly one option starts so.
    """
    if not options:
        return _DEFAULT[verdict]
    words = _WORDS[verdict]
    for option in options:
        if normalise_choice(option) in words:
            return option
    leading = [o for o in options if normalise_choice(o).split(",")[0].split(" ")[0] in words]
    if len(leading) == 1:
        return leading[0]
    if verdict == "partial":
        return fit_verdict("no", options)  # no way to say "partly": the claim must stay short
    return None


def verdict_of(value: str) -> Verdict | None:
    """Reading an existing or approved answer back into a verdict."""
    word = normalise_choice(value).split(",")[0].split(" ")[0]
    for verdict, words in _WORDS.items():
        if normalise_choice(value) in words or word in words:
            return verdict
    return None
