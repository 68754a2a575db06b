"""Printed IDs that run in a sequence with holes: the questions a reading may have missed.

"A&A-04.1, A&A-04.2, A&A-06.1" skips A&A-05: either the template skips it, or a question was
not read. Each numbered level of the IDs is checked on its own (the numbers after the same
prefix), so numbering that restarts in every section ("1.1, 1.2, 2.1") is no hole.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

_PARTS = re.compile(r"\d+|\D+")
_MIN_RUN = 3  # numbers after one prefix before a gap among them means something
_MAX_GAP = 3  # a wider jump is a new block of numbers, not missed questions


def missing_ids(refs: Sequence[str]) -> list[str]:
    """IDs that the printed IDs' sequences skip, in the order they would have come."""
    numbers: dict[str, list[tuple[int, int]]] = {}  # prefix -> (number, digits) in file order
    closing: dict[str, str] = {}  # prefix -> the bracket its numbers close ("AC-2 (" -> ")")
    for ref in dict.fromkeys(refs):
        parts = _PARTS.findall(ref)
        for k, part in enumerate(parts):
            if part.isdigit() and len(part) <= 4:
                prefix = "".join(parts[:k])
                numbers.setdefault(prefix, []).append((int(part), len(part)))
                if k + 1 < len(parts) and parts[k + 1].startswith(")"):
                    closing[prefix] = ")"
    missing: list[str] = []
    for prefix, found in numbers.items():
        values = sorted({n for n, _ in found})
        if len(values) < _MIN_RUN:
            continue
        same_width = all(digits == found[0][1] for _, digits in found)
        width = found[0][1] if same_width else 1
        for low, high in itertools.pairwise(values):
            if 1 < high - low <= _MAX_GAP:
                missing += [f"{prefix}{n:0{width}d}{closing.get(prefix, '')}"
                            for n in range(low + 1, high)]
    return missing
