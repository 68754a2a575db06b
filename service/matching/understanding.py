"""What a question asks, beyond its topic: which answer means "safe", and every part it asks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Polarity = Literal["positive", "negative", "neutral"]

# "Yes" would disclose an adverse event (a breach, an outage, a fine) …
_ADVERSE_EVENT = re.compile(
    r"\b(breach(es|ed)?|incidents?|compromised?|hacked|outages?|disruptions?|downtime|"
    r"lawsuits?|litigation|fines?|fined|penalt(y|ies)|sanctions?|violations?|investigations?|"
    r"ransomware|data loss|leak(s|ed)?)\b",
    re.IGNORECASE,
)
_EVENT_FRAME = re.compile(
    r"^\s*(¿\s*)?(have|has|had)\s+(you|your|there|the|any)\b|\b(ever|in the (last|past)|within the "
    r"(last|past)|been (subject|involved|the (subject|target)))\b",
    re.IGNORECASE,
)
# … or an unsafe practice, or a dependency the requester must know about.
_ADVERSE_PRACTICE = re.compile(
    r"\b(plain ?text|clear ?text|hard-?coded|unencrypted|shared (accounts?|credentials|"
    r"passwords?)|default (passwords?|credentials)|ever leave|outside (of )?(the|your|our) "
    r"(institution'?s?|customer'?s?|country|region|geographic)|non-rfc ?1918|publicly "
    r"(routable|accessible))\b",
    re.IGNORECASE,
)
_DISCLOSURE = re.compile(
    r"^\s*(¿\s*)?(will|would)\s+(the|any|your|institutional|customer)\b.*\b(require|need|"
    r"shared|transferred|access|hosted|stored)\b|^\s*does .*\b(require|rely on)\b|"
    r"\bhave access to\b|\b(limitations?|restrictions?) (on|to)\b",
    re.IGNORECASE,
)
_SAFEGUARD_START = re.compile(
    r"^\s*(¿\s*)?(do|does|is|are|can|have|has|will|would|should|must|did)\b", re.IGNORECASE
)

# Qualifiers a "Yes" commits to; each must be backed by the control's own statement.
QUALIFIERS: dict[str, tuple[str, ...]] = {
    "documented": ("document", "written", "policy", "procedure", "plan"),
    "approved": ("approv", "sign-off", "signed off", "endorse"),
    "reviewed": ("review",),
    "annually": ("annual", "yearly", "every year", "12 months", "once a year", "each year"),
    "quarterly": ("quarter", "every three months", "90 days"),
    "monthly": ("month",),
    "tested": ("test", "exercise", "drill"),
    "independent": ("independent", "third-party", "third party", "external", "auditor"),
    "continuous": ("continuous", "24/7", "24x7", "real-time", "real time"),
    "all": ("all ", "every"),
}
_QUALIFIER_PATTERNS = {
    "documented": r"\bdocumented\b|\bin writing\b|\bwritten\b",
    "approved": r"\bapproved\b|\bsigned off\b",
    "reviewed": r"\breviewed\b|\breviews? (at least )?(annually|yearly|periodically|regularly)\b",
    "annually": r"\bannual(ly)?\b|\byearly\b|\bonce a year\b|\bevery (12|twelve) months\b",
    "quarterly": r"\bquarterly\b|\bevery (3|three) months\b",
    "monthly": r"\bmonthly\b",
    "tested": r"\btested\b|\btests? (it|them|the plan)\b",
    "independent": (
        r"\bindependent\b|\bthird[- ]party (audit|assess|test)|"
        r"\bexternal (audit|assess|test)"
    ),
    "continuous": r"\b24 ?[/x] ?7\b|\bcontinuous(ly)?\b|\breal[- ]time\b",
    "all": (
        r"\ball (of )?(your |the )?(employees|staff|users|systems|data|accounts|devices)\b"
        r"|\bevery\b"
    ),
}


@dataclass(frozen=True)
class Understanding:
    polarity: Polarity
    qualifiers: tuple[str, ...]  # commitments a "Yes" would make ("annually", "tested", …)


def understand(text: str) -> Understanding:
    return Understanding(polarity(text), qualifiers(text))


def polarity(text: str) -> Polarity:
    if _ADVERSE_EVENT.search(text) and _EVENT_FRAME.search(text):
        return "negative"
    if _ADVERSE_PRACTICE.search(text) or _DISCLOSURE.search(text):
        return "negative"
    return "positive" if _SAFEGUARD_START.match(text) else "neutral"


def qualifiers(text: str) -> tuple[str, ...]:
    return tuple(
        name
        for name, pattern in _QUALIFIER_PATTERNS.items()
        if re.search(pattern, text, re.IGNORECASE)
    )


def unbacked_qualifiers(asked: tuple[str, ...], statement: str) -> tuple[str, ...]:
    """The parts of a compound question the control's statement does not commit to."""
    lowered = statement.lower()
    return tuple(q for q in asked if not any(word in lowered for word in QUALIFIERS[q]))
