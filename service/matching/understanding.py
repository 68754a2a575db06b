"""What a question asks: its topic words, actors and identifiers, which answer means "safe",
every part it commits a "Yes" to, and whether it asks for free commentary at all."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .language import FRAME_WORDS, GENERIC_WORDS, stem, stems, words
from .lexicon import concept_spans, concepts

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
    "audited": ("audit", "inspect"),
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
    "audited": r"\baudited\b",
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
    commentary: bool = False  # asks for free comment ("anything else?"): never a control's
    topic: Topic | None = None
    policy: bool = False  # asks for a written policy or procedure on its topic
    description: bool = False  # asks how a practice is carried out ("How do you …?")


def understand(text: str) -> Understanding:
    return Understanding(polarity(text), qualifiers(text), asks_commentary(text), topic(text),
                         asks_policy(text), asks_description(text))


def merge_topics(follow_up: Understanding, parent: Understanding) -> Understanding:
    """A follow-up ("If so, how is it tested?") asks about its parent's topic too."""
    if follow_up.topic is None or parent.topic is None:
        return follow_up
    mine, theirs = follow_up.topic, parent.topic
    concepts_named = dict(theirs.concepts)
    for concept, terms in mine.concepts.items():
        concepts_named[concept] = tuple(dict.fromkeys((*concepts_named.get(concept, ()),
                                                       *terms)))
    merged = Topic(
        tuple(dict.fromkeys((*theirs.terms, *mine.terms))),
        concepts_named,
        tuple(dict.fromkeys((*theirs.actors, *mine.actors))),
        tuple(dict.fromkeys((*theirs.identifiers, *mine.identifiers))),
        theirs.examples | mine.examples,
    )
    return Understanding(
        follow_up.polarity,
        tuple(dict.fromkeys((*parent.qualifiers, *follow_up.qualifiers))),
        follow_up.commentary,
        merged,
        follow_up.policy or parent.policy,
        follow_up.description,
    )


_POLICY = re.compile(r"\b(polic(y|ies)|procedures?|standard operating|written (rules|plan)|"
                     r"documented (process|plan|procedure|program|programme|approach))\b",
                     re.IGNORECASE)


def asks_policy(text: str) -> bool:
    return _POLICY.search(text) is not None


_COMMENTARY = re.compile(
    r"\b(anything else|any ?thing more|any other (comments?|information|details|remarks|"
    r"notes?)|(additional|further|other|general) (comments?|remarks|notes|information|"
    r"details|context)\b(?! (on|about|regarding) )|would you like to (add|share|tell)|"
    r"(want|wish|like) to (add|share|tell|mention)|not covered (above|elsewhere|by)|"
    r"(is|are) there any other|use this (area|space|box|field|section|column) to)",
    re.IGNORECASE,
)


def asks_commentary(text: str) -> bool:
    """A free comment box ("Is there anything else you want to tell us?") is answered by a
    person, never from a control, whatever the control is."""
    return _COMMENTARY.search(text) is not None


def polarity(text: str) -> Polarity:
    if _ADVERSE_EVENT.search(text) and _EVENT_FRAME.search(text):
        return "negative"
    if _ADVERSE_PRACTICE.search(text) or _DISCLOSURE.search(text):
        return "negative"
    return "positive" if _SAFEGUARD_START.match(text) or is_requirement(text) else "neutral"


_ASKING_START = re.compile(
    r"^\s*(¿\s*)?(how|what|which|who|whom|whose|when|where|why|describe|explain|list|provide|"
    r"please|state|specify|indicate|identify|outline|summari[sz]e|detail|confirm|attach|"
    r"upload|select|share|enter|give|name|if)\b",
    re.IGNORECASE,
)
_REQUIREMENT_VERB = re.compile(
    r"\b(is|are|has been|have been|must|shall|should|exists?|uses?|implements?|enforces?|"
    r"maintains?|ensures?|protects?|prevents?|validates?|verifies|verify|requires?|restricts?|"
    r"encrypts?|limits?|logs?|monitors?|employs?|sanitizes?|sanitises?|destroys?|escorts?|"
    r"creates?|retains?|reviews?|authenticates?|authori[sz]es?|separates?|prohibits?|"
    r"controls?|establish(es)?|documents?|defines?|develops?|performs?|conducts?|tests?|"
    r"trains?|screens?|terminates?|updates?|patch(es)?|scans?|approves?|blocks?|denies|deny|"
    r"disables?|configures?|audits?|records?|reports?|notif(y|ies)|responds?|recovers?|"
    r"removes?|revokes?|rotates?|stores?|transmits?|detects?|alerts?|identif(y|ies)|"
    r"provides?|manages?|applies|apply|terminates?|isolates?|segments?)\b",
    re.IGNORECASE,
)


def is_requirement(text: str) -> bool:
    """A requirement written as a statement ("Access to audit logs is restricted to the
    security team.") asks whether the safeguard is in place, as its question would."""
    stripped = text.strip()
    return (
        not stripped.endswith("?")
        and not _ASKING_START.match(stripped)
        and len(stripped.split()) >= 4
        and _REQUIREMENT_VERB.search(stripped) is not None
    )


_DESCRIPTION = re.compile(
    r"^\s*(¿\s*)?(\(?[a-z0-9ivx]{1,3}[.)]\s*)?(if (so|yes|applicable)[,:]?\s*)?(please\s+)?"
    r"(how (do|does|is|are|will|would|can|have|has)\b|describe|explain|outline|detail|"
    r"summari[sz]e|what (is|are) (your|the) (process|processes|procedures?|approach|practices?|"
    r"methods?|steps|controls?|measures|mechanisms?)\b|what (process|processes|procedures?|"
    r"practices?|methods?|steps|controls?|measures|mechanisms?) )",
    re.IGNORECASE,
)


def asks_description(text: str) -> bool:
    """Asks how a practice is carried out ("How do you …?", "Describe your process for …"):
    a control in place can be described; a name, a date or a list of standards cannot."""
    return _DESCRIPTION.match(text) is not None


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


# Concepts that name who acts or is acted for; a question naming one needs a control that does.
ACTOR_CONCEPTS = ("third_party", "customer", "individual", "workforce")
# Standards, laws and schemes a question may name; their numbers are identifiers too.
_NAMED_SCHEMES = frozenset(
    [
        "iso",
        "iec",
        "soc",
        "ssae",
        "isae",
        "pci",
        "dss",
        "hipaa",
        "hitech",
        "hitrust",
        "gdpr",
        "ccpa",
        "cpra",
        "ferpa",
        "coppa",
        "glba",
        "sox",
        "fedramp",
        "fisma",
        "cmmc",
        "nist",
        "csf",
        "wcag",
        "vpat",
        "tls",
        "ssl",
        "ipsec",
        "ssh",
        "saml",
        "oidc",
        "oauth",
        "fips",
        "cis",
        "owasp",
        "csa",
        "star",
        "cobit",
        "itil",
        "cyber-essentials",
    ]
)
_VERSIONED = re.compile(r"^(?=.*\d)(?=.*[a-z.\-])[a-z0-9][a-z0-9.\-]*$")  # 800-53, 1.3, v4, aes256
_YEAR = re.compile(r"^(19|20)\d\d$")


@dataclass(frozen=True)
class Topic:
    """What a question asks about, as words to be covered."""

    terms: tuple[str, ...]  # topic stems, each once, in order
    concepts: dict[str, tuple[str, ...]]  # concept -> the stems of the question naming it
    actors: tuple[str, ...]  # actor concepts the question names as participants
    identifiers: tuple[str, ...]
    examples: frozenset[str] = frozenset()  # terms only named as examples ("e.g. …", "(…)")


def identifiers(text: str) -> tuple[str, ...]:
    """Named schemes and the numbers that identify a standard or version: "iso", "27001",
    "soc 2", "tls", "1.3", "800-53". Years, counts and durations are not identifiers."""
    tokens = [part for word in words(text) for part in word.split("/") if part]
    found = []
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in _NAMED_SCHEMES:
            found.append(token)
            if following.isdigit() and len(following) <= 2:  # "soc 2", "level 3"
                found.append(f"{token} {following}")
        elif token.isdigit():
            if len(token) >= 4 and not _YEAR.match(token):  # 27001, 9001, 22301
                found.append(token)
        elif _VERSIONED.match(token) and not re.match(
            r"^\d+(st|nd|rd|th|(x\d+)+|k|m|gb|tb|%)$", token
        ):
            found.append(token)
    return tuple(dict.fromkeys(found))


_EXAMPLES = re.compile(
    r"\([^)]*\)|\[[^\]]*\]|\b(e\.\s?g\.?|eg\.|for example|for instance|such as|including"
    r"(,? but not limited to)?|like)\b[^.;?]*",
    re.IGNORECASE,
)


def topic(text: str) -> Topic:
    """The words a control must name to back an answer. Examples ("(e.g. ISO 27001, SOC 2)",
    "such as …") illustrate the ask: their words count little, and their actors and
    identifiers are not required."""
    sequence = stems(text)
    named: dict[str, list[str]] = {}
    for concept, start, end in concept_spans(sequence):
        named.setdefault(concept, []).extend(sequence[start:end])
    main = _EXAMPLES.sub(" ", text)
    terms = _topic_terms(text)
    in_main = set(_topic_terms(main))
    main_concepts = concepts(stems(main))
    return Topic(
        tuple(dict.fromkeys(terms)),
        {c: tuple(dict.fromkeys(v)) for c, v in named.items()},
        tuple(a for a in ACTOR_CONCEPTS if a in main_concepts and _participates(a, main)),
        identifiers(main),
        frozenset(t for t in terms if t not in in_main),
    )


def _topic_terms(text: str) -> list[str]:
    return [s for w in words(text) for s in _term_stems(w) if s not in GENERIC_WORDS]


def _term_stems(word: str) -> Iterable[str]:
    if word in FRAME_WORDS or word.isdigit() or len(word) < 3:
        return ()
    stemmed = stem(word)
    if "-" in stemmed:
        parts = [p for p in stemmed.split("-") if len(p) >= 3 and p not in GENERIC_WORDS]
        return parts
    return (stemmed,)


_RESPONDENT = re.compile(
    r"\b(the|this|a|our)\s+(vendor|supplier|provider|service provider|contractor|csp|"
    r"cloud service provider|company|organi[sz]ation|firm|partner)\b(?!s)",
    re.IGNORECASE,
)


_INDEPENDENT_ASSESSOR = re.compile(
    r"\b(third[- ]party|external|independent)\s+(security\s+)?(audit|assess|attest|certif|"
    r"penetration|pen[- ]?test|test|review|evaluat|expert|firm|auditor)\w*",
    re.IGNORECASE,
)


def _participates(actor: str, text: str) -> bool:
    """A third party named only as "the vendor"/"the supplier" is the respondent itself, and
    a "third-party audit" names an independent assessor (a qualifier), not a supplier."""
    if actor != "third_party":
        return True
    rest = _INDEPENDENT_ASSESSOR.sub(" ", _RESPONDENT.sub(" ", text))
    return bool(concepts(stems(rest)) & {"third_party"})
