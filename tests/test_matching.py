"""Matching on its own: words, question understanding, boilerplate and follow-ups, the
answer-support check and the confidence model. Every case here is written for these tests, in
our own words, not taken from a labelled questionnaire."""

import subprocess
import sys
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

import service.matching
from service.ingest import Location, Question
from service.matching import (
    Calibration,
    ControlVocabulary,
    MatchSignals,
    TermWeights,
    fit,
    support,
    understand,
)
from service.matching.language import stem
from service.matching.queries import follow_up_parent, queries, shared_boilerplate
from service.settings import REPO_ROOT


def test_the_public_surface_is_pinned():
    assert sorted(service.matching.__all__) == [
        "CALIBRATION", "Calibration", "Candidate", "ControlMatch", "ControlVocabulary",
        "Embedder", "MatchSignals", "Matcher", "QuestionMatch", "Support", "TermWeights",
        "Topic", "Understanding", "fit", "support", "unbacked_qualifiers", "understand",
    ]
    # importing it must not load the model's libraries (seconds) before a match needs them
    code = "import sys, service.matching; print('sentence_transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO_ROOT, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("forms", [
    ("authorise", "authorization", "authorized", "authorizes"),
    ("encrypt", "encryption", "encrypted", "encrypting"),
    ("log", "logs", "logging", "logged"),
    ("centre", "center", "centres"),
    ("behaviour", "behavior"),
    ("analyse", "analyze", "analysis", "analyses"),
    ("approve", "approved", "approval", "approving"),
])
def test_word_forms_meet_at_one_stem(forms):
    assert len({stem(f) for f in forms}) == 1


# -- what a question asks ------------------------------------------------------------------


@pytest.mark.parametrize(("text", "commentary"), [
    ("Is there anything else you would like us to know?", True),
    ("Additional comments", True),
    ("Please add any other information you think is relevant.", True),
    ("Do you have any further remarks?", True),
    ("Use this space to tell assessors about your environment.", True),
    ("Do you encrypt backups?", False),
    ("Please provide additional detail about your encryption at rest.", False),
])
def test_free_commentary_is_recognised(text, commentary):
    assert understand(text).commentary is commentary


@pytest.mark.parametrize(("text", "actors"), [
    ("Do your suppliers screen their own staff?", {"third_party", "workforce"}),
    ("Must customers approve any privileged access to their environment?", {"customer"}),
    ("Does the vendor log administrator sign-ins?", set()),  # the vendor is the respondent
    ("Has an independent third-party firm audited the product?", set()),  # an assessor
    ("Do you hold a certification from a third-party auditor (e.g. ISO 27001)?", set()),
    ("Can data subjects ask for a copy of their records?", {"individual"}),
    ("Do employees complete awareness training?", {"workforce"}),
])
def test_actors_are_the_participants_a_question_names(text, actors):
    assert set(understand(text).topic.actors) == actors


@pytest.mark.parametrize(("text", "identifiers"), [
    ("Are you certified to ISO 9001:2015?", {"iso", "9001"}),
    ("Have you completed a SOC 2 Type II audit?", {"soc", "soc 2"}),
    ("Is TLS 1.3 enforced?", {"tls", "1.3"}),
    ("Do you follow NIST SP 800-171?", {"nist", "800-171"}),
    ("Is the service monitored 24x7x365 and were incidents reviewed in 2024?", set()),
    ("Do you hold a certification (for example ISO 27001)?", set()),  # an example only
])
def test_identifiers_name_standards_and_versions_not_counts_or_years(text, identifiers):
    assert set(understand(text).topic.identifiers) == identifiers


@pytest.mark.parametrize(("text", "polarity", "description"), [
    ("Do you keep an inventory of laptops?", "positive", False),
    ("Access to production is limited to on-call engineers.", "positive", False),
    ("Restrict remote access to managed devices", "positive", False),
    ("How do you decide which vulnerabilities to fix first?", "neutral", True),
    ("Describe your process for revoking access.", "neutral", True),
    ("If so, please explain how keys are rotated.", "neutral", True),
    ("Primary contact name", "neutral", False),
    ("What frameworks do you follow?", "neutral", False),
    ("Have you had a data breach in the last two years?", "negative", False),
])
def test_requirements_statements_and_descriptions(text, polarity, description):
    understood = understand(text)
    assert (understood.polarity, understood.description) == (polarity, description)


def test_a_thing_the_question_names_must_be_named_by_the_control(judge):
    backing = judge("Is the disaster recovery plan reviewed every year and kept up to date?",
                    "GOV-02")
    assert "disaster_recovery" in backing.concepts_missing
    assert any("disaster recovery" in reason for reason in backing.objections)


def test_a_policy_question_cites_the_policy_control_that_commits_to_what_it_asks(matcher, kb):
    from service.matching import unbacked_qualifiers

    text = ("Are policies and procedures for handling security incidents established, "
            "documented, approved and communicated to staff?")
    match = matcher.match([_question("P-2", text)])[0]
    assert match.policy_control and match.policy_control != match.controls[0].control_id
    assert not unbacked_qualifiers(match.understanding.qualifiers,
                                   kb.controls[match.policy_control].statement)


def test_audited_is_a_commitment_a_yes_would_make():
    assert "audited" in understand("Are access rights audited by the security team?").qualifiers


def test_words_named_only_as_examples_count_little():
    topic = understand("Do you scan dependencies (e.g. with a software composition tool)?").topic
    assert {stem("composition"), stem("tool")} <= topic.examples
    assert stem("dependencies") not in topic.examples


# -- boilerplate and follow-ups --------------------------------------------------------------


def _question(ref: str, text: str, section: str = "S", generated: bool = False) -> Question:
    where = Location("row", row=1, column=2)
    return Question(ref, text, section, "text", (), where, where, ref_generated=generated)


def test_boilerplate_shared_by_a_questionnaire_is_cut_from_its_queries():
    tail = "policies and procedures established, documented, approved, communicated and maintained?"
    topics = ["Are mobile device", "Are encryption key", "Are backup media", "Are visitor badge",
              "Are open source licence"]
    questions = [_question(f"A-{i}", f"{t} {tail}") for i, t in enumerate(topics)]
    questions.append(_question("A-9", "Is penetration testing performed every year?"))
    asked = queries(questions)
    assert asked[1].text == "Are encryption key"
    assert asked[5].text == questions[5].text  # nothing shared to cut
    # a questionnaire where few questions share the words keeps them
    assert not shared_boilerplate([questions[0].text, questions[5].text])


def test_a_policy_question_is_searched_by_its_topic():
    text = ("Do you have documented policies and procedures for wireless network access that are "
            "aligned with industry standards?")
    asked = queries([_question("P-1", text)])[0]
    assert "policies" not in asked.text and "wireless network access" in asked.text
    assert understand(text).policy


def test_the_thing_assessed_named_in_most_questions_is_boilerplate_too():
    texts = ["The app encrypts data it stores.", "The app pins server certificates.",
             "The app disables debugging in release builds.", "The app asks for few permissions.",
             "Backups are tested yearly."]
    asked = queries([_question(f"M-{i}", t) for i, t in enumerate(texts)])
    assert asked[1].text == "The pins server certificates."
    assert asked[4].text == texts[4]


def test_a_question_that_is_only_boilerplate_keeps_its_words():
    tail = "Is there a documented and approved policy and procedure?"
    questions = [_question(f"B-{i}", tail) for i in range(5)]
    assert queries(questions)[0].text == tail


@pytest.mark.parametrize(("refs", "child", "parent"), [
    (["2.3", "2.3.1"], 1, 0),
    (["2.3", "2.3.1", "2.3.2"], 2, 0),
    (["4.7", "4.7.1", "4.7.1.1"], 2, 1),
    (["AC-2", "AC-2 (1)"], 1, 0),
    (["4", "4a"], 1, 0),
    (["2.1", "2.10"], 1, None),  # 2.10 is a sibling of 2.1, not its child
    (["DOCU-01", "DOCU-011"], 1, None),
])
def test_follow_ups_by_printed_ids(refs, child, parent):
    questions = [_question(r, "Do you rotate encryption keys?") for r in refs]
    assert follow_up_parent(questions, child) == parent


def test_follow_ups_without_ids_by_their_wording():
    questions = [
        _question("Q001", "Do you test your disaster recovery plan?", generated=True),
        _question("Q002", "If so, how often?", generated=True),
        _question("Q003", "Do you encrypt laptops?", generated=True),
        _question("Q004", "If yes, describe how.", "Other section", generated=True),
    ]
    assert follow_up_parent(questions, 1) == 0
    assert follow_up_parent(questions, 2) is None
    assert follow_up_parent(questions, 3) is None  # not across sections


# -- the answer-support check ---------------------------------------------------------------


@pytest.fixture(scope="module")
def vocabularies(kb):
    return {cid: ControlVocabulary.of(c) for cid, c in kb.controls.items()}


@pytest.fixture(scope="module")
def judge(kb, vocabularies):
    weights = TermWeights(vocabularies.values())

    def judged(text: str, control_id: str):
        return support(understand(text), kb.controls[control_id], vocabularies[control_id],
                       weights)

    return judged


# A question, a control retrieval may well rank first for it that does NOT back it. Each is
# a different way of asking about something next to the control's own subject.
NOT_BACKED = [
    ("Do you keep a record of everyone who enters your office building?", "LOG-02"),
    ("Are backups written to removable media such as tapes or USB drives?", "BCR-03"),
    ("Must a customer approve any privileged access to their account?", "RSK-03"),
    ("Is there an inventory of the laptops and desktops issued to staff?", "VEN-01"),
    ("How do people exercise their right to obtain a copy of their personal data?", "GOV-07"),
    ("Do your suppliers run background checks on their own personnel?", "HRS-01"),
    ("Are you certified to ISO 9001?", "ATT-02"),
    ("Can every feature of the product be operated with a keyboard alone?", "PRD-13"),
    ("Is the disaster recovery plan reviewed every year and kept up to date?", "GOV-02"),
    ("Does your agreement with customers give them the right to audit you?", "VEN-04"),
]


@pytest.mark.parametrize(("text", "control_id"), NOT_BACKED)
def test_a_control_next_to_the_topic_does_not_back_the_question(judge, text, control_id):
    backing = judge(text, control_id)
    assert backing.objections or backing.coverage < 0.5, backing


BACKED = [
    ("Is customer data encrypted at rest?", "CRY-01"),
    ("Are backups stored off-site in another region?", "BCR-03"),
    ("Do new hires undergo background checks?", "HRS-01"),
    ("Do you hold an ISO/IEC 27001 certificate?", "ATT-02"),
    ("Is multi-factor authentication required for staff?", "IAM-03"),
]


@pytest.mark.parametrize(("text", "control_id"), BACKED)
def test_the_control_of_the_topic_backs_the_question(judge, text, control_id):
    backing = judge(text, control_id)
    assert not backing.objections and backing.coverage >= 0.5, backing


def test_a_question_with_no_topic_words_is_backed_by_nothing(judge):
    assert judge("Please provide details.", "GOV-01").coverage == 0.0


def test_the_support_check_stops_automatic_answers_end_to_end(tmp_path, matcher, kb, company):
    """The same traps through retrieval and answering: whatever control ranks first, none of
    them gets an automatic answer from a control that does not back it."""
    from datetime import date

    from service.answering import answer_questionnaire
    from service.ingest import parse

    rows = [*NOT_BACKED, ("Is there anything else you would like to tell us?", "")]
    path = tmp_path / "traps.csv"
    path.write_text("ID,Question,Answer\n" + "".join(
        f'T{i},"{text}",\n' for i, (text, _) in enumerate(rows)) + 'OK1,"Is customer data '
        'encrypted at rest in your databases?",\n', encoding="utf-8")
    answered = answer_questionnaire(parse(path), kb, company, matcher, date(2026, 12, 7))
    for item, (_, wrong) in zip(answered.answers, rows, strict=False):
        cited = {c.id for c in item.citations if c.kind == "control"}
        automatic = item.answer.status == "auto" and item.answer.basis == "control"
        assert not (automatic and wrong in cited), (item.question.text, item.answer)
    commentary = answered.answers[len(rows) - 1]
    assert commentary.answer.status == "needs_review" and "free comment" in commentary.answer.note
    control = answered.answers[-1]
    assert control.answer.status == "auto" and control.match.controls[0].control_id == "CRY-01"


# -- the confidence model -------------------------------------------------------------------


def test_the_fitted_confidence_rises_with_score_and_coverage():
    samples = []
    for i in range(200):
        score, coverage = (i % 20) / 20, (i // 20) / 10
        right = score + coverage > 1.0
        samples.append((MatchSignals(score, 0.05, coverage), right))
    model = fit(samples)
    assert model.weights[0] > 0 and model.weights[2] > 0
    assert fit(samples) == model  # deterministic
    low, high = MatchSignals(0.3, 0.05, 0.2), MatchSignals(0.9, 0.05, 0.9)
    assert model.confidence(low) < 0.2 < 0.8 < model.confidence(high)


@given(st.floats(-1, 1), st.floats(0, 1), st.floats(0, 1))
def test_confidence_is_a_probability(score, depth, coverage):
    model = Calibration((40.0, -3.0, 25.0, 2.0), -30.0)
    assert 0.0 <= model.confidence(MatchSignals(score, depth, coverage)) <= 1.0


def test_recalibrating_a_match_changes_only_its_confidence(matcher):
    match = matcher.match([_question("X-1", "Do you encrypt laptops?")])[0]
    again = match.recalibrated(Calibration((0.0, 0.0, 0.0, 0.0), 0.0))
    assert again.confidence == 0.5 and replace(again, confidence=match.confidence) == match
