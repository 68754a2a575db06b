"""One route module per area: `pages_*` render HTML, `api_*` serve JSON under /api/v1.

Extension points for the areas other packages will bring: add `pages_export.py` /
`api_export.py` (downloads of the filled file, from `service.export`) and `pages_roadmap.py` /
`api_roadmap.py` (the 90-day plan, from `service.roadmap`, templates in
`frontend/templates/roadmap/`), each exposing a `router`, and list them in `ROUTERS`.
"""

from fastapi import APIRouter

from . import (
    api_answers,
    api_audit,
    api_export,
    api_knowledge,
    api_questionnaires,
    api_roadmap,
    api_session,
    pages_answers,
    pages_audit,
    pages_auth,
    pages_docs,
    pages_export,
    pages_knowledge,
    pages_questionnaires,
    pages_roadmap,
)

ROUTERS: tuple[APIRouter, ...] = (
    pages_auth.router,
    pages_questionnaires.router,
    pages_answers.router,
    pages_knowledge.router,
    pages_audit.router,
    pages_docs.router,
    pages_export.router,
    pages_roadmap.router,
    api_session.router,
    api_questionnaires.router,
    api_answers.router,
    api_knowledge.router,
    api_audit.router,
    api_export.router,
    api_roadmap.router,
)
