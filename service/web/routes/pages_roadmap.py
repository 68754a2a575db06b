"""The 90-day remediation roadmap for the CTO: posture now and after each phase, the timeline,
the items by phase, and the plan (XLSX) and memo (DOCX) to take away.

Editors and admins only: the plan names owners, effort and the company's weak spots ahead of
any prospect, which is internal engineering material rather than something sales sends out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Request, Response

from service.roadmap import Roadmap
from service.roadmap.render_docx import write_memo
from service.roadmap.render_xlsx import write_plan

from ..deps import Db, Editor, render
from ..exports import file_download
from ..roadmap import page_context, roadmap_from_today

router = APIRouter(include_in_schema=False)
Writer = Callable[[Roadmap, Path], None]


@router.get("/roadmap")
def roadmap_page(request: Request, me: Editor, session: Db) -> Response:
    roadmap = roadmap_from_today(request, session)
    return render(request, "roadmap/roadmap.html", me, **page_context(roadmap))


@router.get("/roadmap/plan.xlsx")
def plan_download(request: Request, _me: Editor, session: Db) -> Response:
    roadmap = roadmap_from_today(request, session)
    return _download(request, roadmap, f"roadmap_{roadmap.start}.xlsx", write_plan)


@router.get("/roadmap/memo.docx")
def memo_download(request: Request, _me: Editor, session: Db) -> Response:
    roadmap = roadmap_from_today(request, session)
    return _download(request, roadmap, f"roadmap_memo_{roadmap.start}.docx", write_memo)


def _download(request: Request, roadmap: Roadmap, filename: str, write: Writer) -> Response:
    def build(folder: Path) -> Path:
        write(roadmap, folder / filename)
        return folder / filename

    return file_download(request.app.state.settings.data_dir, build, filename)
