"""Saving the knowledge base and a company to SQLite and reading them back unchanged."""

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import inspect

from service.controls import KnowledgeBase, load_company, load_knowledge_base
from service.controls.db import (
    engine_for,
    read_company,
    read_knowledge_base,
    save_company,
    save_knowledge_base,
)
from service.settings import Settings


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base(Settings.from_env().knowledge_dir)


def sqlite_url(folder: Path) -> str:
    """Explicitly SQLite: a DATABASE_URL in the environment must not receive test data."""
    return f"sqlite:///{folder / 'candor.db'}"


def test_round_trip_on_sqlite(tmp_path: Path, kb: KnowledgeBase) -> None:
    knowledge = Settings.from_env().knowledge_dir
    company = load_company(knowledge / "company" / "larkspur-health.yaml", kb)
    engine = engine_for(sqlite_url(tmp_path))
    save_knowledge_base(engine, kb)
    save_company(engine, company)

    assert read_knowledge_base(engine) == kb
    assert read_company(engine, company.key) == company
    assert read_company(engine, "nobody") is None
    assert {"kb_control", "kb_mapping", "company_evidence"} <= set(
        inspect(engine).get_table_names())


def test_saving_again_replaces_previous_rows(tmp_path: Path, kb: KnowledgeBase) -> None:
    engine = engine_for(sqlite_url(tmp_path))
    save_knowledge_base(engine, kb)
    smaller = replace(kb, controls=dict(list(kb.controls.items())[:10]))
    save_knowledge_base(engine, smaller)
    assert read_knowledge_base(engine) == smaller
