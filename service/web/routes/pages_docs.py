"""/docs: the JSON API's reference, rendered from the OpenAPI schema on the server (Swagger UI
would need a CDN and inline script, which the content security policy forbids)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from ..auth import Principal
from ..deps import render, require

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")


@router.get("/docs")
def api_docs(request: Request, me: Annotated[Principal, Depends(require("viewer"))]) -> Response:
    schema = request.app.openapi()
    return render(request, "api_docs.html", me, title=schema["info"]["title"],
                  version=schema["info"]["version"], operations=operations(schema))


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                found.append({
                    "method": method.upper(), "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [
                        {"name": p["name"], "in": p["in"], "required": p.get("required", False)}
                        for p in operation.get("parameters", [])
                    ],
                    "body": _body(operation, schema),
                    "tag": (operation.get("tags") or ["other"])[0],
                })
    return found


def _body(operation: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """The request body's field names, from its (referenced) schema."""
    content = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        body = media.get("schema", {})
        ref = body.get("$ref", "")
        if ref:
            body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        return list(body.get("properties", {}))
    return []
