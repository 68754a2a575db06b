"""`candor answer` and `candor eval`."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

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
from service.matching import Matcher
from service.settings import Settings

from .engine import AnsweredQuestionnaire, Thresholds, answer_questionnaire
from .evaluate import (
    Family,
    FamilyResult,
    Scores,
    cross_family,
    family_name,
    fit_all,
    load_labels,
    pooled,
)
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
        help="score matching and answering against labelled questionnaires",
        description="Answer each labelled questionnaire and score it (the metric of "
        "shared/eval/README.md): SOC 2 hit@1, hit@3, precision@1; HIPAA and GDPR hit@3; "
        "auto-precision and automation; the share of fact/other questions auto-answered "
        "from a control. Give LABELS FILE pairs, one per questionnaire family: with two or "
        "more, each family is scored by a confidence model fitted on the other families "
        "only (leave-one-family-out), then all are pooled.",
    )
    evaluate.add_argument(
        "pairs", nargs="+", type=Path, metavar="LABELS FILE",
        help="a labels YAML and the questionnaire it labels; repeat for more families",
    )
    evaluate.add_argument("--json", action="store_true", help="print the scores as JSON")
    evaluate.add_argument(
        "--fit", action="store_true",
        help="also print the confidence model fitted on every family given (the one to ship)",
    )
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
    if len(args.pairs) % 2:
        print("candor: eval takes LABELS FILE pairs (an odd number of paths was given)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    pairs = list(zip(args.pairs[::2], args.pairs[1::2], strict=True))
    labelled = [(family_name(labels), load_labels(labels), parse(file)) for labels, file in pairs]
    names = [name for name, _, _ in labelled]
    if len(set(names)) != len(names):
        print("candor: each labels file must name a different family", file=sys.stderr)
        return EXIT_BAD_INPUT
    settings = Settings.from_env()
    kb, company, on = load_from_args(args)
    matcher = Matcher(kb, company, cache_dir=settings.data_dir / "cache")
    families = [Family(name, labels, questionnaire, matcher.match(questionnaire.questions))
                for name, labels, questionnaire in labelled]
    shipped = (matcher.calibration, Thresholds())
    results = cross_family(families, kb, company, on, shipped)
    total = pooled([r.scores for r in results])
    fitted = fit_all(families, kb, company, on) if args.fit else None
    if args.json:
        report: dict[str, Any] = {
            "families": [{"family": r.family, "fitted_on": list(r.fitted_on),
                          "thresholds": {"control": r.thresholds.control,
                                         "description": r.thresholds.description},
                          **r.scores.to_dict()} for r in results],
            "pooled": total.to_dict(),
        }
        if fitted:
            report["fitted"] = {"calibration": list(fitted[0].weights),
                                "intercept": fitted[0].intercept,
                                "thresholds": {"control": fitted[1].control,
                                               "description": fitted[1].description}}
        print(json.dumps(report, indent=1))
        return 0
    _print_scores(results, total, len(families) > 1)
    if fitted:
        calibration, thresholds = fitted
        print(f"\nfitted on {', '.join(names)}: CALIBRATION = Calibration("
              f"{calibration.weights}, {calibration.intercept}); Thresholds(control="
              f"{thresholds.control}, description={thresholds.description})")
    return 0


def _print_scores(results: list[FamilyResult], total: Scores, crossed: bool) -> None:
    columns = ("family", "control q", "hit@1", "hit@3", "prec@1", "auto right", "auto wrong",
               "auto-prec", "automation", "fact/other auto", "HIPAA hit@3", "GDPR hit@3")
    rows = [(r.family, r.scores) for r in results] + ([("pooled", total)] if crossed else [])
    table = [columns] + [
        (name, str(s.soc2_questions), f"{s.soc2_hit1:.3f}", f"{s.soc2_hit3:.3f}",
         f"{s.soc2_precision1:.3f}", str(s.auto_right), str(s.auto_wrong),
         f"{s.auto_precision:.3f}", f"{s.automation:.3f}",
         f"{s.fact_other_auto_from_control:.3f} of {s.fact_other_questions}",
         f"{s.hipaa_hit3:.3f}", f"{s.gdpr_hit3:.3f}")
        for name, s in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(columns))]
    for row in table:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
    if crossed:
        print("\neach family scored by a confidence model fitted on the other families only:")
        for result in results:
            print(f"  {result.family}: fitted on {', '.join(result.fitted_on)}; automatic "
                  f"answers need confidence >= {result.thresholds.control:.2f} "
                  f"(descriptions {result.thresholds.description:.2f})")
    else:
        print("\n(one family: scored with the shipped model, which was fitted on every labelled "
              "family, this one included; give several families for out-of-family numbers)")
    for result in results:
        if result.scores.unmatched_labels:
            print(f"{result.family}: labels with no question in the file: "
                  f"{', '.join(result.scores.unmatched_labels)}")


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
