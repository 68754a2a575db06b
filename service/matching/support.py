"""Does a control back what a question asks? The check before any automatic answer.

Retrieval finds the control a question is closest to; closeness is not support. A control backs
a question only when what the question asks about is named by the control itself (its title,
statement and phrasings, in the same words or in words of the same concept):

- its **topic words** ("removable media", "building entry records") — `coverage` is the share
  of them, weighted by how specific each word is, that the control names;
- its **actors** — the customer, third parties, individuals, staff: a question about what a
  supplier or a customer does is not backed by a control about the company's own staff;
- its **identifiers** — a named standard, law or version ("ISO 9001", "TLS 1.3", "FERPA") must
  be the control's own;
- its **qualifiers** — frequency, independence, scope ("annually", "all") — must be committed
  to by the control's statement (`understanding.unbacked_qualifiers`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from service.controls import Control

from .language import stems
from .lexicon import concepts
from .understanding import (
    ACTOR_CONCEPTS,
    Topic,
    Understanding,
    identifiers,
    unbacked_qualifiers,
)


@dataclass(frozen=True)
class ControlVocabulary:
    """What a control names: the stems and concepts of its title, statement and phrasings."""

    stems: frozenset[str]
    concepts: frozenset[str]
    identifiers: frozenset[str]
    parties: frozenset[str] = frozenset()  # the outside party its title is about (vendors…)

    @classmethod
    def of(cls, control: Control) -> ControlVocabulary:
        texts = [control.title, control.statement, *control.questions]
        return cls(
            frozenset(s for text in texts for s in stems(text)),
            frozenset(c for text in texts for c in concepts(stems(text))),
            frozenset(i for text in texts for i in identifiers(text)),
            concepts(stems(control.title)) & OUTSIDE_PARTIES,
        )


# The parties outside the company a control or a question can be about.
OUTSIDE_PARTIES = frozenset({"third_party", "customer", "individual"})
# Concepts that say who or how often, not what: checked as actors and qualifiers instead.
NOT_OBJECTS = frozenset({*ACTOR_CONCEPTS, "annual", "quarterly", "monthly"})
EXAMPLE_WEIGHT = 0.25  # a word named only as an example counts this much


class TermWeights:
    """How specific a stem is to a few controls: rare across the knowledge base weighs more.

    A stem no control names gets the weight of one named by a handful: unknown words are as
    often filler ("undergone") as new objects ("keyboard"), so they neither dominate nor vanish.
    """

    def __init__(self, vocabularies: Iterable[ControlVocabulary]) -> None:
        counts: Counter[str] = Counter()
        total = 0
        for vocabulary in vocabularies:
            counts.update(vocabulary.stems)
            total += 1
        self.total = max(total, 1)
        self.counts = counts
        self.unknown = self._idf(4)

    def _idf(self, count: int) -> float:
        return math.log((self.total + 1) / (count + 1))

    def __call__(self, term: str) -> float:
        count = self.counts.get(term, 0)
        return self.unknown if count == 0 else self._idf(count)

    def familiarity(self, topic: Topic) -> float:
        """The share of a question's own topic words (not its examples) the knowledge base
        names anywhere: a question mostly about things no control names ("chain of custody
        of manufactured components") has only neighbours to match, however close."""
        main = [t for t in topic.terms if t not in topic.examples]
        return round(sum(1 for t in main if t in self.counts) / len(main), 4) if main else 0.0


@dataclass(frozen=True)
class Support:
    coverage: float  # weighted share of the question's topic words the control names
    actors_missing: tuple[str, ...]
    identifiers_missing: tuple[str, ...]
    qualifiers_missing: tuple[str, ...]
    concepts_missing: tuple[str, ...] = ()  # things it names that the control does not
    parties_foreign: tuple[str, ...] = ()  # outside parties the control is about, it is not

    @property
    def objections(self) -> tuple[str, ...]:
        """Why the control cannot back an automatic answer, in words for a reviewer."""
        reasons = []
        if self.actors_missing:
            reasons.append(
                "it asks about " + ", ".join(a.replace("_", " ") for a in self.actors_missing)
            )
        if self.identifiers_missing:
            reasons.append("it names " + ", ".join(self.identifiers_missing))
        if self.parties_foreign:
            reasons.append("the control is about " + ", ".join(
                p.replace("_", " ") for p in self.parties_foreign) + " and the question is not")
        if self.concepts_missing:
            reasons.append("it asks about " + ", ".join(c.replace("_", " ")
                                                       for c in self.concepts_missing))
        if self.qualifiers_missing:
            reasons.append("it also asks " + ", ".join(self.qualifiers_missing))
        return tuple(reasons)


def support(
    understanding: Understanding,
    control: Control,
    vocabulary: ControlVocabulary,
    weights: TermWeights,
) -> Support:
    question = understanding.topic
    assert question is not None, "understand() gives every question a topic"
    covered_by_concept = {
        term
        for concept, terms in question.concepts.items()
        if concept in vocabulary.concepts
        for term in terms
    }
    total = covered = 0.0
    for term in question.terms:
        weight = weights(term) * (EXAMPLE_WEIGHT if term in question.examples else 1.0)
        total += weight
        if term in vocabulary.stems or term in covered_by_concept:
            covered += weight
    return Support(
        round(covered / total, 4) if total else 0.0,  # no topic word: nothing to back
        tuple(a for a in question.actors if a not in vocabulary.concepts),
        tuple(i for i in question.identifiers if i not in vocabulary.identifiers),
        unbacked_qualifiers(understanding.qualifiers, control.statement),
        tuple(
            concept for concept, terms in question.concepts.items()
            if concept not in NOT_OBJECTS and concept not in vocabulary.concepts
            and not all(t in question.examples for t in terms)
        ),
        # a control about vendors does not answer a question about customers, and vice versa
        tuple(sorted(vocabulary.parties))
        if vocabulary.parties and set(question.actors) & OUTSIDE_PARTIES
        and not vocabulary.parties & set(question.actors) else (),
    )
