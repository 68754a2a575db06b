"""Load: reviewers and uploads at once against a real `candor serve` on PostgreSQL.

    .venv/bin/python bench/load.py --database-url postgresql+psycopg://USER:PW@127.0.0.1/candor_load
        [--users 20] [--uploads 5] [--seconds 60] [--think 1.0] [--workers 1] [--json]

The database named in the URL is dropped and created again (the role needs CREATEDB). The
server runs as a subprocess with a fresh data directory. One questionnaire is uploaded and
answered first (the model is loaded then). Then, for `--seconds`:

- each of `--users` reviewers signs in through the login form, and loops: dashboard page,
  review page, the answers as JSON, and an edit of one of 40 shared answers (so reviewers
  collide: a 409 is answered by retrying once on the current version); every tenth round it
  signs out and in again. Between actions a reviewer reads for `--think` seconds on average
  (uniform between half and one and a half times it); `--think 0` saturates the server,
  and latency then measures its throughput rather than a person's wait;
- each of `--uploads` uploaders sends a corpus questionnaire and follows its answering job,
  again and again.

Afterwards: every job must finish (not fail), no request may error (a 409 on an edit is the
expected conflict, not an error), and no edit may be lost: for each edited answer the stored
value is the one of the highest version any reviewer was told they saved, and no version was
handed out twice. Latency is measured per request kind; peak RSS is reported for the web
server's processes and for the answering worker (`candor worker`, started by serve).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
SAMPLE = REPO / "samples" / "northwind_vendor_security_assessment.xlsx"
UPLOADS = [  # questionnaires of several formats and sizes, sent in turn
    CORPUS / "xlsx/HECVAT_Lite_v3.04_CanvasStudio_filled.xlsx",
    CORPUS / "csv/HECVAT_Lite_IntelligentInsights_filled.csv",
    CORPUS / "xlsx/CoSN_K12CVAT_Lite_v4.1_CanvasLMS_filled.xlsx",
    CORPUS / "xlsx/ISMSForum_Supply-Chain_Risk_Questionnaire_ES.xlsx",
    CORPUS / "docx/UK_ICO_DPIA_template_GDPR_blank.docx",
    SAMPLE,
]
PASSWORD = "load test password"
SHARED_ANSWERS = 40
PAGE_KINDS = ("dashboard", "review page")


@dataclass
class Results:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    saved: dict[int, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    conflicts: int = 0
    uploads: int = 0
    jobs: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, kind: str, client: httpx.Client, method: str, url: str,
              expect: tuple[int, ...] = (200,), **kwargs: Any) -> httpx.Response:
        began = time.perf_counter()
        try:
            response = client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            with self.lock:
                self.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
            raise
        elapsed = time.perf_counter() - began
        with self.lock:
            self.timings[kind].append(elapsed)
            if response.status_code not in expect:
                self.errors.append(f"{kind}: HTTP {response.status_code} {response.text[:200]}")
        return response


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL URL (recreated)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--uploads", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=1.0,
                        help="a reviewer's mean pause between actions, in seconds")
    parser.add_argument("--workers", type=int, default=1, help="candor serve --workers")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    recreate_database(args.database_url)
    data_dir = Path(tempfile.mkdtemp(prefix="candor-load-"))
    emails = prepare_users(args.database_url, data_dir, args.users)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("candor")), "serve", "--data-dir", str(data_dir),
         "--port", str(port), "--workers", str(args.workers)],
        env={**os.environ, "DATABASE_URL": args.database_url},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    results = Results()
    try:
        wait_until_up(base, server)
        began = time.perf_counter()
        questionnaire_id = upload_and_wait(base, emails[0], SAMPLE, results, deadline=None)
        first_answer = time.perf_counter() - began
        answer_ids = shared_answers(base, emails[0], questionnaire_id)
        stop = time.monotonic() + args.seconds
        threads = [threading.Thread(target=reviewer, args=(base, email, questionnaire_id,
                                                           answer_ids, stop, args.think,
                                                           results))
                   for email in emails[:args.users]]
        threads += [threading.Thread(target=uploader, args=(base, emails[n % len(emails)], n,
                                                            stop, results))
                    for n in range(args.uploads)]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            time.sleep(0.25)
        jobs_state = wait_for_jobs(base, emails[0], results.jobs, timeout=600)
        peak_rss = server_peak_rss(server.pid)
        lost = lost_edits(base, emails[0], questionnaire_id, results)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            _, stderr = server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            _, stderr = server.communicate()
    if "Traceback" in stderr:
        results.errors.append("server logged a traceback: " + stderr[-2000:])
    report(args, results, jobs_state, lost, peak_rss, first_answer)
    return 0 if not results.errors and not lost and jobs_state["failed"] == 0 else 1


def recreate_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def prepare_users(url: str, data_dir: Path, count: int) -> list[str]:
    from service.web.auth import create_user
    from service.web.database import open_database

    engine = open_database(url)
    emails = [f"reviewer{n:02d}@example.com" for n in range(max(count, 1))]
    with Session(engine) as session:
        for email in emails:
            create_user(session, email, email.split("@")[0].title(), "editor", PASSWORD)
    engine.dispose()
    return emails


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {server.communicate()[1][-2000:]}")
        try:
            if httpx.get(f"{base}/login", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start within 120 s")


def api_client(base: str, email: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=120)
    signed = client.post("/api/v1/session", json={"email": email, "password": PASSWORD})
    signed.raise_for_status()
    return client, signed.json()["csrf_token"]


def upload_and_wait(base: str, email: str, path: Path, results: Results,
                    deadline: float | None) -> int:
    client, csrf = api_client(base, email)
    with closing(client):
        created = results.timed(
            "upload", client, "POST", "/api/v1/questionnaires", expect=(201,),
            headers={"X-CSRF-Token": csrf}, files={"file": (path.name, path.read_bytes())},
            data={"prospect": f"Load {path.stem[:20]}", "frameworks": ["soc2"]}).json()
        job = created["progress"]["job"]
        with results.lock:
            results.jobs.append(job["id"])
            results.uploads += 1
        while job["status"] in ("pending", "running"):
            if deadline is not None and time.monotonic() > deadline:
                break
            time.sleep(0.5)
            job = results.timed("job progress", client, "GET", f"/api/v1/jobs/{job['id']}").json()
        return created["id"]


def shared_answers(base: str, email: str, questionnaire_id: int) -> dict[int, list[str]]:
    """The answers reviewers share, each with its question's options (a value must be one)."""
    client, _ = api_client(base, email)
    with closing(client):
        rows = client.get(f"/api/v1/questionnaires/{questionnaire_id}/answers").json()
    answered = [(row["answer"]["id"], row["question"]["options"]) for row in rows
                if row["answer"]]
    return dict(answered[:SHARED_ANSWERS])


def sign_in_form(client: httpx.Client, email: str, results: Results) -> str:
    page = results.timed("login page", client, "GET", "/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no login form"
    results.timed("sign in", client, "POST", "/login", expect=(303,), data={
        "email": email, "password": PASSWORD, "csrf_token": token.group(1)})
    return client.get("/api/v1/me").json()["csrf_token"]


def reviewer(base: str, email: str, questionnaire_id: int, answer_ids: dict[int, list[str]],
             stop: float, think: float, results: Results) -> None:
    pick = random.Random(email)
    rounds = 0

    def read() -> None:
        time.sleep(think * pick.uniform(0.5, 1.5))

    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    try:
        read()  # people do not all arrive in the same instant
        csrf = sign_in_form(client, email, results)
        while time.monotonic() < stop:
            read()
            results.timed("dashboard", client, "GET", "/")
            read()
            results.timed("review page", client, "GET",
                          f"/questionnaires/{questionnaire_id}/review")
            rows = results.timed("answers JSON", client, "GET",
                                 f"/api/v1/questionnaires/{questionnaire_id}/answers").json()
            versions = {row["answer"]["id"]: row["answer"]["version"] for row in rows
                        if row["answer"]}
            answer_id = pick.choice(list(answer_ids))
            read()
            options = answer_ids[answer_id]  # a dropdown's value is one of its options
            said = f"{email} round {rounds}"
            edit(client, csrf, answer_id, versions[answer_id],
                 options[rounds % len(options)] if options else said, said, results)
            rounds += 1
            if rounds % 10 == 0:
                results.timed("sign out", client, "POST", "/logout", expect=(303,),
                              data={"csrf_token": csrf})
                csrf = sign_in_form(client, email, results)
    except httpx.HTTPError:
        pass  # recorded as an error by `timed`
    finally:
        client.close()


def edit(client: httpx.Client, csrf: str, answer_id: int, version: int, value: str,
         comment: str, results: Results) -> None:
    for _attempt in range(2):
        response = results.timed(
            "edit answer", client, "PATCH", f"/api/v1/answers/{answer_id}", expect=(200, 409),
            headers={"X-CSRF-Token": csrf},
            json={"value": value, "comment": comment, "version": version})
        if response.status_code == 200:
            with results.lock:
                results.saved[answer_id].append((response.json()["version"], value))
            return
        with results.lock:
            results.conflicts += 1
        version = response.json()["current"]["version"]  # someone else saved first: retry


def uploader(base: str, email: str, number: int, stop: float, results: Results) -> None:
    turn = number
    try:
        while time.monotonic() < stop:
            upload_and_wait(base, email, UPLOADS[turn % len(UPLOADS)], results, deadline=stop)
            turn += 1
    except httpx.HTTPError:
        pass


def wait_for_jobs(base: str, email: str, job_ids: list[int], timeout: float) -> dict[str, int]:
    client, _ = api_client(base, email)
    deadline = time.monotonic() + timeout
    states: dict[int, str] = {}
    with closing(client):
        while True:
            states = {job_id: client.get(f"/api/v1/jobs/{job_id}").json()["status"]
                      for job_id in job_ids}
            if all(state in ("done", "failed") for state in states.values()):
                break
            if time.monotonic() > deadline:
                break
            time.sleep(1)
    counts = {"done": 0, "failed": 0, "unfinished": 0}
    for state in states.values():
        counts[state if state in ("done", "failed") else "unfinished"] += 1
    return counts


def lost_edits(base: str, email: str, questionnaire_id: int, results: Results) -> list[str]:
    client, _ = api_client(base, email)
    with closing(client):
        rows = client.get(f"/api/v1/questionnaires/{questionnaire_id}/answers").json()
    stored = {row["answer"]["id"]: row["answer"] for row in rows if row["answer"]}
    lost = []
    for answer_id, saves in results.saved.items():
        versions = [version for version, _ in saves]
        if len(set(versions)) != len(versions):
            lost.append(f"answer {answer_id}: a version was handed out twice")
        version, value = max(saves)
        if (stored[answer_id]["version"], stored[answer_id]["value"]) != (version, value):
            lost.append(f"answer {answer_id}: stored v{stored[answer_id]['version']} "
                        f"{stored[answer_id]['value']!r}, last saved v{version} {value!r}")
    return lost


def server_peak_rss(pid: int) -> dict[str, int]:
    """High-water RSS in bytes of the web server's processes (summed) and of the answering
    worker, told apart by their command lines."""
    peaks = {"web": 0, "worker": 0}
    for process in [pid, *_descendants(pid)]:
        try:
            status = Path(f"/proc/{process}/status").read_text()
            command = Path(f"/proc/{process}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"resource_tracker" in b" ".join(command):
            continue
        found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
        kind = "worker" if b"worker" in command else "web"
        peaks[kind] += int(found.group(1)) * 1024 if found else 0
    return peaks


def _descendants(pid: int) -> list[int]:
    try:  # children started by any of the process's threads
        children = [int(c) for task in Path(f"/proc/{pid}/task").glob("*/children")
                    for c in task.read_text().split()]
    except OSError:
        return []
    return [grand for child in children for grand in (child, *_descendants(child))]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(args: argparse.Namespace, results: Results, jobs: dict[str, int], lost: list[str],
           peak_rss: dict[str, int], first_answer: float) -> None:
    pages = [t for kind in PAGE_KINDS for t in results.timings[kind]]
    summary: dict[str, Any] = {
        "users": args.users, "uploads": args.uploads, "seconds": args.seconds,
        "think_s": args.think, "workers": args.workers, "cpus": os.cpu_count(),
        "first_answer_s": round(first_answer, 1),
        "requests": sum(len(t) for t in results.timings.values()),
        "errors": len(results.errors), "lost_edits": len(lost),
        "edits_saved": sum(len(s) for s in results.saved.values()),
        "edit_conflicts_retried": results.conflicts,
        "questionnaires_uploaded": results.uploads, "jobs": jobs,
        "web_peak_rss_mb": round(peak_rss["web"] / 2**20),
        "worker_peak_rss_mb": round(peak_rss["worker"] / 2**20),
        "page_views": _stats(pages),
        "by_kind": {kind: _stats(times) for kind, times in sorted(results.timings.items())},
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{args.users} reviewers (thinking {args.think:g} s) + {args.uploads} uploaders "
              f"for {args.seconds:.0f} s, {args.workers} web process(es), {os.cpu_count()} CPUs")
        print(f"{'request':<14} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for kind, stats in [("page views", summary["page_views"]),
                            *summary["by_kind"].items()]:
            print(f"{kind:<14} {stats['count']:>6} {stats['p50_ms']:>8} {stats['p95_ms']:>8} "
                  f"{stats['max_ms']:>8}")
        print(f"edits saved {summary['edits_saved']}, conflicts retried "
              f"{results.conflicts}, lost {len(lost)}; errors {len(results.errors)}")
        print(f"questionnaires uploaded {results.uploads}; jobs {jobs}; first answer "
              f"{first_answer:.1f} s")
        print(f"peak RSS: web server {summary['web_peak_rss_mb']} MB, answering worker "
              f"{summary['worker_peak_rss_mb']} MB")
    for line in [*results.errors[:20], *lost[:20]]:
        print("  " + line, file=sys.stderr)


def _stats(times: list[float]) -> dict[str, Any]:
    if not times:
        return {"count": 0, "p50_ms": "-", "p95_ms": "-", "max_ms": "-"}
    return {"count": len(times), "p50_ms": round(statistics.median(times) * 1000),
            "p95_ms": round(percentile(times, 0.95) * 1000), "max_ms": round(max(times) * 1000)}


if __name__ == "__main__":
    sys.exit(main())
