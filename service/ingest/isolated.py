"""`parse` (or any reading of a file) in a child process with its own memory and CPU limits.

A server reads files from strangers. The limits in `Limits` bound what a file may declare;
this bounds what reading it may cost, whatever the parsers do: the child gets an address-space
and a CPU-time limit and a wall-clock deadline, and is killed past them. Reading also leaves
the server's interpreter free (no GIL held by a parser while people's pages wait). Children
are forked from a server process that has the parsers imported already, so each costs
milliseconds, not an interpreter start-up. That server listens on a Unix socket in the
temporary directory; where its path would not fit a socket address (a deep data directory),
children are spawned as fresh interpreters instead: slower to start, as safe.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import resource
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from . import parse
from .model import IngestError, Questionnaire
from .source import DEFAULT_LIMITS, Limits


@dataclass(frozen=True)
class Budget:
    memory_bytes: int = 2 * 1024**3
    cpu_seconds: int = 60
    wall_seconds: float = 90.0


DEFAULT_BUDGET = Budget()
Result = TypeVar("Result")
# every reader is imported before the fork (the package itself imports them lazily)
_PRELOAD = ["service.ingest", "service.ingest.xlsx", "service.ingest.docx", "service.ingest.pdf",
            "service.ingest.csv"]
_SOCKET_PATH_BYTES = 107  # sun_path holds 108 bytes with the terminating NUL
_FORKSERVER_SOCKET = os.path.join("pymp-xxxxxxxx", "listener-xxxxxxxx")  # names it makes


def preload(*modules: str) -> None:
    """Also import `modules` before forking (the modules of functions given to `run_isolated`);
    effective if called before the first child starts."""
    _PRELOAD.extend(module for module in modules if module not in _PRELOAD)
    multiprocessing.get_context("forkserver").set_forkserver_preload(_PRELOAD)


def start_method(temp_dir: str) -> str:
    """"forkserver" where its socket fits under `temp_dir`, else "spawn"."""
    socket_path = os.path.join(os.path.abspath(temp_dir), _FORKSERVER_SOCKET)
    return "forkserver" if len(os.fsencode(socket_path)) <= _SOCKET_PATH_BYTES else "spawn"


@functools.cache
def _context() -> multiprocessing.context.BaseContext:
    """Chosen at the first child, once the process's temporary directory is settled."""
    context = multiprocessing.get_context(start_method(tempfile.gettempdir()))
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(_PRELOAD)
    return context


def parse_isolated(
    data: bytes, filename: str | None = None, limits: Limits = DEFAULT_LIMITS,
    budget: Budget = DEFAULT_BUDGET,
) -> Questionnaire:
    """`parse(data, filename, limits)` in a child process; raises IngestError (one line) for
    the file's own faults and for a read that outgrew `budget`."""
    return run_isolated(parse, data, filename, limits, budget=budget)


def run_isolated(function: Callable[..., Result], *args: Any,
                 budget: Budget = DEFAULT_BUDGET) -> Result:
    """`function(*args)` in a child process under `budget`. `function` must be importable by
    name (module level) and raise IngestError for a file's faults."""
    context = _context()
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sending, budget, function, args),
                             name="candor-ingest", daemon=True)
    child.start()
    sending.close()
    try:
        if not receiving.poll(budget.wall_seconds):
            raise IngestError(f"reading the file took longer than {budget.wall_seconds:g} s: "
                              "it is too large or built to be slow")
        outcome, value = receiving.recv()
    except EOFError:  # the child died without a word: killed by a limit
        child.join()
        raise IngestError(_death(child.exitcode, budget)) from None
    finally:
        receiving.close()
        if child.is_alive():
            child.kill()
        child.join()
    if outcome == "error":
        raise IngestError(value)
    return value


def _child(sending: Connection, budget: Budget, function: Callable[..., object],
           args: tuple[Any, ...]) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (budget.memory_bytes, budget.memory_bytes))
    # SIGXCPU at the soft limit (a hard limit equal to it would SIGKILL, saying nothing)
    resource.setrlimit(resource.RLIMIT_CPU, (budget.cpu_seconds, budget.cpu_seconds + 5))
    try:
        result: tuple[str, object] = ("ok", function(*args))
    except IngestError as exc:
        result = ("error", str(exc))
    except MemoryError:
        result = ("error", f"reading the file needs more than {budget.memory_bytes // 2**20} "
                  "MiB of memory: it is too large or built to expand")
    except Exception as exc:  # a parser bug must still reach the user as one line
        result = ("error", f"the file could not be read ({type(exc).__name__}: "
                  f"{' '.join(str(exc).split())[:200]})")
    sending.send(result)
    sending.close()


def _death(exitcode: int | None, budget: Budget) -> str:
    if exitcode == -signal.SIGXCPU:
        return (f"reading the file used more than {budget.cpu_seconds} s of CPU: it is too "
                "large or built to be slow")
    return (f"reading the file stopped unexpectedly (exit {exitcode}): it may need more than "
            f"{budget.memory_bytes // 2**20} MiB of memory")
