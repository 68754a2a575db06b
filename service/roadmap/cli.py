"""`candor roadmap`: the 90-day remediation plan as text, JSON, XLSX or a DOCX memo."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from service.answering.engine import answer_questionnaire
from service.controls.cli import add_knowledge_option, add_profile_option, load_from_args
from service.ingest import parse
from service.matching import Matcher
from service.settings import Settings

from .inputs import (
    DealContext,
    QuestionnaireGaps,
    RoadmapInputError,
    deal_from_values,
    load_capacity,
    load_deals,
    parse_capacity_flag,
    read_answer_json,
    team_capacity,
)
from .memo import memo_context, render
from .roadmap import build_roadmap, to_json_dict

EXIT_BAD_INPUT = 2

EPILOG = """\
FILES are questionnaires (XLSX, DOCX, PDF, CSV), answered on the start date, or the saved
output of `candor answer --json` (*.json), read without matching again. Without FILES the
plan covers every control the company has not implemented with current evidence.

deal context (--deals PATH), keyed by the name of each FILE:
  northwind_vendor_security_assessment.xlsx:
    prospect: Northwind Traders
    deal_value: 250000
    due_date: 2026-12-15
    frameworks: [soc2, hipaa]
For a single FILE the same can be given as --prospect, --deal-value, --due, --frameworks.

capacity: person-days per week each owner role gives to remediation. Every role in the
knowledge base has a default; override with --capacity "Security Lead=4" (repeatable) or
--capacity-file PATH holding "Security Lead: 4" lines.
"""


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "roadmap",
        help="turn the gaps into a prioritised, scheduled 90-day remediation plan",
        description="Rank every gap by impact against effort, schedule it by dependencies "
        "and team capacity into days 1-30, 31-60 and 61-90, and project the posture per "
        "framework and questionnaire after each phase.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILES",
        help="questionnaires or `candor answer --json` outputs",
    )
    add_profile_option(parser)
    add_knowledge_option(parser)
    # why dest="on": the plan starts the day the company is judged, and load() reads args.on
    parser.add_argument(
        "--start",
        dest="on",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="first day of the plan; statuses are judged on it (default: today)",
    )
    parser.add_argument("--deals", type=Path, metavar="PATH", help="deal context YAML")
    parser.add_argument("--prospect", help="prospect name (single FILE)")
    parser.add_argument(
        "--deal-value", type=float, metavar="AMOUNT", help="deal value in dollars (single FILE)"
    )
    parser.add_argument(
        "--due",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="questionnaire due date (single FILE)",
    )
    parser.add_argument(
        "--frameworks",
        metavar="LIST",
        help="frameworks the prospect asks for, e.g. soc2,hipaa (single FILE)",
    )
    parser.add_argument(
        "--capacity",
        action="append",
        default=[],
        metavar="ROLE=DAYS",
        help="person-days per week for an owner role (repeatable)",
    )
    parser.add_argument(
        "--capacity-file", type=Path, metavar="PATH", help="YAML of 'role: person-days per week'"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the plan as JSON")
    output.add_argument("--xlsx", type=Path, metavar="OUT", help="write the plan workbook")
    output.add_argument("--docx", type=Path, metavar="OUT", help="write the CTO memo")
    parser.set_defaults(func=run_roadmap)


def run_roadmap(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env()
        kb, company, start = load_from_args(args)
        deals = _deals(args)
        overrides = load_capacity(args.capacity_file) if args.capacity_file else {}
        overrides.update(parse_capacity_flag(text) for text in args.capacity)
        capacity = team_capacity(kb, overrides)
        questionnaires = []
        matcher: Matcher | None = None  # built only when a questionnaire needs answering
        for path in args.files:
            deal = deals.get(path.name, DealContext())
            if path.suffix.lower() == ".json":
                questionnaires.append(read_answer_json(path, deal))
            else:
                matcher = matcher or Matcher(kb, company, cache_dir=settings.data_dir / "cache")
                answered = answer_questionnaire(parse(path), kb, company, matcher, start)
                questionnaires.append(QuestionnaireGaps.from_answered(answered, deal))
    except RoadmapInputError as exc:
        print(f"candor roadmap: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    roadmap = build_roadmap(kb, company, questionnaires, start, capacity)
    if args.json:
        json.dump(to_json_dict(roadmap), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    elif args.xlsx:
        from .render_xlsx import write_plan

        write_plan(roadmap, args.xlsx)
        print(f"wrote {args.xlsx}")
    elif args.docx:
        from .render_docx import write_memo

        write_memo(roadmap, args.docx)
        print(f"wrote {args.docx}")
    else:
        sys.stdout.write(render("summary.txt.j2", memo_context(roadmap)))
    return 0


def _deals(args: argparse.Namespace) -> dict[str, DealContext]:
    deals = load_deals(args.deals) if args.deals else {}
    flags = (args.prospect, args.deal_value, args.due, args.frameworks)
    if any(f is not None for f in flags):
        if len(args.files) != 1:
            raise RoadmapInputError(
                "--prospect, --deal-value, --due and --frameworks describe "
                "a single FILE; use --deals for several"
            )
        deals[args.files[0].name] = deal_from_values(*flags, where="deal flags")
    return deals
