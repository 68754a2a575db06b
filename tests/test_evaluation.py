"""`candor eval`: the scoring rules of shared/eval/README.md over several questionnaire families,
with everything fitted on labels fitted leave-one-family-out, and the floors Candor keeps on
families it was not fitted on."""

from datetime import date

import pytest

from service.answering.evaluate import (
    Family,
    cross_family,
    family_name,
    labelled,
    load_labels,
    pooled,
)
from service.cli import main
from service.ingest import Location, Question, parse
from service.settings import REPO_ROOT

from .conftest import SHARED

ON = date(2026, 12, 7)
# (labels, questionnaire): the two dev families of shared/eval, and two more labelled here
FAMILIES = [
    (SHARED / "eval/hecvat_full_v3.06_labels.yaml",
     SHARED / "corpus/xlsx/HECVAT_Full_v3.06_blank.xlsx"),
    (SHARED / "eval/cisa_scrm_labels.yaml",
     SHARED / "corpus/xlsx/CISA_ICT-SCRM_Vendor_SCRM_questions.xlsx"),
    (REPO_ROOT / "bench/labels/owasp_samm_v2_labels.yaml",
     SHARED / "corpus/xlsx/OWASP_SAMM_v2_Toolbox_assessment_blank.xlsx"),
    (REPO_ROOT / "bench/labels/owasp_masvs_1.2_labels.yaml",
     SHARED / "corpus/xlsx/OWASP_MASVS_Checklist_1.2.xlsx"),
]


@pytest.fixture(scope="module")
def families(matcher):
    found = []
    for labels, file in FAMILIES:
        questionnaire = parse(file)
        found.append(Family(family_name(labels), load_labels(labels), questionnaire,
                            matcher.match(questionnaire.questions)))
    return found


@pytest.fixture(scope="module")
def results(families, kb, company, matcher):
    from service.answering import Thresholds

    return {r.family: r for r in cross_family(families, kb, company, ON,
                                              (matcher.calibration, Thresholds()))}


def test_every_label_finds_its_question(families):
    for family in families:
        _, missing = labelled(family.questionnaire.questions, family.labels)
        assert not missing, family.name


def test_each_family_is_scored_by_a_model_fitted_without_it(results):
    for name, result in results.items():
        assert name not in result.fitted_on and len(result.fitted_on) == len(FAMILIES) - 1


def test_out_of_family_floors_on_the_higher_education_family(results):
    scores = results["hecvat_full_v3.06"].scores
    assert scores.auto_precision >= 0.97, scores
    assert scores.soc2_hit1 >= 0.90, scores
    assert scores.fact_other_auto_from_control <= 0.02, scores
    assert scores.automation >= 0.45, scores


def test_out_of_family_floors_on_the_supply_chain_family(results):
    """Below the bar issue #12 sets (auto-precision 0.97, hit@1 0.85, automation 0.30, fact and
    other 2%): measured 0.938, 0.721, 0.239 and 1 of its 4 fact questions (see README). These
    floors keep what was reached from sliding back."""
    scores = results["cisa_scrm"].scores
    assert scores.auto_precision >= 0.93, scores
    assert scores.soc2_hit1 >= 0.70, scores
    assert scores.fact_other_auto_from_control <= 0.25, scores
    assert scores.automation >= 0.20, scores


def test_the_shipped_model_is_the_one_fitted_on_every_family(families, kb, company):
    from service.answering import Thresholds
    from service.answering.evaluate import fit_all
    from service.matching import CALIBRATION

    calibration, thresholds = fit_all(families, kb, company, ON)
    shipped = Thresholds()
    assert abs(thresholds.control - shipped.control) <= 0.03
    assert abs(thresholds.description - shipped.description) <= 0.03
    assert all(abs(a - b) <= 0.5 for a, b in zip(calibration.weights, CALIBRATION.weights,
                                                  strict=True))


def test_pooled_numbers_count_every_family(results):
    total = pooled([r.scores for r in results.values()])
    assert total.soc2_questions == sum(r.scores.soc2_questions for r in results.values())
    assert total.auto_right == sum(r.scores.auto_right for r in results.values())


def test_labels_join_on_text_where_printed_ids_repeat():
    where = Location("row", row=1, column=2)
    questions = [Question("1.1", "Keys are rotated yearly.", "Android", "choice", (), where,
                          where),
                 Question("1.1", "Logs are kept.", "iOS", "choice", (), where, where)]
    labels = [{"id": "MSTG-X-1", "text": "Logs  are kept."}, {"id": "1.1"}, {"id": "9.9"}]
    pairs, missing = labelled(questions, labels)
    assert [(label["id"], index) for label, index in pairs] == [("MSTG-X-1", 1), ("1.1", 0)]
    assert missing == ["9.9"]


def test_eval_refuses_an_unpaired_file_in_one_line(capsys):
    labels, file = FAMILIES[0]
    assert main(["eval", str(labels), str(file), str(labels)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pairs" in err
