"""`candor serve` and `candor user add`, through `service.web.cli.add_commands`."""

from __future__ import annotations

import argparse
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from service.web import cli
from service.web.database import open_database
from service.web.models import User
from tests.conftest import free_port

EXIT_BAD_INPUT = cli.EXIT_BAD_INPUT


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


def test_several_workers_need_postgresql_and_share_it(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if database_url.startswith("sqlite"):
        monkeypatch.setenv("DATABASE_URL", database_url)
        assert _run(["serve", "--data-dir", str(tmp_path), "--workers", "2"]) == EXIT_BAD_INPUT
        assert "needs PostgreSQL" in capsys.readouterr().err
        return
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("candor")), "serve", "--data-dir", str(tmp_path),
         "--port", str(port), "--workers", "2"],
        env={**os.environ, "DATABASE_URL": database_url}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not _answers(f"http://127.0.0.1:{port}/login"):
            assert server.poll() is None, server.communicate()[1]
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        assert all(_answers(f"http://127.0.0.1:{port}/login") for _ in range(20))
        children = _children(server.pid)
        assert sum(b"spawn_main" in command for command in children.values()) == 2, children
        # the answering worker, killed, is started again
        [worker] = [pid for pid, command in children.items() if b"worker" in command]
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not [pid for pid, command in _children(server.pid).items()
                   if b"worker" in command and pid != worker]:
            assert time.monotonic() < deadline, "the worker was not started again"
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            out, err = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            out, err = server.communicate()
    assert "Traceback" not in err, err
    assert "the answering worker stopped (exit -9); starting it again" in err
    assert out.count("Seeded the sample company") == 1 and "Sign in as" in out
    engine = open_database(database_url)
    with Session(engine) as session:  # one admin, however many workers prepared the database
        assert [u.email for u in session.exec(select(User))] == [cli.FIRST_ADMIN]
    engine.dispose()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def _children(pid: int) -> dict[int, bytes]:
    """The child processes of `pid` (started by any of its threads) and their command lines."""
    found = {}
    for child in " ".join(task.read_text() for task in
                          Path(f"/proc/{pid}/task").glob("*/children")).split():
        try:
            found[int(child)] = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
    return found
