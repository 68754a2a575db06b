"""How each question of a questionnaire is put to the index: its topic without the
questionnaire's boilerplate, and the earlier question it follows up.

Both are rules about the layout and language of questionnaires in general:

- **Boilerplate** is wording many questions of one questionnaire share and that says nothing
  about the topic ("… policies and procedures established, documented, approved, communicated,
  applied, evaluated and maintained?"). It would pull every such question to whichever
  governance control shares the words, so it is cut from the text that is embedded; a question
  that is nothing but boilerplate keeps its words.
- **Follow-ups** ("2.3.1 What is your strategy?" under "2.3 Do you have a strategy for supply
  chain risk?", "If so, how is it tested?") take their topic from the question they follow.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from service.ingest import Question

from .language import FRAME_WORDS, GENERIC_WORDS, stem, words

# A run of this many generic words is boilerplate when enough questions share it; a single
# generic word ("the app", "the product") when most do.
_MIN_RUN = 2
_MIN_SHARE = 0.04
_MIN_QUESTIONS = 3
_SINGLE_WORD_SHARE = 0.3
_FOLLOW_UP_CUE = re.compile(
    r"^\s*(\(?[a-z0-9ivx]{1,3}[.)]\s*)?(if (so|yes|not|no|applicable|you answered|the answer|"
    r"available|any)|please (describe|explain|provide|specify|list|elaborate|state|detail|"
    r"attach|identify)|describe|explain|specify|elaborate|provide (details|more|further|a "
    r"description)|list (them|these|those)|which ones?|what (are|is) (they|it|that|this)|how "
    r"(is|are|was|were|do|does) (it|this|that|these|they)|when (is|was) (it|this))\b",
    re.IGNORECASE,
)
_ANAPHOR = re.compile(r"\b(it|this|that|these|those|they|them|such|above|previous)\b",
                      re.IGNORECASE)
_FEW_TOPIC_WORDS = 2


@dataclass(frozen=True)
class Query:
    text: str  # what is embedded and searched: the question without boilerplate
    parent: int | None  # the index of the question this one follows up
    dependent: bool  # it cannot be understood without its parent ("What is your strategy?")


def queries(questions: Sequence[Question]) -> list[Query]:
    texts = [q.text for q in questions]
    shared = shared_boilerplate(texts)
    result = []
    for i, question in enumerate(questions):
        text = _without(question.text, shared | policy_frames(question.text))
        parent = follow_up_parent(questions, i)
        dependent = parent is not None and is_dependent(question.text)
        result.append(Query(text, parent, dependent))
    return result


def topic_words(text: str) -> list[str]:
    return [
        stem(w) for w in words(text)
        if w not in FRAME_WORDS and not w.isdigit() and stem(w) not in GENERIC_WORDS
    ]


def is_dependent(text: str) -> bool:
    """Cannot be understood alone: it starts like a follow-up, or says "it"/"this" and names
    little else."""
    few = len(set(topic_words(text))) <= _FEW_TOPIC_WORDS
    return bool(_FOLLOW_UP_CUE.match(text)) or (few and bool(_ANAPHOR.search(text))) or (
        len(set(topic_words(text))) == 0
    )


def follow_up_parent(questions: Sequence[Question], index: int) -> int | None:
    """The nearest earlier question whose printed ID this one's extends ("2.3" for "2.3.1",
    "AC-2" for "AC-2 (1)", "4" for "4a"); without IDs, the question just before when this one
    starts like a follow-up ("If so, …") in the same section."""
    question = questions[index]
    if not question.ref_generated:
        best, length = None, 0
        for j in range(index - 1, -1, -1):
            other = questions[j]
            if other.ref_generated or len(other.ref) <= length:
                continue
            if _extends(question.ref, other.ref):
                best, length = j, len(other.ref)
        if best is not None:
            return best
    if index and questions[index - 1].section == question.section and is_dependent(
        question.text
    ):
        return index - 1
    return None


def _extends(ref: str, parent: str) -> bool:
    if len(ref) <= len(parent) or not ref.startswith(parent):
        return False
    rest = ref[len(parent):]
    if not rest[0].isalnum():  # "2.3" -> "2.3.1", "AC-2" -> "AC-2 (1)"
        return bool(re.match(r"^[\s.\-_(]+[a-z0-9]{1,4}\)?$", rest, re.IGNORECASE))
    # "4" -> "4a", "1.f" -> "1.f.ii" handled above; a digit after a digit is another number
    return parent[-1].isdigit() and bool(re.match(r"^[a-z]{1,2}$", rest, re.IGNORECASE))


def shared_boilerplate(texts: Sequence[str]) -> frozenset[tuple[str, ...]]:
    """Runs of generic words (as stems) that enough questions of this questionnaire share, and
    single generic words most of them share (what is assessed: "the app", "your product")."""
    runs: Counter[tuple[str, ...]] = Counter()
    singles: Counter[tuple[str, ...]] = Counter()
    for text in texts:
        runs.update(set(_generic_runs(text)))
        singles.update({(stem(w),) for w in words(text)
                        if w not in FRAME_WORDS and stem(w) in GENERIC_WORDS})
    needed = max(_MIN_QUESTIONS, int(_MIN_SHARE * len(texts) + 0.999))
    most = max(_MIN_QUESTIONS, int(_SINGLE_WORD_SHARE * len(texts) + 0.999))
    return frozenset([run for run, n in runs.items() if n >= needed]
                     + [single for single, n in singles.items() if n >= most])


_POLICY_STEMS = frozenset(stem(w) for w in (
    "policy", "policies", "procedure", "procedures", "standard", "standards", "framework",
    "frameworks", "guideline", "guidelines"))


def policy_frames(text: str) -> frozenset[tuple[str, ...]]:
    """The policy frame of one question ("documented policies and procedures in place …
    aligned with industry standards"): a policy question about a topic is matched on its
    topic, and the policy control is cited beside it (see `Matcher`)."""
    return frozenset(run for run in _generic_runs(text) if _POLICY_STEMS & set(run))


def _generic_runs(text: str) -> list[tuple[str, ...]]:
    """Maximal runs of generic words (frame words may sit inside, not at the ends)."""
    runs, current = [], []
    for word in words(text):
        if stem(word) in GENERIC_WORDS:
            current.append(stem(word))
        elif word in FRAME_WORDS and current:
            current.append(word)
        else:
            runs.append(current)
            current = []
    runs.append(current)
    out = []
    for run in runs:
        while run and run[-1] in FRAME_WORDS:
            run = run[:-1]
        if sum(1 for w in run if w not in FRAME_WORDS) >= _MIN_RUN:
            out.append(tuple(run))
    return out


def _without(text: str, shared: frozenset[tuple[str, ...]]) -> str:
    """`text` with its shared boilerplate runs cut; unchanged when nothing else would remain."""
    if not shared:
        return text
    tokens = list(re.finditer(r"\S+", text))
    keys = [tuple(stem(w) if stem(w) in GENERIC_WORDS else w for w in words(t.group()))
            for t in tokens]
    drop = [False] * len(tokens)
    flat = [(i, k) for i, key in enumerate(keys) for k in key]
    for run in shared:
        size = len(run)
        for start in range(len(flat) - size + 1):
            if tuple(k for _, k in flat[start:start + size]) == run:
                for position in range(start, start + size):
                    drop[flat[position][0]] = True
    if not any(drop):
        return text
    kept = " ".join(t.group() for t, d in zip(tokens, drop, strict=True) if not d)
    return kept if topic_words(kept) else text
