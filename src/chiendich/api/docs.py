"""/api/docs/: the API's operations as a plain page read from the same OpenAPI schema
(no Swagger UI: it loads its assets from a CDN, and nothing here may)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


def _type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    text = schema.get("type", "")
    if schema.get("format"):
        text += f" ({schema['format']})"
    if schema.get("pattern"):
        text += f" {schema['pattern']}"
    return text


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation of `schema`: method, path, summary, parameters and response codes."""
    out = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "type": _type(p.get("schema", {})),
                            "required": p.get("required", False),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1],
                    "responses": sorted(op.get("responses", {})),
                }
            )
    return out


def api_docs(request: HttpRequest) -> HttpResponse:
    """Every operation, how to get a token, and links to the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return render(
        request, "api/docs.html", {"operations": operations(schema), "info": schema["info"]}
    )
