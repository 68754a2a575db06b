"""`candor kb check | list | coverage`: validate, list and measure the controls knowledge base.

Invalid input exits 2 after printing one `path:line: entry ID: message` line per problem.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import date
from pathlib import Path

from service.settings import Settings

from .answers import check_answer_templates
from .coverage import FrameworkCoverage, framework_coverage
from .issues import KnowledgeError, display_path
from .loader import SAMPLE_PROFILE, load_company, load_knowledge_base
from .model import CompanyProfile, KnowledgeBase, Status
from .status import ControlAssessment, effective_status, review_company


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kb = subparsers.add_parser("kb", help="check, list and measure the controls knowledge base")
    commands = kb.add_subparsers(dest="kb_command", required=True, metavar="COMMAND")

    knowledge = argparse.ArgumentParser(add_help=False)
    add_knowledge_option(knowledge)
    profile = argparse.ArgumentParser(add_help=False)
    add_profile_option(profile)
    add_date_option(profile)

    check = commands.add_parser("check", parents=[knowledge, profile],
                                help="validate the knowledge base and the company profile")
    check.set_defaults(func=run_check)
    listing = commands.add_parser("list", parents=[knowledge], help="list the controls")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(func=run_list)
    coverage = commands.add_parser("coverage", parents=[knowledge, profile],
                                   help="framework coverage and the company's posture")
    coverage.add_argument("--detail", action="store_true",
                          help="show every requirement, not only the unmet core ones")
    coverage.set_defaults(func=run_coverage)


def add_knowledge_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--knowledge", type=Path, metavar="DIR",
                        help="knowledge directory (default: the settings' knowledge_dir)")


def add_profile_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", type=Path, metavar="PATH",
                        help=f"company profile YAML (default: <knowledge>/{SAMPLE_PROFILE})")


def add_date_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="judge evidence expiry on this day (default: today)")


def knowledge_dir(args: argparse.Namespace) -> Path:
    return args.knowledge or Settings.from_env().knowledge_dir


def load_from_args(args: argparse.Namespace) -> tuple[KnowledgeBase, CompanyProfile, date]:
    """The knowledge base, the company profile and the day to judge on, as the options say."""
    root = knowledge_dir(args)
    kb = load_knowledge_base(root)
    company = load_company(args.profile or root / SAMPLE_PROFILE, kb)
    return kb, company, args.on or date.today()


def run_check(args: argparse.Namespace) -> int:
    kb, company, on = load_from_args(args)
    template_errors = check_answer_templates(kb, company, on)
    if template_errors:
        raise KnowledgeError(template_errors)
    print(f"knowledge base   {display_path(knowledge_dir(args))}/: "
          f"{len(kb.frameworks)} frameworks, {len(kb.domains)} domains, "
          f"{len(kb.controls)} controls")
    print(f"company profile  {display_path(company.source.path)}: {company.name}, "
          f"{len(company.facts)} facts, {len(company.control_states)} control states, "
          f"{len(company.evidence)} evidence items, {len(company.answer_library)} approved answers")
    print()
    print("Requirements mapped by at least one control (core ones must all be):")
    rows = []
    for fc in framework_coverage(kb):
        by_scope = {scope: [r for r in fc.requirements if r.requirement.scope == scope]
                    for scope in ("core", "supporting")}
        excluded = len(fc.framework.requirements) - len(fc.requirements)
        rows.append([fc.framework.key,
                     *(f"{sum(bool(r.controls) for r in reqs)}/{len(reqs)}"
                       for reqs in by_scope.values()),
                     str(excluded)])
    print(_table(["framework", "core", "supporting", "excluded"], rows))
    warnings = review_company(company, on)
    if warnings:
        print(f"\n{len(warnings)} warning(s) on {on}:")
        for warning in warnings:
            print(f"  {warning}")
    print("\nOK")
    return 0


def run_list(args: argparse.Namespace) -> int:
    kb = load_knowledge_base(knowledge_dir(args))
    if args.json:
        listing = [{"id": c.id, "title": c.title, "domain": c.domain,
                    "frameworks": {key: list(c.refs(key)) for key in kb.frameworks}}
                   for c in kb.controls.values()]
        print(json.dumps(listing, indent=2))
        return 0
    rows = [[c.id, c.domain, ", ".join(c.refs("soc2")), c.title] for c in kb.controls.values()]
    print(_table(["id", "domain", "soc2", "title"], rows))
    return 0


def run_coverage(args: argparse.Namespace) -> int:
    kb, company, on = load_from_args(args)
    assessments = {c: effective_status(company, c, on) for c in kb.controls}
    counts = Counter(a.effective for a in assessments.values())
    downgraded = sum(a.downgraded for a in assessments.values())
    print(f"{company.name} on {on}: {len(kb.controls)} controls: "
          + ", ".join(f"{counts[s]} {s.value.replace('_', ' ')}" for s in Status)
          + f" ({downgraded} counted as partial because evidence lapsed or is missing)")
    print()
    results = framework_coverage(kb, company, on)
    print(_table(
        ["framework", "in scope", "covered", "full", "controls/req", "met", "partly", "gap",
         "n/a", "implemented"],
        [[fc.framework.key, str(len(fc.requirements)), str(fc.covered), str(fc.fully_covered),
          f"{fc.controls_per_requirement:.1f}", str(fc.count("met")), str(fc.count("partly_met")),
          str(fc.count("gap")), str(fc.count("not_applicable")), f"{fc.implemented_share:.0%}"]
         for fc in results]))
    print("\nmet: every control that fully addresses the requirement (or, if none does, every "
          "control that partly does)\nis implemented with valid evidence; implemented = met / "
          "covered applicable requirements")
    for fc in results:
        _print_requirements(fc, assessments, everything=args.detail)
    return 0


def _print_requirements(fc: FrameworkCoverage, assessments: dict[str, ControlAssessment], *,
                        everything: bool) -> None:
    shown = [r for r in fc.requirements
             if everything or (r.requirement.scope == "core" and r.state != "met")]
    if not shown:
        return
    heading = "all requirements" if everything else "core requirements not met"
    print(f"\n{fc.framework.title}: {heading}")
    rows = []
    for r in shown:
        missing = " ".join(f"{c}{_status_mark(assessments[c].effective)}"
                           for c in r.controls if c not in r.implemented)
        rows.append([r.requirement.id, r.state.replace("_", " "), _clip(r.requirement.title, 48),
                     f"{len(r.implemented)}/{len(r.controls)}", missing])
    legend = "not implemented (~ partial, - not, / n/a)"
    print(_table(["requirement", "state", "title", "implemented", legend], rows))


def _status_mark(status: Status) -> str:
    return {Status.PARTIAL: "~", Status.NOT_APPLICABLE: "/"}.get(status, "-")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]
    lines = [headers, ["-" * w for w in widths], *rows]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
                     .rstrip() for line in lines)
