"""`candor serve`, `candor worker` and `candor user add`. Wired into `service/cli.py` by
`add_commands`."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from service.settings import Settings

from .auth import AuthError, create_user
from .database import open_database
from .models import ROLES, User

EXIT_BAD_INPUT = 2
FIRST_ADMIN = "admin@candor.local"
WORKER_NICENESS = 10
STOP_GRACE_SECONDS = 30
RESTART_DELAY_SECONDS = 5


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    data_dir = argparse.ArgumentParser(add_help=False)
    data_dir.add_argument("--data-dir", type=Path, metavar="DIR",
                          help="where the database and uploads live (default: $CANDOR_DATA_DIR "
                          "or ./.candor); DATABASE_URL selects PostgreSQL instead of SQLite")
    serve = subparsers.add_parser(
        "serve", parents=[data_dir], help="run the web application",
        description="Serve the web application locally. The first run creates the database, "
        "seeds the sample company and an admin account, and prints how to sign in.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: "
                       "127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="app processes sharing the port (default: 1); more than one needs "
                       "PostgreSQL (DATABASE_URL); each loads the model (~0.7 GB) when it answers")
    serve.set_defaults(func=run_serve)

    worker = subparsers.add_parser(
        "worker", parents=[data_dir], help="answer uploaded questionnaires (started by serve)",
        description="Run the background answering jobs: `candor serve` starts one; start more, "
        "on this or other machines sharing the PostgreSQL database and data directory, to "
        "answer more uploads at once. Runs at lower CPU priority than the web server.")
    worker.add_argument("--threads", type=int, default=max(1, (os.cpu_count() or 2) - 1),
                        metavar="N", help="CPU threads the model may use (default: all CPUs "
                        "but one, which is left to the web server)")
    worker.set_defaults(func=run_worker)

    user = subparsers.add_parser("user", help="manage web application users")
    user_commands = user.add_subparsers(title="user commands", metavar="COMMAND", required=True)
    add = user_commands.add_parser(
        "add", parents=[data_dir], help="create a user",
        description="Create a user. The password is asked for, or read from standard input "
        "with --password-stdin.")
    add.add_argument("email")
    add.add_argument("--role", choices=ROLES, default="viewer",
                     help="admin (CTO, security lead), editor (sales, security) or viewer")
    add.add_argument("--name", default="", help="display name (default: the email)")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    add.set_defaults(func=run_user_add)


def run_user_add(args: argparse.Namespace) -> int:
    settings = Settings.from_env(args.data_dir)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.email}: ")
        if password != getpass.getpass("Again: "):
            print("candor: the passwords differ", file=sys.stderr)
            return EXIT_BAD_INPUT
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = open_database(settings.database_url)
    try:
        with Session(engine) as session:
            user = create_user(session, args.email, args.name, args.role, password)
    except AuthError as exc:
        print(f"candor: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        engine.dispose()
    print(f"Created {user.role} {user.email}.")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from .app import use_temporary_dir

    settings = Settings.from_env(args.data_dir)
    if args.workers < 1:
        print("candor: --workers must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.workers > 1 and settings.database_url.startswith("sqlite"):
        print("candor: --workers above 1 needs PostgreSQL: set DATABASE_URL (SQLite serves one "
              "process)", file=sys.stderr)
        return EXIT_BAD_INPUT
    previous = use_temporary_dir(settings.data_dir)  # nothing is written outside the data dir
    try:
        return _serve(args, settings)
    finally:
        tempfile.tempdir = previous


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from .app import create_app

    app = create_app(settings, run_jobs=False)
    if app.state.seeded:
        print(f"Seeded the sample company into {_where(settings)}.")
    password = ensure_first_admin(app.state.engine)
    url = f"http://{args.host}:{args.port}/"
    print(f"Candor is running at {url}")
    if password:
        print(f"Sign in as {FIRST_ADMIN} with password {password} (shown once; add people with "
              "`candor user add EMAIL --role editor`).")
    else:
        print("Sign in with your account; add people with `candor user add EMAIL --role ROLE`.")
    worker = _Supervised([sys.executable, "-m", "service", "worker", "--data-dir",
                          str(settings.data_dir)])
    try:
        if args.workers == 1:
            uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
        else:
            app.state.engine.dispose()
            # each web process builds its app from the environment: hand them the data dir
            os.environ["CANDOR_DATA_DIR"] = str(settings.data_dir)
            uvicorn.run("service.web.app:app_from_env", factory=True, workers=args.workers,
                        host=args.host, port=args.port, log_level="warning")
    finally:
        worker.stop()
    return 0


def run_worker(args: argparse.Namespace) -> int:
    from .app import job_worker, prepare, use_temporary_dir

    settings = Settings.from_env(args.data_dir)
    use_temporary_dir(settings.data_dir)
    # people's page views come first: answering takes the CPU they leave. The thread count is
    # read by torch when the model is first loaded, in this process only.
    os.nice(WORKER_NICENESS)
    os.environ["OMP_NUM_THREADS"] = str(max(1, args.threads))
    engine, _seeded = prepare(settings)
    worker = job_worker(settings, engine)
    stop = signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        pass  # a job cut short is run again from the start by the next worker
    finally:
        signal.signal(signal.SIGTERM, stop)
        engine.dispose()
    return 0


class _Supervised:
    """The answering worker, started again if it stops while the server runs (its job is
    resumed from the database), so uploads never wait for answers that nobody computes."""

    def __init__(self, command: list[str]) -> None:
        self._command = command
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # a restart and a stop never interleave
        self._process = subprocess.Popen(command)
        self._watch = threading.Thread(target=self._restart_on_exit, daemon=True,
                                       name="candor-worker-supervisor")
        self._watch.start()

    def _restart_on_exit(self) -> None:
        while True:
            code = self._process.wait()
            if self._stopping.wait(RESTART_DELAY_SECONDS):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                print(f"candor: the answering worker stopped (exit {code}); starting it again",
                      file=sys.stderr)
                self._process = subprocess.Popen(self._command)

    def stop(self) -> None:
        """Ask the worker to finish its current job, then insist."""
        with self._lock:
            self._stopping.set()
        self._process.terminate()
        try:
            self._process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def ensure_first_admin(engine: Engine) -> str | None:
    """With no users at all, create an admin with a random password and return it."""
    with Session(engine) as session:
        if session.exec(select(User.id)).first() is not None:
            return None
        password = secrets.token_urlsafe(12)
        create_user(session, FIRST_ADMIN, "Administrator", "admin", password)
        return password


def _where(settings: Settings) -> str:
    return str(settings.data_dir) if settings.database_url.startswith("sqlite") else "the database"
