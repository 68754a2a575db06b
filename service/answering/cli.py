"""`candor answer` and `candor eval`."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import TextIO

from service.cli import EXIT_BAD_INPUT
from service.controls import (
    KnowledgeBase,
)
from service.controls.cli import (
    add_date_option,
    add_knowledge_option,
    add_profile_option,
    load_from_args,
)
from service.export import (
    ExportError,
    ExportResult,
    NotWritten,
    export_filled,
    filled_path,
)
from service.ingest import parse
from service.matching.matcher import Matcher
from service.settings import Settings

from .engine import AnsweredQuestionnaire, answer_questionnaire
from .evaluate import load_labels, score
from .report import to_json_dict


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    add_profile_option(common)
    add_knowledge_option(common)
    add_date_option(common)
    answer = subparsers.add_parser(
        "answer",
        parents=[common],
        help="answer a questionnaire from the company's evidence",
        description="Ingest FILE, match every question to the controls knowledge base and "
        "answer it truthfully: 'Yes' only with an implemented control and current "
        "evidence; gaps are listed for the roadmap.",
    )
    answer.add_argument("file", type=Path, help="the questionnaire (XLSX, DOCX, PDF or CSV)")
    answer.add_argument("--json", action="store_true", help="print every answer as JSON")
    answer.add_argument(
        "--out",
        nargs="?",
        const="",
        metavar="PATH",
        help="write the answers into a copy of FILE: PATH, or <name>_filled.<ext> inside PATH "
        "when it is a folder, or beside FILE when PATH is left out. XLSX, DOCX and CSV are "
        "filled in place; a PDF gets <name>_filled.xlsx and .docx side-cars. FILE is never "
        "overwritten",
    )
    answer.add_argument(
        "--report",
        action="store_true",
        help="also write the answer report (<output>_report.xlsx); implies --out",
    )
    answer.set_defaults(func=run_answer)
    evaluate = subparsers.add_parser(
        "eval",
        parents=[common],
        help="score matching against a labelled questionnaire",
        description="Answer FILE and score the matches against LABELS (the metric of "
        "shared/eval/README.md): SOC 2 hit@1, hit@3, precision@1; HIPAA and GDPR "
        "hit@3; the share of fact/other questions auto-answered from a control.",
    )
    evaluate.add_argument("labels", type=Path, help="labels YAML")
    evaluate.add_argument("file", type=Path, help="the labelled questionnaire")
    evaluate.add_argument("--json", action="store_true", help="print the scores as JSON")
    evaluate.set_defaults(func=run_eval)


def _answer(args: argparse.Namespace) -> tuple[AnsweredQuestionnaire, KnowledgeBase]:
    questionnaire = parse(args.file)
    settings = Settings.from_env()
    kb, company, on = load_from_args(args)
    matcher = Matcher(kb, company, cache_dir=settings.data_dir / "cache")
    answered = answer_questionnaire(
        questionnaire,
        kb,
        company,
        matcher,
        on,
        progress=show_progress if sys.stderr.isatty() else None,
    )
    return answered, kb


def run_answer(args: argparse.Namespace) -> int:
    exporting = args.out is not None or args.report
    try:  # a bad output path is known before the model loads
        target = filled_path(args.file, Path(args.out) if args.out else None)
    except ExportError as exc:
        print(f"candor: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    answered, kb = _answer(args)
    if args.json:
        json.dump(
            to_json_dict(answered, kb), sys.stdout, ensure_ascii=False, indent=1, sort_keys=False
        )
        sys.stdout.write("\n")
    else:
        _print_summary(answered)
    if not exporting:
        return 0
    try:
        result = export_filled(answered, args.file.read_bytes(), target, kb, report=args.report)
    except ExportError as exc:
        print(f"candor: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    _print_export(result, sys.stderr if args.json else sys.stdout)
    return 0


_LISTED = 8  # skipped slots listed by name per reason; the rest are counted


def _print_export(result: ExportResult, stream: TextIO) -> None:
    print(f"\nExport: {len(result.written)} slot(s) written", file=stream)
    for path in result.paths:
        print(f"  wrote {path}", file=stream)
    by_reason: dict[str, list[NotWritten]] = {}
    for item in result.not_written:
        by_reason.setdefault(item.reason, []).append(item)
    for reason, items in by_reason.items():
        shown = ", ".join(f"{i.ref} {i.role} ({i.location})" for i in items[:_LISTED])
        more = f" and {len(items) - _LISTED} more" if len(items) > _LISTED else ""
        print(f"  not written, {reason}: {len(items)}: {shown}{more}", file=stream)


def _print_summary(answered: AnsweredQuestionnaire) -> None:
    counts = Counter((a.answer.status, a.answer.basis) for a in answered.answers)
    values = Counter(
        a.answer.value
        for a in answered.answers
        if a.answer.status == "auto" and len(a.answer.value) < 20
    )
    print(
        f"{answered.questionnaire.filename}: {len(answered.answers)} questions, "
        f"as of {answered.as_of}"
    )
    print(
        "  answered automatically: "
        + ", ".join(
            f"{n} from {basis}" for (status, basis), n in sorted(counts.items()) if status == "auto"
        )
    )
    print(f"  needs review: {sum(n for (s, _), n in counts.items() if s == 'needs_review')}")
    print("  values: " + ", ".join(f"{v} {n}" for v, n in values.most_common(6)))
    if answered.gaps:
        print(f"\nGaps ({len(answered.gaps)} controls):")
        for gap in answered.gaps:
            when = f", target {gap.target_date}" if gap.target_date else ""
            print(
                f"  {gap.control_id:<8} {gap.title[:50]:<50} {gap.status}{when}: "
                f"{len(gap.questions)} question(s)"
            )


def run_eval(args: argparse.Namespace) -> int:
    labels = load_labels(args.labels)
    answered, kb = _answer(args)
    scores = score(answered, labels, kb)
    if args.json:
        print(json.dumps(scores.to_dict(), indent=1))
        return 0
    print(
        f"SOC 2 ({scores.soc2_questions} control questions): hit@1 {scores.soc2_hit1:.3f}, "
        f"hit@3 {scores.soc2_hit3:.3f}, precision@1 {scores.soc2_precision1:.3f}"
    )
    print(f"HIPAA hit@3 (standard level, {scores.hipaa_questions}): {scores.hipaa_hit3:.3f}")
    print(f"GDPR hit@3 (article level, {scores.gdpr_questions}): {scores.gdpr_hit3:.3f}")
    print(
        f"fact/other auto-answered from a control ({scores.fact_other_questions}): "
        f"{scores.fact_other_auto_from_control:.3f}"
    )
    if scores.unmatched_labels:
        print(f"labels with no question in the file: {', '.join(scores.unmatched_labels)}")
    return 0


def show_progress(done: int, total: int) -> None:
    """A one-line progress bar on stderr, redrawn in place."""
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(
        f"\r  matching [{'#' * filled}{'.' * (width - filled)}] {done}/{total} questions"
    )
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()
