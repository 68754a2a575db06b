"""Text heuristics shared by every format: IDs, question-ness, placeholders, answer types."""

from __future__ import annotations

import re
import unicodedata

from .model import AnswerType

# An ID as printed: one token with a digit, like DOCU-01, A&A-05.1, 1.2.1, G-SM-A-1-1, Q12, 3.
_ID = re.compile(r"^(?=[^\s]*\d)[A-Za-z0-9][A-Za-z0-9&_.:/\-]{0,23}$")
_WORD_ID = re.compile(r"^[A-Z][A-Z&]{0,7}[-_. ]\d{1,3}(?:\.\d+)*[a-z]?$")  # "AC 2", "Q 12"
_SPACES = re.compile(r"\s+")
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-"})  # hyphen, non-breaking hyphen
_END_MARKER = re.compile(
    r"^\s*end\s+(of\s+)?(table|worksheet|sheet|section|questionnaire|data)\b", re.IGNORECASE
)

_INTERROGATIVE = re.compile(
    r"^\s*(¿|\d+[.)]\s*)?(do|does|did|is|are|was|were|have|has|had|can|could|will|would|should|shall|"
    r"may|must|how|what|which|who|whom|whose|when|where|why|describe|explain|list|provide|"
    r"please|state|specify|indicate|identify|outline|summari[sz]e|detail|confirm|attach|upload|"
    r"select|include|share|enter|give|name)\b",
    re.IGNORECASE,
)
# A label asking for remarks, in a cell of its own or over one ("Comments:", "Other notes").
COMMENT_LABEL = re.compile(r"^((additional|other|your) )?(comments?|notes?|remarks?|"
                           r"explanation)\s*:?$", re.IGNORECASE)
_TRAILING_REFERENCE = re.compile(r"\s*\([^()]{1,40}\)\s*$")
_YES_NO_START = re.compile(
    r"^\s*(¿|\d+[.)]\s*)?(do|does|did|is|are|was|were|have|has|had|can|could|will|would|should|"
    r"shall|may|must)\b",
    re.IGNORECASE,
)

YES_WORDS = {"yes", "y", "si", "sí", "oui", "ja", "true", "compliant", "implemented"}
NO_WORDS = {"no", "n", "non", "nein", "false", "non-compliant", "not compliant"}
NA_WORDS = {"n/a", "na", "n.a.", "not applicable", "no aplica", "non applicable"}
PARTIAL_WORDS = {"partial", "partially", "parcial", "parcialmente", "partly", "in progress"}

# Words a template author puts in an answer cell to say what belongs there.
_PLACEHOLDER_VOCABULARY = {
    "vendor",
    "solution",
    "provider",
    "product",
    "company",
    "organization",
    "organisation",
    "name",
    "version",
    "information",
    "description",
    "brief",
    "of",
    "the",
    "and",
    "or",
    "a",
    "an",
    "here",
    "enter",
    "insert",
    "type",
    "your",
    "e",
    "mail",
    "email",
    "address",
    "phone",
    "number",
    "title",
    "contact",
    "link",
    "url",
    "web",
    "website",
    "details",
    "text",
    "value",
    "date",
    "institution",
    "institution's",
    "tbd",
    "xxx",
    "example",
    "sample",
    "answer",
    "response",
    "click",
    "tap",
    "to",
}
_PLACEHOLDER_PATTERNS = re.compile(
    r"^(mm|dd|yyyy|yy)[/.\-](mm|dd|yyyy|yy)[/.\-](mm|dd|yyyy|yy)$"
    r"|^\(?\d{3}\)?[ .\-]?555[ .\-]?\d{4}$|^555[ .\-]?555[ .\-]?5555$"
    r"|^x{3,}$|^_{3,}$|^\.{3,}$|^…$"
    r"|yourdomain|your-?company|vendor\.domain|example\.(com|org|net)"
    r"|^see (the )?.*\b(instructions?|guidance|tab|sheet)\b"
    r"|^(choose|select|click|tap|enter) (an|a|one|here|your|to)\b",
    re.IGNORECASE,
)


def clean(value: object) -> str:
    """Cell text as a person reads it: NFC, non-breaking spaces folded, outer whitespace gone."""
    if value is None:
        return ""
    text = str(value)
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\r\n", "\n")
    text = text.replace("\r", "\n").replace("_x000D_", "")
    return text.strip()


def one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def printed_id(text: str) -> str:
    """An ID as printed, with the typographic hyphens Word and Excel put in ("MSTG‑CRYPTO‑1")
    made plain."""
    return text.strip().translate(_HYPHENS)


def looks_like_id(text: str) -> bool:
    text = printed_id(text)
    if not text or len(text) > 24:
        return False
    if _ID.match(text):
        return not _is_date_or_number_value(text)
    return bool(_WORD_ID.match(text))


def _is_date_or_number_value(text: str) -> bool:
    # 00:00:00, 2024-01-31, 12/31/2024 or 3.5 are values, not IDs
    return bool(re.match(r"^\d{1,4}([:/\-]\d{1,4}){2}", text)) or bool(
        re.match(r"^\d+\.\d{3,}$", text)
    )


def is_end_marker(text: str) -> bool:
    return bool(_END_MARKER.match(text))


def looks_like_question(text: str) -> bool:
    """A sentence asking for something: ends with '?' (before a reference in brackets, as in
    "…revision? (TR-2)"), or opens like a question or a request."""
    text = text.strip()
    if len(text) < 8:
        return False
    asked = _TRAILING_REFERENCE.sub("", text).rstrip(" *")
    return asked.endswith("?") or bool(_INTERROGATIVE.match(text))


def words(text: str) -> set[str]:
    return {w for w in re.split(r"[^\w']+", text.lower()) if w}


def is_placeholder(answer: str, question: str) -> bool:
    """True when an answer cell holds the template's hint rather than a vendor's answer."""
    answer = answer.strip()
    if not answer:
        return True
    if _PLACEHOLDER_PATTERNS.search(answer):
        return True
    if len(answer) > 80:
        return False
    tokens = words(answer)
    if not tokens:
        return True
    allowed = _PLACEHOLDER_VOCABULARY | words(question)
    return tokens <= allowed and normalise_choice(answer) not in YES_WORDS | NO_WORDS | NA_WORDS


def normalise_choice(text: str) -> str:
    return one_line(text).lower().rstrip(".")


def split_choices(text: str) -> tuple[str, ...]:
    """'Yes/No/Alternate/N/A' or 'Yes, No, N/A' -> ('Yes', 'No', 'Alternate', 'N/A')."""
    protected = re.sub(r"\bN\s*/\s*A\b", "N\x00A", text, flags=re.IGNORECASE)
    parts = re.split(r"\s*[/,;|\n]\s*", protected)
    return tuple(dict.fromkeys(p.replace("\x00", "/").strip() for p in parts if p.strip()))


def infer_answer_type(question: str, options: tuple[str, ...]) -> AnswerType:
    if options:
        kinds = {_choice_kind(o) for o in options}
        if {"yes", "no"} <= kinds and kinds <= {"yes", "no", "na", "partial"}:
            return "yes_no"
        return "choice"
    text = one_line(question).lower()
    # "If you don't support SSO, does your application …?" asks the clause after the comma
    text = re.sub(r"^if [^,?]{3,120}, ", "", text)
    if re.search(r"\bdate\b", text) and len(text) < 60:
        return "date"
    if re.match(r"^\s*(how many|number of|what is the number|count of)\b", text):
        return "number"
    if _YES_NO_START.match(text) or (
        text.startswith("¿")
        and not re.match(r"^¿\s*(qu[eé]|cu[aá]l|c[oó]mo|d[oó]nde|cu[aá]nt|qui[eé]n)", text)
    ):
        return "yes_no"
    return "text"


_STATUS_WORD = re.compile(
    r"^(fully |partially |not |non-?)?(compliant|implemented|met|in place|applicable)$"
    r"|^(planned|in progress|partial|none)$"
)


def is_choice_word(text: str) -> bool:
    """A column heading that is itself an answer ("Yes", "N/A", "Partially compliant"): the
    respondent marks the column of the answer."""
    return _choice_kind(text) != "other" or bool(_STATUS_WORD.match(normalise_choice(text)))


def _choice_kind(option: str) -> str:
    value = normalise_choice(option)
    if value in YES_WORDS:
        return "yes"
    if value in NO_WORDS:
        return "no"
    if value in NA_WORDS:
        return "na"
    if value in PARTIAL_WORDS:
        return "partial"
    return "other"
