"""`candor serve` and `candor user add`, through `service.web.cli.add_commands`."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest
from sqlmodel import Session, select

from service.web import cli
from service.web.database import open_database
from service.web.models import User


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="candor")
    cli.add_commands(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def test_user_add(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch,
                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("long enough pw\n"))
    assert _run(["user", "add", "Sec@Example.com", "--role", "editor", "--data-dir",
                 str(tmp_path), "--password-stdin"]) == 0
    assert "Created editor sec@example.com" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("long enough pw\n"))
    assert _run(["user", "add", "sec@example.com", "--data-dir", str(tmp_path),
                 "--password-stdin"]) == cli.EXIT_BAD_INPUT
    assert "already exists" in capsys.readouterr().err
    engine = open_database(database_url)
    with Session(engine) as session:
        assert [(u.email, u.role) for u in session.exec(select(User))] == [
            ("sec@example.com", "editor")]
    engine.dispose()


def test_serve_seeds_on_first_run_and_prints_how_to_sign_in(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    served: list[tuple[str, int]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, host, port, **_: served.append((host, port)))
    assert _run(["serve", "--data-dir", str(tmp_path)]) == 0
    first = capsys.readouterr().out
    assert served == [("127.0.0.1", 8000)]
    assert "Seeded the sample company" in first
    assert "http://127.0.0.1:8000/" in first and f"Sign in as {cli.FIRST_ADMIN}" in first
    assert _run(["serve", "--data-dir", str(tmp_path), "--port", "8123"]) == 0
    again = capsys.readouterr().out
    assert "Seeded" not in again and "password" not in again and ":8123/" in again
