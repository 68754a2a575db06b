"""The job worker without the model: interrupted jobs are resumed, failures are recorded."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from service.settings import Settings
from service.web.app import create_app
from service.web.auth import Principal, create_user
from service.web.models import Job, QuestionnaireRecord
from service.web.questionnaires import Deal, create_questionnaire

CSV = b"ID,Question,Answer\nA1,Do you encrypt data at rest?,\n"


def _app_with_a_job(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    app = create_app(settings, run_jobs=False)
    with Session(app.state.engine) as session:
        user = create_user(session, "ed@example.com", "Ed", "editor", "long enough pw")
        assert user.id is not None
        actor = Principal(user.id, user.email, user.name, user.role, "csrf")
        create_questionnaire(session, tmp_path, actor, CSV, "q.csv", Deal("C", None, None, ()))
    return app


def test_a_job_left_running_by_a_stopped_process_is_queued_again(
    tmp_path: Path, database_url: str
) -> None:
    app = _app_with_a_job(tmp_path, database_url)
    with Session(app.state.engine) as session:
        job = session.exec(select(Job)).one()
        job.status, job.done = "running", 1
        session.commit()
    assert app.state.worker.requeue_interrupted() == 1
    with Session(app.state.engine) as session:
        job = session.exec(select(Job)).one()
        assert (job.status, job.done) == ("pending", 0)


def test_a_failing_job_is_marked_failed_with_a_one_line_reason(
    tmp_path: Path, database_url: str
) -> None:
    app = _app_with_a_job(tmp_path, database_url)
    with Session(app.state.engine) as session:
        record = session.exec(select(QuestionnaireRecord)).one()
        (tmp_path / record.file_path).unlink()  # fails before the model would be needed
    assert app.state.worker.run_pending() == 1
    with Session(app.state.engine) as session:
        job = session.exec(select(Job)).one()
        assert job.status == "failed" and job.finished_at is not None
        assert job.error and "\n" not in job.error
    assert app.state.worker.run_pending() == 0
