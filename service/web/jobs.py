"""Background jobs: a worker thread polling the `job` table.

Jobs live in the database, so a restart loses none, and several app processes can share one
PostgreSQL: a worker claims a job with a conditional update and keeps its heartbeat fresh
while it runs. A job whose heartbeat stopped (its process died) is put back to `pending` by
any worker and run again from the start; its answers are written in the same transaction
that marks it done, and only by the worker still holding the claim, so a half-run or
superseded run leaves nothing behind.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select, update

from service.answering.engine import AnsweredQuestion, answer_questionnaire

from . import audit
from .answers import answer_columns, stored_questionnaire
from .knowledge import Knowledge
from .models import AnswerRecord, Job, QuestionnaireRecord, QuestionRecord, utcnow
from .questionnaires import answer_dict

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 5.0
# A running job whose heartbeat is older than this was left by a process that stopped.
STALE_AFTER = timedelta(seconds=30)


class JobLost(Exception):
    """Another worker took the job over (this one looked dead): drop this run's results."""


class JobWorker:
    def __init__(self, engine: Engine, data_dir: Path, knowledge: Knowledge,
                 stale_after: timedelta = STALE_AFTER) -> None:
        self.engine = engine
        self.data_dir = data_dir
        self.knowledge = knowledge
        self.stale_after = stale_after
        # who holds a claim: readable in the database when someone asks which process runs what
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="candor-jobs", daemon=True)
        self._thread.start()

    def run_forever(self) -> None:
        """Work in this thread until `stop` (from a signal handler, say) is called."""
        self._stop.clear()
        self._loop()

    def stop(self) -> None:
        """Stop after the current job; an unfinished job is resumed at the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    def requeue_interrupted(self) -> int:
        """Put back to `pending` the running jobs whose worker stopped beating; returns how
        many. A job another live worker runs keeps its fresh heartbeat and is left alone."""
        stale = utcnow() - self.stale_after
        with Session(self.engine) as session:
            result = session.exec(
                update(Job).where(col(Job.status) == "running", col(Job.heartbeat_at) < stale)
                .values(status="pending", done=0, claimed_by="")
            )
            session.commit()
            return result.rowcount  # type: ignore[attr-defined]

    def run_pending(self) -> int:
        """Run every pending job, oldest first, after taking back those of stopped workers;
        returns how many ran."""
        ran = 0
        self.requeue_interrupted()
        while not self._stop.is_set() and (job_id := self._claim()) is not None:
            self._run(job_id)
            ran += 1
        return ran

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_pending()
            except Exception:  # a broken database must not kill the worker for good
                log.exception("job worker")
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def _claim(self) -> int | None:
        with Session(self.engine) as session:
            for job_id in session.exec(
                select(Job.id).where(Job.status == "pending").order_by(col(Job.id))
            ).all():
                # conditional update: another worker process may be claiming the same job
                now = utcnow()
                claimed = session.exec(
                    update(Job).where(col(Job.id) == job_id, col(Job.status) == "pending")
                    .values(status="running", started_at=now, heartbeat_at=now,
                            claimed_by=self.name)
                )
                session.commit()
                if claimed.rowcount == 1:  # type: ignore[attr-defined]
                    return job_id
        return None

    def _run(self, job_id: int) -> None:
        beating = threading.Event()
        heart = threading.Thread(target=self._beat, args=(job_id, beating), daemon=True,
                                 name=f"candor-job-{job_id}-heartbeat")
        heart.start()
        try:
            self._answer(job_id)
        except JobLost:
            log.warning("job %s was taken over by another worker; this run is dropped", job_id)
        except Exception as exc:
            log.exception("job %s failed", job_id)
            with Session(self.engine) as session:
                error = " ".join(str(exc).split())[:500] or type(exc).__name__
                session.exec(update(Job).where(col(Job.id) == job_id,
                                               col(Job.claimed_by) == self.name)
                             .values(status="failed", finished_at=utcnow(), error=error))
                session.commit()
        finally:
            beating.set()
            heart.join()

    def _beat(self, job_id: int, stop: threading.Event) -> None:
        """Keep the claim's heartbeat fresh while the job runs, even through long steps
        (loading the model) that report no progress."""
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                with Session(self.engine) as session:
                    session.exec(update(Job).where(col(Job.id) == job_id,
                                                   col(Job.claimed_by) == self.name)
                                 .values(heartbeat_at=utcnow()))
                    session.commit()
            except Exception:  # a missed beat is retried; the job itself reports real errors
                log.exception("job %s heartbeat", job_id)

    def _finish(self, session: Session, job_id: int, total: int) -> None:
        """Mark the job done in the caller's transaction, if this worker still holds it."""
        finished = session.exec(
            update(Job).where(col(Job.id) == job_id, col(Job.claimed_by) == self.name)
            .values(status="done", done=total, finished_at=utcnow(), heartbeat_at=utcnow()))
        if finished.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            raise JobLost(job_id)

    def _answer(self, job_id: int) -> None:
        with Session(self.engine) as session:
            job = session.get(Job, job_id)
            assert job is not None
            kind = job.kind
            record = session.get(QuestionnaireRecord, job.questionnaire_id)
            assert record is not None
            questions = session.exec(
                select(QuestionRecord).where(QuestionRecord.questionnaire_id == record.id)
                .order_by(col(QuestionRecord.position))
            ).all()
            # the questions as stored at upload (or at the last column correction): the
            # original is not read again
            questionnaire = stored_questionnaire(session, record)
        matcher = self.knowledge.matcher()
        kb, company = matcher.kb, matcher.company  # the library this matcher indexed
        answered = answer_questionnaire(
            questionnaire, kb, company, matcher, date.today(),
            progress=lambda done, total: self._progress(job_id, done, total),
        )
        if kind == "refresh":
            self._refresh(job_id, record.id, questions, answered.answers)
            return
        with Session(self.engine) as session:
            # a re-run (after a column correction) replaces the unreviewed answers it drafted
            session.exec(delete(AnswerRecord).where(
                col(AnswerRecord.questionnaire_id) == record.id))
            for question, item in zip(questions, answered.answers, strict=True):
                assert question.id is not None and question.ref == item.question.ref
                session.add(AnswerRecord(
                    question_id=question.id, questionnaire_id=question.questionnaire_id,
                    **answer_columns(item)))
            self._finish(session, job_id, len(questions))
            audit.record(session, None, "questionnaire.answer", f"questionnaire:{record.id}",
                         None, {"answers": len(questions), "as_of": answered.as_of.isoformat()
                                if answered.as_of else None})
            session.commit()

    def _refresh(
        self, job_id: int, questionnaire_id: int | None, questions: Sequence[QuestionRecord],
        answers: Sequence[AnsweredQuestion],
    ) -> None:
        """After a knowledge change: answer again, but only rewrite the answers still as the
        engine drafted them; one a person edited or approved is left for them (it was flagged).
        """
        changed = 0
        with Session(self.engine) as session:
            stored = {a.question_id: a for a in session.exec(
                select(AnswerRecord).where(AnswerRecord.questionnaire_id == questionnaire_id))}
            for question, item in zip(questions, answers, strict=True):
                assert question.id is not None and question.ref == item.question.ref
                fresh = answer_columns(item)
                old = stored.get(question.id)
                if old is None:
                    session.add(AnswerRecord(question_id=question.id,
                                             questionnaire_id=question.questionnaire_id, **fresh))
                    continue
                if old.person_written or all(getattr(old, k) == v for k, v in fresh.items()):
                    continue
                before = answer_dict(old)
                # compare-and-set: a person editing meanwhile wins over the recomputation
                result = session.exec(
                    update(AnswerRecord).where(
                        col(AnswerRecord.id) == old.id, col(AnswerRecord.version) == old.version,
                        col(AnswerRecord.person_written).is_(False))
                    .values(**fresh, version=old.version + 1, updated_at=utcnow()))
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                session.refresh(old)
                audit.record(session, None, "answer.recompute", f"answer:{old.id}", before,
                             answer_dict(old))
                changed += 1
            self._finish(session, job_id, len(questions))
            audit.record(session, None, "questionnaire.refresh.done",
                         f"questionnaire:{questionnaire_id}", None, {"answers_changed": changed})
            session.commit()

    def _progress(self, job_id: int, done: int, total: int) -> None:
        with Session(self.engine) as session:
            session.exec(update(Job).where(col(Job.id) == job_id,
                                           col(Job.claimed_by) == self.name)
                         .values(done=done, total=total, heartbeat_at=utcnow()))
            session.commit()
