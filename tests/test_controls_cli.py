"""`candor kb check | list | coverage` through the real command line entry point."""

import json
import re
import shutil
from pathlib import Path

import pytest

from service.cli import main
from service.settings import KNOWLEDGE_DIR


def run(*argv: str) -> int:
    return main(list(argv))


def test_check_passes_on_the_shipped_knowledge(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("kb", "check", "--on", "2026-11-22") == 0
    out = capsys.readouterr().out
    assert re.search(r"\d+ domains, \d+ controls", out)
    assert "soc2" in out and "hipaa" in out and "gdpr" in out
    assert "warning" in out and "ATT-01" in out
    assert out.rstrip().endswith("OK")


def test_check_reports_one_line_and_exit_2_on_broken_input(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, knowledge)
    controls = knowledge / "controls" / "04-identity-access.yaml"
    controls.write_text(controls.read_text().replace("  - id: IAM-02\n", "  - id: IAM-01\n"))
    assert run("kb", "check", "--knowledge", str(knowledge)) == 2
    captured = capsys.readouterr()
    problem, summary = captured.err.strip().splitlines()
    assert "04-identity-access.yaml:" in problem and "entry IAM-01: duplicate id" in problem
    assert summary == "1 error(s)"
    assert "Traceback" not in captured.err and captured.out == ""


def test_missing_profile_is_invalid_input(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert run("kb", "coverage", "--profile", str(tmp_path / "none.yaml")) == 2
    assert "none.yaml: cannot read file" in capsys.readouterr().err


def test_list_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("kb", "list", "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    assert 160 <= len(listing) <= 200
    for item in listing:
        assert set(item) == {"id", "title", "domain", "frameworks"}
        assert set(item["frameworks"]) == {"soc2", "hipaa", "gdpr"}
        assert all(isinstance(refs, list) for refs in item["frameworks"].values())
        assert item["id"].startswith(item["domain"] + "-")
    mfa = next(item for item in listing if item["id"] == "IAM-03")
    assert mfa["frameworks"]["soc2"] == ["CC6.1"]


def test_list_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("kb", "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "domain", "soc2", "title"]
    assert any(line.startswith("IAM-03 ") for line in lines)


def test_coverage_shows_posture_per_framework(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("kb", "coverage", "--on", "2026-11-22") == 0
    out = capsys.readouterr().out
    assert out.startswith("Larkspur Health on 2026-11-22:")
    summary = {line.split()[0]: line.split() for line in out.splitlines()
               if line.split() and line.split()[0] in ("soc2", "hipaa", "gdpr")}
    assert set(summary) == {"soc2", "hipaa", "gdpr"}
    assert summary["soc2"][1:3] == ["61", "61"]  # in scope, covered
    assert "A1.3" in out and "BCR-08-" in out  # untested recovery is a visible gap


def test_coverage_detail_lists_every_requirement(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("kb", "coverage", "--detail", "--on", "2026-11-22") == 0
    out = capsys.readouterr().out
    assert "CC6.6" in out and "164.312(e)(1)" in out and "GDPR Art. 30" in out
