"""Several app processes on one database, without the model: job claims are exclusive, a job
whose worker died is resumed, a superseded run writes nothing, failures are recorded, and a
knowledge edit made through one process is what every other one answers from."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from service.controls import Status
from service.settings import Settings
from service.web.app import create_app
from service.web.auth import Principal, create_user
from service.web.jobs import JobLost, JobWorker
from service.web.kb_edit import set_control_status
from service.web.models import Job, QuestionRecord, utcnow
from service.web.questionnaires import Deal, create_questionnaire

CSV = b"ID,Question,Answer\nA1,Do you encrypt data at rest?,\n"


def _app_with_jobs(tmp_path: Path, database_url: str, count: int = 1) -> FastAPI:
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    app = create_app(settings, run_jobs=False)
    with Session(app.state.engine) as session:
        user = create_user(session, "ed@example.com", "Ed", "editor", "long enough pw")
        assert user.id is not None
        actor = Principal(user.id, user.email, user.name, user.role, "csrf")
        for number in range(count):
            create_questionnaire(session, tmp_path, actor, CSV + f"A{number},Q?,\n".encode(),
                                 f"q{number}.csv", Deal("C", None, None, ()))
    return app


def _second_worker(app: FastAPI) -> JobWorker:
    """Another app process's worker on the same database and data directory."""
    first: JobWorker = app.state.worker
    return JobWorker(first.engine, first.data_dir, first.knowledge)


def _job(app: FastAPI) -> Job:
    with Session(app.state.engine) as session:
        return session.exec(select(Job)).one()


def _set_heartbeat(app: FastAPI, age: timedelta) -> None:
    with Session(app.state.engine) as session:
        job = session.exec(select(Job)).one()
        job.heartbeat_at = utcnow() - age
        session.commit()


def test_workers_sharing_a_database_never_claim_the_same_job(
    tmp_path: Path, database_url: str
) -> None:
    app = _app_with_jobs(tmp_path, database_url, count=8)
    workers = [app.state.worker, _second_worker(app), _second_worker(app)]
    claimed: dict[str, list[int]] = {worker.name: [] for worker in workers}
    start = threading.Barrier(len(workers))

    def claim_all(worker: JobWorker) -> None:
        start.wait()
        while (job_id := worker._claim()) is not None:
            claimed[worker.name].append(job_id)

    threads = [threading.Thread(target=claim_all, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [job_id for ids in claimed.values() for job_id in ids]
    assert sorted(every) == list(range(1, 9))  # each job once, none twice
    with Session(app.state.engine) as session:
        for job in session.exec(select(Job)):
            assert job.status == "running" and job.id in claimed[job.claimed_by]


def test_a_job_whose_worker_stopped_beating_is_queued_again_a_live_one_is_not(
    tmp_path: Path, database_url: str
) -> None:
    app = _app_with_jobs(tmp_path, database_url)
    other = _second_worker(app)
    job_id = other._claim()
    assert job_id is not None
    other._progress(job_id, 1, 2)
    assert app.state.worker.requeue_interrupted() == 0  # alive: its heartbeat is fresh
    assert (_job(app).status, _job(app).claimed_by) == ("running", other.name)

    _set_heartbeat(app, app.state.worker.stale_after + timedelta(seconds=1))
    assert app.state.worker.requeue_interrupted() == 1  # its process died
    job = _job(app)
    assert (job.status, job.done, job.claimed_by) == ("pending", 0, "")


def test_a_superseded_run_writes_nothing(tmp_path: Path, database_url: str) -> None:
    app = _app_with_jobs(tmp_path, database_url)
    slow = _second_worker(app)
    job_id = slow._claim()
    assert job_id is not None
    _set_heartbeat(app, slow.stale_after * 2)  # looks dead to the others
    assert app.state.worker.requeue_interrupted() == 1
    assert app.state.worker._claim() == job_id
    with Session(app.state.engine) as session, pytest.raises(JobLost):
        slow._finish(session, job_id, 1)
    slow._progress(job_id, 2, 2)  # nor does its progress reach the new run's job
    job = _job(app)
    assert (job.status, job.done, job.claimed_by) == ("running", 0, app.state.worker.name)


def test_a_failing_job_is_marked_failed_with_a_one_line_reason(
    tmp_path: Path, database_url: str
) -> None:
    app = _app_with_jobs(tmp_path, database_url)
    with Session(app.state.engine) as session:
        # a stored question of the wrong shape: fails before the model would be needed
        question = session.exec(select(QuestionRecord)).first()
        assert question is not None
        question.question = {"ref": question.ref, "text": question.text}
        session.add(question)
        session.commit()
    assert app.state.worker.run_pending() == 1
    job = _job(app)
    assert job.status == "failed" and job.finished_at is not None
    assert job.error and "\n" not in job.error
    assert app.state.worker.run_pending() == 0


def test_a_knowledge_edit_made_in_one_process_is_seen_by_every_other(
    tmp_path: Path, database_url: str
) -> None:
    here = _app_with_jobs(tmp_path, database_url)
    elsewhere = create_app(Settings(data_dir=tmp_path, database_url=database_url),
                           run_jobs=False)  # another app process on the same database
    knowledge = elsewhere.state.knowledge
    control_id, state = next((c, s) for c, s in knowledge.company.control_states.items()
                             if s.status is Status.IMPLEMENTED)
    with Session(here.state.engine) as session:
        admin = create_user(session, "admin@example.com", "Ad", "admin", "long enough pw")
        assert admin.id is not None
        actor = Principal(admin.id, admin.email, admin.name, admin.role, "csrf")
        set_control_status(session, here.state.knowledge, actor, control_id, "planned",
                           "Withdrawn after the audit finding.", "2027-03-01")
    seen = knowledge.company.control_states[control_id]
    assert (seen.status, seen.note) == (Status.PLANNED, "Withdrawn after the audit finding.")
    assert state.status is Status.IMPLEMENTED  # what that process had before
