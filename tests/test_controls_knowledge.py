"""The shipped knowledge base: framework coverage, sound references and mappings."""

from collections import Counter
from pathlib import Path

import pytest
import yaml

from service.controls import KnowledgeBase, load_knowledge_base
from service.settings import KNOWLEDGE_DIR

GDPR_ARTICLES_REQUIRED = [5, 6, 9, *range(12, 23), 24, 25, 28, 30, *range(32, 36), 37, 38, 39,
                          *range(44, 50)]
BREACH_NOTIFICATION = ["164.400", "164.402", "164.404", "164.406", "164.408", "164.410",
                       "164.412", "164.414"]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(KNOWLEDGE_DIR)


def mapped(kb: KnowledgeBase, framework: str) -> set[str]:
    return {ref for control in kb.controls.values() for ref in control.refs(framework)}


def test_size_and_domains(kb: KnowledgeBase) -> None:
    assert 160 <= len(kb.controls) <= 200
    assert 16 <= len(kb.domains) <= 20
    per_domain = Counter(c.domain for c in kb.controls.values())
    assert set(per_domain) == set(kb.domains)
    assert min(per_domain.values()) >= 3


def test_every_soc2_criterion_is_mapped(kb: KnowledgeBase) -> None:
    criteria = kb.frameworks["soc2"].requirements
    assert len(criteria) == 61
    assert set(criteria) - mapped(kb, "soc2") == set()


def test_every_hipaa_security_standard_required_spec_and_breach_rule_is_mapped(
        kb: KnowledgeBase) -> None:
    hipaa = kb.frameworks["hipaa"].requirements.values()
    security_rule = {r.id for r in hipaa if r.scope != "excluded" and (
        r.kind == "standard" or (r.kind == "impl_spec" and r.required == "R"))}
    assert len(security_rule) > 35
    assert security_rule - mapped(kb, "hipaa") == set()
    assert set(BREACH_NOTIFICATION) - mapped(kb, "hipaa") == set()


def test_hipaa_exclusions_are_few_and_explained(kb: KnowledgeBase) -> None:
    excluded = [r for r in kb.frameworks["hipaa"].requirements.values()
                if r.scope == "excluded"]
    assert len(excluded) <= 4
    assert all(len(r.scope_reason) > 20 for r in excluded)


def test_required_gdpr_articles_are_mapped(kb: KnowledgeBase) -> None:
    required = {f"GDPR Art. {n}" for n in GDPR_ARTICLES_REQUIRED}
    assert required - mapped(kb, "gdpr") == set()


def test_every_mapping_reference_exists_in_its_framework(kb: KnowledgeBase) -> None:
    for control in kb.controls.values():
        for m in control.mappings:
            assert m.ref in kb.frameworks[m.framework].requirements, (control.id, m.ref)
            assert m.strength in ("full", "partial")


def test_control_ids_are_unique_across_files() -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    ids = [control["id"] for path in sorted((KNOWLEDGE_DIR / "controls").glob("*.yaml"))
           for control in yaml.load(path.read_text(), Loader=loader)["controls"]]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert duplicates == []


def test_depends_on_is_known_and_acyclic(kb: KnowledgeBase) -> None:
    graph = {c.id: set(c.remediation.depends_on) for c in kb.controls.values()}
    assert all(dep in graph for deps in graph.values() for dep in deps)
    resolved: set[str] = set()
    while len(resolved) < len(graph):  # peel off controls whose dependencies are all resolved
        ready = {c for c, deps in graph.items() if c not in resolved and deps <= resolved}
        assert ready, f"cycle among {sorted(set(graph) - resolved)}"
        resolved |= ready


def test_soc2_mappings_stay_tight(kb: KnowledgeBase) -> None:
    """A control that maps to everything matches every question and answers none precisely."""
    for control in kb.controls.values():
        soc2 = control.refs("soc2")
        assert len(soc2) <= 4 or control.mapping_reason, control.id
        assert control.mappings or control.mapping_reason, control.id
    typical = [len(c.refs("soc2")) for c in kb.controls.values()]
    assert sum(typical) / len(typical) <= 2.0


def test_controls_are_complete_enough_to_answer_and_remediate(kb: KnowledgeBase) -> None:
    for control in kb.controls.values():
        assert len(control.questions) >= 3, control.id
        assert len(set(control.questions)) == len(control.questions), control.id
        assert control.statement and control.answers.implemented, control.id
        assert control.remediation.steps and control.remediation.effort_days > 0, control.id
        assert control.evidence_types, control.id


def test_question_phrasings_are_not_shared_between_controls(kb: KnowledgeBase) -> None:
    """Retrieval cannot tell two controls apart by a phrasing they both carry."""
    owners = Counter(q.lower() for c in kb.controls.values() for q in c.questions)
    assert [q for q, n in owners.items() if n > 1] == []


def test_answer_defaults_cover_every_status_but_implemented(kb: KnowledgeBase) -> None:
    defaults = kb.answer_defaults
    assert defaults.partial and defaults.not_implemented and defaults.not_applicable


def test_knowledge_dir_holds_yaml_only() -> None:
    suffixes = {p.suffix for p in Path(KNOWLEDGE_DIR).rglob("*") if p.is_file()}
    assert suffixes <= {".yaml", ".md"}
