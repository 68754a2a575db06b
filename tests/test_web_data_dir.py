"""Security acceptance: nothing is written outside the data directory.

`candor user add` and `candor serve` run as real subprocesses whose HOME, working directory,
TMPDIR and XDG_CACHE_HOME are each an empty directory of their own, beside (never inside) the
data directory. The full flow runs over HTTP: sign in, upload a corpus questionnaire (over
1 MiB, so the multipart parser would spill it to a temporary file), wait for the answers, edit
and approve one, download the filled file, the report, the roadmap and its plan and memo, and
have an oversized and a corrupt upload refused. After the server stopped:

- the four directories are still empty;
- the data directory holds only the expected entries, and no export folder is left behind;
- the stored original is byte-identical to the upload;
- every file the Python code of either process opened for writing, created, renamed or removed
  lies inside the data directory. Deleted and anonymous temporary files leave nothing to find
  on disk afterwards, so an audit hook (PEP 578), loaded into the subprocesses through
  `sitecustomize`, records each such call as it happens.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.web.questionnaires import UPLOAD_BODY_LIMIT
from tests.conftest import free_port

CANDOR = Path(sys.executable).with_name("candor")
EMAIL, PASSWORD = "sales@example.com", "correct horse battery"
# a real questionnaire (76 questions) over the 1 MiB the multipart parser keeps in memory
QUESTIONNAIRE = Path("xlsx") / "CoSN_K12CVAT_Lite_v4.1_CanvasLMS_filled.xlsx"
START_TIMEOUT = 60
ANSWER_TIMEOUT = 180
STOP_TIMEOUT = 30
OUTSIDE = ("home", "cwd", "tmp", "xdg-cache")
# everything the server may keep in the data directory
DATA_ENTRIES = {"candor.db", "candor.db-wal", "candor.db-shm", "candor.db-journal",
                "uploads", "cache", "exports", "tmp"}

# Loaded by the subprocesses' interpreter at start-up (PYTHONPATH), before any project code.
AUDIT_HOOK = '''\
import os
import sys

_LOG = os.environ.get("CANDOR_TEST_WRITE_LOG", "")  # kept: child processes audit too
_DATA = os.environ.get("CANDOR_TEST_DATA_DIR", "")
_WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# event: (argument index of a path, of the directory descriptor it is relative to, or None)
_PATH_EVENTS = {"os.mkdir": ((0, 2),), "os.rename": ((0, 2), (1, 3)),
                "os.link": ((0, 2), (1, 3)), "os.symlink": ((1, 2),), "os.remove": ((0, 1),),
                "os.rmdir": ((0, 1),), "os.truncate": ((0, None),),
                "shutil.rmtree": ((0, 1),), "sqlite3.connect": ((0, None),)}
_STACK_DEPTH = 6


def _install(log):
    descriptor = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def record(event, target, directory=None):
        if isinstance(target, int) or target is None or target in ("", ":memory:"):
            return  # an already open descriptor (its opening was recorded), or no file
        try:
            target = os.fsdecode(os.fspath(target))
            if directory is not None and directory >= 0:  # relative to an open directory, as
                # shutil.rmtree does (not given: AT_FDCWD, negative)
                target = os.path.join(os.readlink(f"/proc/self/fd/{directory}"), target)
            target = os.path.abspath(target)
        except (TypeError, ValueError, OSError):
            target = repr(target)
        where = ""
        if not (target + os.sep).startswith(_DATA + os.sep) and "__pycache__" not in target:
            import traceback  # where a write outside the data directory came from

            frames = traceback.extract_stack()[:-2][-_STACK_DEPTH:]
            where = " <- ".join(f"{f.filename}:{f.lineno} {f.name}" for f in reversed(frames))
        line = f"{event}\\t{target}\\t{where}\\n"
        os.write(descriptor, line.encode("utf-8", "backslashreplace"))

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            if (mode and any(c in mode for c in "wax+")) or (flags or 0) & _WRITING:
                record(event, path)
        elif event in _PATH_EVENTS:
            for path, directory in _PATH_EVENTS[event]:
                record(event, args[path], None if directory is None else args[directory])

    sys.addaudithook(hook)


if _LOG:
    _install(_LOG)
'''


def _files(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def _inside(path: str, directory: Path) -> bool:
    return Path(path) == directory or Path(path).is_relative_to(directory)


class Sandbox:
    """The data directory, the empty directories around it, and the subprocesses' environment."""

    def __init__(self, data: Path, outside: Path, hook: Path, database_url: str) -> None:
        self.data = data
        self.dirs = {name: outside / name for name in OUTSIDE}
        for directory in self.dirs.values():
            directory.mkdir()
        self.write_log = hook / "writes.log"
        (hook / "sitecustomize.py").write_text(AUDIT_HOOK)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.dirs["home"]),
            "TMPDIR": str(self.dirs["tmp"]),
            "XDG_CACHE_HOME": str(self.dirs["xdg-cache"]),
            "DATABASE_URL": database_url,
            "PYTHONPATH": str(hook),
            "CANDOR_TEST_WRITE_LOG": str(self.write_log),
            "CANDOR_TEST_DATA_DIR": str(data.resolve()),
        }

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(CANDOR), *args], input=stdin, env=self.env,
                              cwd=self.dirs["cwd"], capture_output=True, text=True, timeout=120)

    def writes(self) -> list[tuple[str, str, str]]:
        """(event, absolute path, calling code if outside the data directory) of every write
        the subprocesses' Python code made."""
        if not self.write_log.exists():
            return []
        return [(event, path, where) for event, path, where in
                (line.split("\t", 2) for line in self.write_log.read_text().splitlines())]


@pytest.fixture()
def sandbox(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
            database_url: str) -> Sandbox:
    # the SQLite fixture's file is tmp_path/candor.db: tmp_path is the data directory
    return Sandbox(tmp_path, tmp_path_factory.mktemp("outside"), tmp_path_factory.mktemp("hook"),
                   database_url)


class Server:
    """`candor serve` running in the sandbox on a free port."""

    def __init__(self, sandbox: Sandbox, logs: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stderr = logs / "stderr"
        with open(logs / "stdout", "wb") as stdout, open(self.stderr, "wb") as stderr:
            self.process = subprocess.Popen(
                [str(CANDOR), "serve", "--data-dir", str(sandbox.data), "--host", "127.0.0.1",
                 "--port", str(self.port)],
                env=sandbox.env, cwd=sandbox.dirs["cwd"], stdout=stdout, stderr=stderr)

    def output(self) -> str:
        return self.stderr.read_text(errors="replace")[-5000:]

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert self.process.poll() is None, f"the server exited:\n{self.output()}"
            try:
                if httpx.get(f"{self.url}/login", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the server did not answer:\n{self.output()}"
            time.sleep(0.2)

    def stop(self) -> None:
        """Ctrl-C: uvicorn shuts down gracefully, the lifespan stops the job worker."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        assert self.process.wait(timeout=STOP_TIMEOUT) == 0, self.output()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)


@pytest.fixture()
def server(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A user added with `candor user add`, then `candor serve`; killed whatever happened."""
    added = sandbox.run("user", "add", EMAIL, "--role", "editor", "--data-dir",
                        str(sandbox.data), "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    running = Server(sandbox, tmp_path_factory.mktemp("server-logs"))
    try:
        running.wait_until_up()
        yield running
    finally:
        running.kill()


def _wait_for_answers(client: httpx.Client, job: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while job["status"] in ("pending", "running"):
        assert time.monotonic() < deadline, f"answering did not finish: {job}"
        time.sleep(0.5)
        job = client.get(f"/api/v1/jobs/{job['id']}").json()
    return job


def _python_bytecode(path: str) -> bool:
    """The interpreter caching compiled modules beside their source (no data of the app)."""
    return "__pycache__" in Path(path).parts  # the folder itself too, made on a fresh checkout


def _download(client: httpx.Client, path: str, magic: bytes) -> None:
    response = client.get(path)
    assert response.status_code == 200, f"{path}: {response.text[:500]}"
    assert response.content.startswith(magic), path
    assert "attachment" in response.headers["content-disposition"], path


def test_nothing_is_written_outside_the_data_directory(
    server: Server, sandbox: Sandbox, corpus: Path
) -> None:
    source = (corpus / QUESTIONNAIRE).read_bytes()
    assert len(source) > 2**20  # spooled to disk by the multipart parser unless kept in memory
    with httpx.Client(base_url=server.url, timeout=60) as client:
        signed_in = client.post("/api/v1/session", json={"email": EMAIL, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        client.headers["X-CSRF-Token"] = signed_in.json()["csrf_token"]

        uploaded = client.post("/api/v1/questionnaires",
                               files={"file": (QUESTIONNAIRE.name, source)},
                               data={"prospect": "Lakeside School District",
                                     "frameworks": ["soc2"]})
        assert uploaded.status_code == 201, uploaded.text
        created = uploaded.json()
        job = _wait_for_answers(client, created["progress"]["job"])
        assert job["status"] == "done", job
        questionnaire = f"/api/v1/questionnaires/{created['id']}"

        rows = client.get(f"{questionnaire}/answers").json()
        answer = next(r["answer"] for r in rows if r["answer"]["status"] == "needs_review")
        edited = client.patch(f"/api/v1/answers/{answer['id']}", json={
            "value": "No", "comment": "Planned for next quarter.", "version": answer["version"]})
        assert edited.status_code == 200, edited.text
        approved = client.post(f"/api/v1/answers/{answer['id']}/approve",
                               json={"version": edited.json()["version"]})
        assert approved.status_code == 200 and approved.json()["status"] == "approved"

        _download(client, f"{questionnaire}/export/filled", b"PK")
        _download(client, f"{questionnaire}/export/report", b"PK")
        roadmap = client.get("/api/v1/roadmap")
        assert roadmap.status_code == 200 and "items" in roadmap.json()
        _download(client, "/roadmap/plan.xlsx", b"PK")
        _download(client, "/roadmap/memo.docx", b"PK")

        oversize = client.post("/api/v1/questionnaires", data={"prospect": "Big Co"},
                               files={"file": ("big.xlsx", b"PK" + bytes(UPLOAD_BODY_LIMIT))})
        assert oversize.status_code == 413, oversize.text
        corrupt = client.post("/api/v1/questionnaires", data={"prospect": "Broken Co"},
                              files={"file": ("broken.xlsx", source[: len(source) // 3])})
        assert corrupt.status_code == 422, corrupt.text
        stored_as = client.get(questionnaire).json()["sha256"]

    server.stop()

    data = sandbox.data.resolve()
    writes = sandbox.writes()
    assert any(_inside(path, data) for _, path, _ in writes), "the audit hook recorded nothing"
    outside = sorted({(event, path, where) for event, path, where in writes
                      if not _inside(path, data) and not _python_bytecode(path)})
    assert not outside, "written outside the data directory:\n" + "\n".join(
        f"{event} {path}\n    from {where}" for event, path, where in outside)
    for name, directory in sandbox.dirs.items():
        assert not _files(directory), f"{name} ({directory}) is not empty: {_files(directory)}"

    unexpected = {p.name for p in data.iterdir()} - DATA_ENTRIES
    assert not unexpected, f"unexpected entries in the data directory: {sorted(unexpected)}"
    if sandbox.env["DATABASE_URL"].startswith("sqlite"):
        assert (data / "candor.db").is_file()
    else:
        assert not list(data.glob("candor.db*")), "a SQLite file beside PostgreSQL"
    assert not _files(data / "exports"), "download folders were left behind"
    left = [f for f in _files(data / "tmp") if not (data / "tmp" / f).is_dir()]
    assert not left, f"temporary files were left behind: {left}"
    assert stored_as == hashlib.sha256(source).hexdigest()
    assert _files(data / "uploads") == [f"{stored_as}.xlsx"]  # the refused uploads: not stored
    assert (data / "uploads" / f"{stored_as}.xlsx").read_bytes() == source
