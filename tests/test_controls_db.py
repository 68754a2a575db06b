"""Saving the knowledge base and a company to the database (SQLite, and PostgreSQL where the
tests have a server) and reading them back unchanged."""

from dataclasses import replace

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


def test_round_trip(database_url: str, kb: KnowledgeBase) -> None:
    knowledge = Settings.from_env().knowledge_dir
    company = load_company(knowledge / "company" / "larkspur-health.yaml", kb)
    engine = engine_for(database_url)
    save_knowledge_base(engine, kb)
    save_company(engine, company)

    assert read_knowledge_base(engine) == kb
    assert read_company(engine, company.key) == company
    assert read_company(engine, "nobody") is None
    assert {"kb_control", "kb_mapping", "company_evidence"} <= set(
        inspect(engine).get_table_names())


def test_saving_again_replaces_previous_rows(database_url: str, kb: KnowledgeBase) -> None:
    engine = engine_for(database_url)
    save_knowledge_base(engine, kb)
    smaller = replace(kb, controls=dict(list(kb.controls.items())[:10]))
    save_knowledge_base(engine, smaller)
    assert read_knowledge_base(engine) == smaller
