"""The sample company, effective status with expiring evidence, answers and posture."""

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from service.controls import (
    CompanyProfile,
    Evidence,
    KnowledgeBase,
    Status,
    check_answer_templates,
    effective_status,
    framework_coverage,
    load_company,
    load_knowledge_base,
    render_answer,
    review_company,
)
from service.settings import KNOWLEDGE_DIR

TODAY = date(2026, 11, 22)
SAMPLE = KNOWLEDGE_DIR / "company" / "larkspur-health.yaml"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(KNOWLEDGE_DIR)


@pytest.fixture(scope="module")
def company(kb: KnowledgeBase) -> CompanyProfile:
    return load_company(SAMPLE, kb)


def with_evidence(company: CompanyProfile, *items: Evidence) -> CompanyProfile:
    return replace(company, evidence={e.id: e for e in items})


def evidence(control_id: str, collected: date, expires: date | None) -> Evidence:
    return Evidence(id=f"EV-{collected}", title="proof", type="report", location="drive",
                    owner="someone", collected=collected, expires=expires, controls=(control_id,))


def test_sample_company_loads_with_facts_states_and_evidence(company: CompanyProfile) -> None:
    assert company.key == "larkspur-health"
    assert company.facts["employee_count"].value == 60
    assert company.facts["phi_processed"].value is True
    assert len(company.facts["subprocessors"].value) >= 5
    assert len(company.control_states) >= 100
    assert len(company.evidence) >= 40
    assert company.answer_library


def test_sample_company_has_the_advertised_gaps(company: CompanyProfile) -> None:
    def status(control_id: str) -> Status:
        return effective_status(company, control_id, TODAY).effective

    assert status("VUL-02") == Status.PLANNED  # no external penetration test yet
    assert status("BCR-08") == Status.PLANNED  # disaster recovery never tested
    assert status("VEN-03") == Status.NOT_IMPLEMENTED  # vendor reviews ad hoc
    assert status("ATT-02") == Status.NOT_IMPLEMENTED  # not listed at all
    assert status("ATT-05") == Status.NOT_APPLICABLE
    assert status("IAM-03") == Status.IMPLEMENTED


def test_expired_evidence_downgrades_an_implemented_control(company: CompanyProfile) -> None:
    assessment = effective_status(company, "ATT-01", TODAY)  # SOC 2 report period long past
    assert assessment.declared == Status.IMPLEMENTED
    assert assessment.effective == Status.PARTIAL
    assert not assessment.supports_yes
    assert "EV-063" in assessment.reason and "expired" in assessment.reason


def test_evidence_counts_until_its_expiry_day_and_not_before_collection(
        company: CompanyProfile) -> None:
    expiry = date(2026, 12, 31)
    profile = with_evidence(company, evidence("IAM-03", date(2026, 1, 1), expiry))
    assert effective_status(profile, "IAM-03", expiry).supports_yes
    assert not effective_status(profile, "IAM-03", expiry + timedelta(days=1)).supports_yes
    assert not effective_status(profile, "IAM-03", date(2025, 12, 31)).supports_yes


def test_one_valid_item_is_enough_and_missing_evidence_downgrades(
        company: CompanyProfile) -> None:
    expired = evidence("IAM-03", date(2024, 1, 1), date(2025, 1, 1))
    current = evidence("IAM-03", date(2026, 6, 1), None)
    assert effective_status(with_evidence(company, expired, current), "IAM-03",
                            TODAY).supports_yes
    bare = effective_status(with_evidence(company), "IAM-03", TODAY)
    assert bare.effective == Status.PARTIAL and "no evidence" in bare.reason


def test_downgrade_does_not_touch_other_statuses(company: CompanyProfile) -> None:
    profile = with_evidence(company)
    assert effective_status(profile, "VUL-02", TODAY).effective == Status.PLANNED
    assert effective_status(profile, "ATT-05", TODAY).effective == Status.NOT_APPLICABLE


def test_review_warns_about_lapsed_claims_and_expiring_evidence(
        company: CompanyProfile) -> None:
    warnings = review_company(company, TODAY)
    entries = {w.entry for w in warnings}
    assert {"ATT-01", "IAM-09", "BCR-06"} <= entries  # implemented but evidence lapsed
    assert "EV-045" in entries  # expires within 30 days
    assert all(w.severity == "warning" and "larkspur-health.yaml:" in str(w) for w in warnings)


def test_answers_render_for_every_control(kb: KnowledgeBase, company: CompanyProfile) -> None:
    assert check_answer_templates(kb, company, TODAY) == []
    # the sample also renders every other status, so callers may vary it freely
    assert check_answer_templates(kb, company, TODAY, every_status=True) == []
    assert "Okta" in render_answer(kb, company, "IAM-03", TODAY)
    partial = render_answer(kb, company, "ATT-01", TODAY)
    assert partial.startswith("Partially.") and "EV-063" in partial
    planned = render_answer(kb, company, "VUL-02", TODAY)
    assert planned.startswith("Not at present.") and "2027-02-15" in planned


def test_template_naming_a_missing_fact_is_reported(kb: KnowledgeBase,
                                                    company: CompanyProfile) -> None:
    facts = {k: v for k, v in company.facts.items() if k != "identity_provider"}
    issues = check_answer_templates(kb, replace(company, facts=facts), TODAY)
    assert {i.entry for i in issues} == {"IAM-01", "IAM-03"}
    assert "answer template 'implemented' fails" in str(issues[0])
    assert "identity_provider" in str(issues[0])


def test_coverage_shows_the_company_posture(kb: KnowledgeBase, company: CompanyProfile) -> None:
    results = {fc.framework.key: fc for fc in framework_coverage(kb, company, TODAY)}
    soc2 = results["soc2"]
    assert soc2.covered == 61
    states = {r.requirement.id: r.state for r in soc2.requirements}
    assert states["A1.3"] == "gap"  # recovery never tested
    assert states["CC9.2"] == "partly_met"  # vendor reviews ad hoc
    assert states["CC6.6"] == "met"
    assert 0.5 < soc2.implemented_share < 1.0
    assert all(0.5 < fc.implemented_share < 1.0 for fc in results.values())


def test_coverage_without_a_company_only_counts_mappings(kb: KnowledgeBase) -> None:
    for fc in framework_coverage(kb):
        assert {r.state for r in fc.requirements} <= {"unknown", "uncovered"}


def test_profile_path_names_the_company(tmp_path: Path, kb: KnowledgeBase) -> None:
    copy = tmp_path / "acme.yaml"
    copy.write_text(SAMPLE.read_text())
    assert load_company(copy, kb).key == "acme"
