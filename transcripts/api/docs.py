"""The OpenAPI schema (drf-spectacular) and a plain documentation page made from
it on the server: no JavaScript and nothing loaded from a CDN."""

from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

METHODS = ("get", "post", "put", "patch", "delete")


class Schema(SpectacularAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]


def operations(schema):
    for route, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield describe(schema, method, route, item[method])


def describe(schema, method, route, operation):
    """What the page shows of one operation."""
    return {
        "method": method.upper(),
        "path": route,
        "summary": operation.get("summary", ""),
        "description": operation.get("description", ""),
        "tags": operation.get("tags", []),
        "parameters": operation.get("parameters", []),
        "request_types": list(operation.get("requestBody", {}).get("content", {})),
        "request_fields": request_fields(schema, operation),
        "responses": [
            {"status": code, "types": list(response.get("content", {})), "description": response.get("description", "")}
            for code, response in operation.get("responses", {}).items()
        ],
    }


def request_fields(schema, operation):
    """Name, type, required, description and choices of the first request body's fields."""
    for content in operation.get("requestBody", {}).get("content", {}).values():
        body = content.get("schema", {})
        if "$ref" in body:
            body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
        required = set(body.get("required", []))
        return [
            {
                "name": name,
                "type": field.get("type") or field.get("format") or ("enum" if "enum" in field else ""),
                "required": name in required,
                "description": field.get("description", ""),
                "choices": field.get("enum", []),
            }
            for name, field in body.get("properties", {}).items()
        ]
    return []


def docs_page(request):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    context = {
        "info": schema["info"],
        "operations": list(operations(schema)),
        "api_base": request.build_absolute_uri("/").rstrip("/"),
    }
    return render(request, "api/docs.html", context)
