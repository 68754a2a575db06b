"""Broken knowledge gives one clear `path:line: entry ID: message` line per fault."""

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.controls import KnowledgeError, load_company, load_knowledge_base
from service.settings import KNOWLEDGE_DIR

IAM_FILE = "controls/04-identity-access.yaml"
PROFILE = "company/larkspur-health.yaml"


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, root)
    return root


def edit(path: Path, old: str, new: str) -> int:
    """Replace the one occurrence of `old`; return the 1-based line where it starts."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new))
    return text[: text.index(old)].count("\n") + 1


def single_error(root: Path) -> str:
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge_base(root)
    lines = [str(issue) for issue in raised.value.issues]
    assert len(lines) == 1, lines
    return lines[0]


def test_broken_yaml_names_file_line_and_entry(knowledge: Path) -> None:
    line = edit(knowledge / IAM_FILE,
                "    title: Multi-factor authentication for all workforce access\n",
                "    title: Multi-factor: authentication: for all\n")
    error = single_error(knowledge)
    assert f"04-identity-access.yaml:{line}: entry IAM-03: invalid YAML" in error


def test_unknown_reference_names_file_line_and_entry(knowledge: Path) -> None:
    line = edit(knowledge / "controls/05-cryptography.yaml",
                "soc2: {PI1.5: full}", "soc2: {PI1.5: full, CC9.9: partial}")
    error = single_error(knowledge)
    assert f"05-cryptography.yaml:{line}: entry CRY-07: unknown soc2 reference 'CC9.9'" in error


def test_unquoted_numeric_reference_is_explained(knowledge: Path) -> None:
    edit(knowledge / "controls/13-incident-response.yaml",
         '"164.402": full, "164.414": full', '"164.402": full, 164.414: full')
    error = single_error(knowledge)
    assert "entry INC-05" in error and "must be quoted" in error


def test_duplicate_control_id_names_both_places(knowledge: Path) -> None:
    line = edit(knowledge / IAM_FILE, "  - id: IAM-02\n", "  - id: IAM-01\n")
    error = single_error(knowledge)
    assert f"04-identity-access.yaml:{line}: entry IAM-01: duplicate id 'IAM-01'" in error
    assert "(first defined at " in error and "04-identity-access.yaml:" in error


def test_duplicate_yaml_key_is_rejected(knowledge: Path) -> None:
    line = edit(knowledge / IAM_FILE,
                "    title: Unique user IDs and no shared accounts\n",
                "    title: Unique user IDs and no shared accounts\n    title: Again\n")
    error = single_error(knowledge)
    assert f":{line + 1}: entry IAM-02: invalid YAML: duplicate key 'title'" in error


def test_dependency_cycle_is_reported_once(knowledge: Path) -> None:
    edit(knowledge / "controls/01-governance.yaml",
         "      owner_role: Security Lead\n      depends_on: []\n      steps:\n"
         "        - Draft the policy",
         "      owner_role: Security Lead\n      depends_on: [GOV-02]\n      steps:\n"
         "        - Draft the policy")
    error = single_error(knowledge)
    assert "entry GOV-01: depends_on forms a cycle: GOV-01 -> GOV-02 -> GOV-01" in error


def test_broad_soc2_mapping_needs_a_reason(knowledge: Path) -> None:
    broad = "soc2: {PI1.5: full, CC6.1: partial, CC6.7: partial, CC7.2: partial, CC8.1: partial}"
    edit(knowledge / "controls/05-cryptography.yaml", "soc2: {PI1.5: full}", broad)
    assert "entry CRY-07: maps to 5 SOC 2 criteria" in single_error(knowledge)

    edit(knowledge / "controls/05-cryptography.yaml", f"    mappings:\n      {broad}",
         "    mapping_reason: Integrity spans storage, transit, logging and change.\n"
         f"    mappings:\n      {broad}")
    load_knowledge_base(knowledge)


def test_misspelled_field_is_reported_with_a_suggestion(knowledge: Path) -> None:
    line = edit(knowledge / IAM_FILE, "    statement: >-\n      Every person has a unique",
                "    statment: >-\n      Every person has a unique")
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge_base(knowledge)
    misspelled, missing = (str(issue) for issue in raised.value.issues)
    assert f":{line}: entry IAM-02: unknown field 'statment' (did you mean 'statement'?)" in (
        misspelled)
    assert "entry IAM-02: missing 'statement'" in missing


def test_uncovered_core_requirement_points_at_the_framework_file(knowledge: Path) -> None:
    edit(knowledge / "controls/02-risk.yaml", "soc2: {CC3.3: full}", "soc2: {CC3.2: partial}")
    error = single_error(knowledge)
    assert "01-soc2.yaml" in error and "entry CC3.3: no control maps" in error


def test_company_with_unknown_control_and_duplicate_evidence(knowledge: Path) -> None:
    kb = load_knowledge_base(knowledge)
    profile = knowledge / PROFILE
    control_line = edit(profile, "  - control: GOV-04\n", "  - control: GOV-99\n")
    evidence_line = edit(profile, "  - id: EV-002\n", "  - id: EV-001\n")
    with pytest.raises(KnowledgeError) as raised:
        load_company(profile, kb)
    unknown, duplicate = (str(issue) for issue in raised.value.issues)
    assert f"health.yaml:{control_line}: entry GOV-99: unknown control 'GOV-99'" in unknown
    assert f"health.yaml:{evidence_line}: entry EV-001: duplicate id 'EV-001'" in duplicate


def test_evidence_expiring_before_collection_is_rejected(knowledge: Path) -> None:
    kb = load_knowledge_base(knowledge)
    profile = knowledge / PROFILE
    edit(profile, "    collected: 2026-07-01\n    expires: 2027-06-30\n",
         "    collected: 2026-07-01\n    expires: 2025-06-30\n")
    with pytest.raises(KnowledgeError) as raised:
        load_company(profile, kb)
    assert [i.entry for i in raised.value.issues] == ["EV-011"]


TINY_FRAMEWORK = """\
framework: soc2
title: SOC 2
version: test
requirements:
  - {id: CC6.1, title: Logical access, group: CC6}
  - {id: CC6.2, title: Registration, group: CC6, scope: supporting}
"""
TINY_CONTROLS = """\
domain: {id: IAM, title: Identity}
controls:
  - id: IAM-01
    title: MFA
    statement: MFA everywhere.
    questions: [Do you use MFA?, Is 2FA enforced?, Which second factors?]
    mappings:
      soc2: {CC6.1: full, CC6.2: partial}
    answers: {implemented: "{{ company }} enforces MFA."}
    evidence_types: [configuration]
    remediation: {severity: high, effort_days: 2, owner_role: IT, depends_on: [], steps: [Do it]}
"""
TINY_DEFAULTS = "partial: Partly.\nnot_implemented: No.\nnot_applicable: N/A.\n"


def write_tiny(root: Path, controls: str) -> Path:
    for folder in ("frameworks", "controls"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "frameworks" / "soc2.yaml").write_text(TINY_FRAMEWORK)
    (root / "answer_defaults.yaml").write_text(TINY_DEFAULTS)
    (root / "controls" / "iam.yaml").write_text(controls)
    return root


def test_tiny_knowledge_base_is_valid(tmp_path: Path) -> None:
    assert list(load_knowledge_base(write_tiny(tmp_path, TINY_CONTROLS)).controls) == ["IAM-01"]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damage_gives_issues_never_a_crash(tmp_path: Path, data: st.DataObject) -> None:
    """Whatever a slip of the keyboard does to a file, the answer is issues or success."""
    lines = TINY_CONTROLS.splitlines(keepends=True)
    index = data.draw(st.integers(0, len(lines) - 1))
    damage = data.draw(st.sampled_from(["delete", "insert", "replace"]))
    noise = data.draw(st.text(alphabet=" :-[]{}#'\"\tabcIAM0123\n", max_size=12))
    if damage == "delete":
        del lines[index]
    elif damage == "insert":
        lines.insert(index, noise + "\n")
    else:
        position = data.draw(st.integers(0, len(lines[index])))
        lines[index] = lines[index][:position] + noise + lines[index][position:]
    root = write_tiny(tmp_path / "tiny", "".join(lines))
    try:
        load_knowledge_base(root)
    except KnowledgeError as exc:
        assert exc.issues
        assert all(issue.path.is_relative_to(root) for issue in exc.issues)
