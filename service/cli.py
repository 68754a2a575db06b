"""The `candor` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from service.controls import KnowledgeError
from service.ingest import IngestError, Questionnaire, parse

EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return args.func(args)
    except IngestError as exc:
        print(f"candor: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KnowledgeError as exc:  # one line per problem, each naming its file and line
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(f"{len(exc.issues)} error(s)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `candor … | head` closed the pipe: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="candor",
        description="Answer security questionnaires truthfully, offline, from your controls "
        "and evidence.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    ingest = commands.add_parser(
        "ingest",
        help="list the questions, answer slots and dropdown options found in a file",
        description="Read a questionnaire (XLSX, DOCX, PDF or CSV; the type is detected from "
        "the content) and report every question, where its answer goes, the options "
        "it allows and what was skipped.",
    )
    ingest.add_argument("file", type=Path, help="the questionnaire file")
    ingest.add_argument("--json", action="store_true", help="print the full result as JSON")
    ingest.set_defaults(func=_ingest)
    _add_package_commands(commands)
    return parser


def _add_package_commands(commands: argparse._SubParsersAction) -> None:
    from service.answering.cli import add_commands as add_answering
    from service.controls.cli import add_commands as add_knowledge
    from service.roadmap.cli import add_commands as add_roadmap
    from service.web.cli import add_commands as add_web

    add_knowledge(commands)
    add_answering(commands)
    add_roadmap(commands)
    add_web(commands)


def _ingest(args: argparse.Namespace) -> int:
    questionnaire = parse(args.file)
    if args.json:
        json.dump(questionnaire.to_dict(), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(summary(questionnaire))
    return 0


def summary(questionnaire: Questionnaire) -> str:
    """What a person checks first: how many questions where, what kinds, what was left out."""
    questions = questionnaire.questions
    lines = [
        f"{questionnaire.filename}: {questionnaire.format.upper()}, "
        f"{len(questions)} questions, "
        f"{sum(1 for q in questions if q.existing_answer)} already answered, "
        f"{sum(1 for q in questions if q.options)} with a list of options"
    ]
    lines += [f"  note: {notice}" for notice in questionnaire.notices]
    parts: Counter[str] = Counter(_part(q.answer_location) for q in questions)
    lines.append("")
    lines.append("Questions by part and section:")
    for part, count in parts.items():
        lines.append(f"  {part:<48} {count:>5}")
        sections = Counter(
            q.section or "(no section)" for q in questions if _part(q.answer_location) == part
        )
        for section, n in sections.items():
            lines.append(f"    {section[:60]:<60} {n:>5}")
    types = Counter(q.answer_type for q in questions)
    lines.append("")
    lines.append("Answer types: " + ", ".join(f"{t} {n}" for t, n in types.most_common()))
    option_sets = Counter(" / ".join(q.options) for q in questions if q.options)
    if option_sets:
        lines.append("Options found:")
        for options, n in option_sets.most_common(8):
            lines.append(f"  {n:>5} x  {options[:90]}")
    reasons = Counter(s.reason for s in questionnaire.skipped)
    if reasons:
        lines.append(
            "Skipped: " + ", ".join(f"{r.replace('_', ' ')} {n}" for r, n in reasons.most_common())
        )
    return "\n".join(lines) + "\n"


def _part(location: object) -> str:
    sheet = getattr(location, "sheet", None)
    if sheet:
        return f"sheet {sheet!r}"
    page = getattr(location, "page", None)
    if page:
        return "pages"
    table = getattr(location, "table", None)
    return "tables" if table is not None else "document"


if __name__ == "__main__":
    raise SystemExit(main())
