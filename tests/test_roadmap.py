"""The roadmap: dependency order and capacity hold, nothing is dropped, runs repeat, and
implementing a control takes it out of the plan and raises the projection."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from docx import Document
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from service.answering.engine import Gap
from service.controls import (
    SAMPLE_PROFILE,
    AnswerTemplates,
    CompanyProfile,
    Control,
    ControlState,
    Evidence,
    KnowledgeBase,
    Remediation,
    Status,
    load_company,
    load_knowledge_base,
)
from service.roadmap import (
    DealContext,
    QuestionnaireGaps,
    build_roadmap,
    prioritise,
    schedule,
    team_capacity,
    to_json_dict,
)
from service.roadmap.cli import add_commands
from service.roadmap.plan import PrioritisedItem
from service.roadmap.schedule import HORIZON_DAYS, Schedule
from service.settings import KNOWLEDGE_DIR

START = date(2026, 11, 23)  # a Monday


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(KNOWLEDGE_DIR)


@pytest.fixture(scope="module")
def company(kb: KnowledgeBase) -> CompanyProfile:
    return load_company(KNOWLEDGE_DIR / SAMPLE_PROFILE, kb)


def northwind(kb: KnowledgeBase) -> QuestionnaireGaps:
    """Synthetic gaps shaped like the sample questionnaire's: no matcher needed."""
    gap_questions = {
        "VEN-02": ("Q1", "Q2"),
        "BCR-08": ("Q3",),
        "VUL-02": ("Q4",),
        "IAM-09": ("Q5",),
    }
    gaps = tuple(
        Gap(c, kb.controls[c].title, "partial", None, refs, {})
        for c, refs in sorted(gap_questions.items())
    )
    deal = DealContext("Northwind", 250_000, START + timedelta(days=20), ("soc2",))
    return QuestionnaireGaps("northwind.xlsx", 10, ("Q6", "Q7", "Q8"), gaps, deal)


def assert_feasible(plan: Schedule, items: list[PrioritisedItem]) -> None:
    placed = {s.item.id: s for s in plan.scheduled}
    deferred = {d.item.id for d in plan.deferred}
    assert placed.keys() | deferred == {i.id for i in items}
    assert not placed.keys() & deferred
    for scheduled in plan.scheduled:
        assert scheduled.end <= plan.last_day
        assert sum(days for _, days in scheduled.booked) == pytest.approx(
            scheduled.item.effort_days, abs=0.01
        )
        for dependency in scheduled.item.depends_on:
            assert dependency in placed, f"{scheduled.item.id} placed before {dependency}"
            assert placed[dependency].end < scheduled.start
    weekly: dict[tuple[str, int], float] = {}
    for scheduled in plan.scheduled:
        for day, days in scheduled.booked:
            assert day.weekday() < 5
            key = (scheduled.item.owner_role, (day - plan.start).days // 7)
            weekly[key] = weekly.get(key, 0.0) + days
    for (role, _), days in weekly.items():
        assert days <= plan.capacity[role] + 1e-9


def test_sample_company_plan_respects_dependencies_and_capacity(kb, company):
    roadmap = build_roadmap(kb, company, [], START, team_capacity(kb))
    items = list(roadmap.items)
    assert_feasible(roadmap.schedule, items)
    not_implemented = {
        c
        for c in kb.controls
        if company.declared_status(c) != Status.IMPLEMENTED
        and company.declared_status(c) != Status.NOT_APPLICABLE
    }
    assert not_implemented <= {i.id for i in items}
    assert all(i.why.startswith(f"Rank {i.rank} of {len(items)}: ") for i in items)
    # too much work for 90 days is reported with a reason, not dropped
    assert all(d.reason for d in roadmap.after_90_days)


def test_gap_plan_pulls_in_prerequisites_and_ranks_deal_work(kb, company):
    roadmap = build_roadmap(kb, company, [northwind(kb)], START, team_capacity(kb))
    ids = {i.id for i in roadmap.items}
    assert {"VEN-02", "BCR-08", "VUL-02", "IAM-09"} <= ids
    prerequisite = next(i for i in roadmap.items if i.id == "VEN-01")  # VEN-02 depends on it
    assert prerequisite.prerequisite_for == ("VEN-02",)
    assert "prerequisite for VEN-02" in prerequisite.why
    ven02 = next(i for i in roadmap.items if i.id == "VEN-02")
    assert "turns 2 questions to Yes" in ven02.why and "$250k Northwind deal" in ven02.why
    assert_feasible(roadmap.schedule, list(roadmap.items))


def test_quick_wins_come_first(kb, company):
    roadmap = build_roadmap(kb, company, [northwind(kb)], START, team_capacity(kb))
    quick = next(s for s in roadmap.schedule.scheduled if s.item.id == "IAM-09")
    assert quick.start == START and quick.phase == 1


def test_capacity_is_configurable_and_shortage_is_reported(kb, company):
    capacity = team_capacity(kb, {"Security Lead": 0.5})
    roadmap = build_roadmap(kb, company, [northwind(kb)], START, capacity)
    reasons = {d.item.id: d.reason for d in roadmap.after_90_days}
    assert "VUL-02" in reasons and "Security Lead" in reasons["VUL-02"]
    assert_feasible(roadmap.schedule, list(roadmap.items))
    none = build_roadmap(
        kb, company, [northwind(kb)], START, team_capacity(kb, {"Security Lead": 0})
    )
    assert (
        "no Security Lead capacity" in {d.item.id: d.reason for d in none.after_90_days}["VUL-02"]
    )


def test_deterministic(kb, company):
    first = to_json_dict(build_roadmap(kb, company, [northwind(kb)], START, team_capacity(kb)))
    again = to_json_dict(build_roadmap(kb, company, [northwind(kb)], START, team_capacity(kb)))
    assert json.dumps(first) == json.dumps(again)


def implemented(company: CompanyProfile, control_id: str) -> CompanyProfile:
    evidence = Evidence(f"ev-{control_id}", "proof", "record", "", "", START, None, (control_id,))
    return replace(
        company,
        control_states={
            **company.control_states,
            control_id: ControlState(control_id, Status.IMPLEMENTED),
        },
        evidence={**company.evidence, evidence.id: evidence},
    )


def test_implementing_a_control_removes_it_and_raises_the_projection(kb, company):
    before = build_roadmap(kb, company, [], START, team_capacity(kb))
    assert "CRY-07" in {i.id for i in before.items}
    after = build_roadmap(kb, implemented(company, "CRY-07"), [], START, team_capacity(kb))
    assert "CRY-07" not in {i.id for i in after.items}
    hipaa_before = next(f for f in before.posture.frameworks if f.key == "hipaa")
    hipaa_after = next(f for f in after.posture.frameworks if f.key == "hipaa")
    assert hipaa_after.shares[0] > hipaa_before.shares[0]


def test_projection_rises_with_each_phase(kb, company):
    roadmap = build_roadmap(kb, company, [northwind(kb)], START, team_capacity(kb))
    for framework in roadmap.posture.frameworks:
        assert list(framework.shares) == sorted(framework.shares)
    (questionnaire,) = roadmap.posture.questionnaires
    assert questionnaire.yes[0] == 3
    done = {s.item.id for s in roadmap.schedule.scheduled}
    unblocked = sum(len(g.questions) for g in northwind(kb).gaps if g.control_id in done)
    assert questionnaire.yes[-1] == 3 + unblocked


# --- property: random dependency graphs, efforts and capacities ------------------------------

ROLES = ("Security Lead", "IT Lead", "CEO")


def synthetic_kb(specs: list[tuple[float, int, str, list[int]]]) -> KnowledgeBase:
    controls = {}
    for index, (effort, severity, role, deps) in enumerate(specs):
        control_id = f"TST-{index:02d}"
        controls[control_id] = Control(
            control_id,
            "TST",
            f"Control {index}",
            "statement",
            (),
            (),
            AnswerTemplates(),
            Remediation(
                ("step",),
                effort,
                role,
                ("critical", "high", "medium", "low")[severity],
                tuple(f"TST-{d:02d}" for d in deps if d < index),
            ),
            (),
        )
    return KnowledgeBase({}, {}, controls, AnswerTemplates())


control_specs = st.lists(
    st.tuples(
        st.sampled_from([0.25, 0.5, 1, 2, 3.5, 5, 10, 30]),
        st.integers(0, 3),
        st.sampled_from(ROLES),
        st.lists(st.integers(0, 24), max_size=3),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(
    specs=control_specs,
    capacity=st.fixed_dictionaries({r: st.sampled_from([0, 0.5, 1, 2.5, 5]) for r in ROLES}),
    offset=st.integers(0, 6),
)
def test_any_plan_keeps_order_capacity_and_every_gap(specs, capacity, offset):
    kb = synthetic_kb(specs)
    company = CompanyProfile("t", "Test", {}, {}, {}, ())
    start = START + timedelta(days=offset)
    gaps = tuple(Gap(c, "", "not_implemented", None, (f"Q-{c}",), {}) for c in kb.controls)
    items = prioritise(kb, company, [QuestionnaireGaps("q.xlsx", len(gaps), (), gaps)], start)
    plan = schedule(items, capacity, start)
    assert_feasible(plan, items)
    assert plan.last_day == start + timedelta(days=HORIZON_DAYS - 1)


# --- CLI --------------------------------------------------------------------------------------


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="candor")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["roadmap", *argv])
    return args.func(args)


@pytest.fixture()
def answered_json(tmp_path: Path, kb: KnowledgeBase) -> Path:
    """What `candor answer --json` saves, reduced to what the roadmap reads."""
    questionnaire = northwind(kb)
    refs = [*questionnaire.yes_refs, *(r for g in questionnaire.gaps for r in g.questions)]
    data = {
        "file": "northwind.xlsx",
        "questions": [
            {"ref": r, "answer": {"value": "Yes" if r in questionnaire.yes_refs else "No"}}
            for r in refs
        ],
        "gaps": [
            {
                "control": g.control_id,
                "title": g.title,
                "status": g.status,
                "target_date": None,
                "questions": list(g.questions),
                "frameworks": {},
            }
            for g in questionnaire.gaps
        ],
    }
    path = tmp_path / "northwind.json"
    path.write_text(json.dumps(data))
    return path


def test_cli_json(answered_json, capsys):
    assert (
        run_cli(
            [
                str(answered_json),
                "--start",
                START.isoformat(),
                "--prospect",
                "Northwind",
                "--deal-value",
                "250000",
                "--frameworks",
                "soc2,hipaa",
                "--capacity",
                "Security Lead=4",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"start", "items", "after_90_days", "posture"}
    item = next(i for i in out["items"] if i["control"] == "VEN-02")
    assert {
        "control",
        "title",
        "phase",
        "start",
        "end",
        "owner_role",
        "effort_days",
        "depends_on",
        "questions_unblocked",
        "frameworks",
        "why",
    } <= set(item)
    assert item["questions_unblocked"] == ["Northwind Q1", "Northwind Q2"]
    assert item["depends_on"] == ["VEN-01"]
    assert out["posture"]["questionnaires"]["northwind.xlsx"]["yes"][0] == 3


def test_cli_xlsx(answered_json, tmp_path):
    out = tmp_path / "plan.xlsx"
    assert run_cli([str(answered_json), "--start", START.isoformat(), "--xlsx", str(out)]) == 0
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["Plan", "After day 90", "Posture"]
    rows = list(workbook["Plan"].iter_rows(values_only=True))
    assert rows[0][:5] == ("Phase", "Start", "End", "Rank", "Control")
    assert "VEN-02" in {r[4] for r in rows[1:]}
    assert workbook["Posture"]["A2"].value.startswith("SOC 2")


def test_cli_docx(tmp_path, answered_json):
    deals = tmp_path / "deals.yaml"
    deals.write_text(
        "northwind.json:\n  prospect: Northwind\n  deal_value: 250000\n"
        "  due_date: 2026-12-10\n  frameworks: [soc2]\n"
    )
    out = tmp_path / "memo.docx"
    assert (
        run_cli(
            [
                str(answered_json),
                "--start",
                START.isoformat(),
                "--deals",
                str(deals),
                "--docx",
                str(out),
            ]
        )
        == 0
    )
    document = Document(str(out))
    text = "\n".join(p.text for p in document.paragraphs)
    for heading in (
        "Summary",
        "Posture per framework",
        "Top risks",
        "The plan by phase",
        "Timeline",
    ):
        assert heading in text
    assert "$250k" in text
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert any("VEN-02" in c for c in cells) and "W13" in cells


def test_cli_rejects_deal_flags_for_several_files(answered_json, capsys):
    assert run_cli([str(answered_json), str(answered_json), "--prospect", "X"]) == 2
    assert "--deals" in capsys.readouterr().err


def test_cli_text_without_files(capsys):
    assert run_cli(["--start", START.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "90-day remediation plan" in out and "Days 1–30" in out
