"""The OpenAPI schema (drf-spectacular) and a plain documentation page made from
it on the server: no JavaScript and nothing loaded from a CDN."""

import functools

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .auth import BearerTokenAuthentication
from .base import api_exception_handler

METHODS = ("get", "post", "put", "patch", "delete")


@functools.cache
def generated_schema():
    """The schema depends on the code only, and takes a third of a second to
    generate: once per process. Shared, so read it, never change it."""
    return SchemaGenerator().get_schema(request=None, public=True)


class Schema(SpectacularAPIView):
    """For signed-in people (their session) and API clients (their token) only,
    like every page but sign-in and sign-up."""

    # Bearer first: its WWW-Authenticate header makes a refusal a 401.
    authentication_classes = [BearerTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(exclude=True)  # the schema does not describe itself
    def get(self, request, *args, **kwargs):
        return Response(generated_schema())

    def get_exception_handler(self):
        return api_exception_handler

    def handle_exception(self, exc):
        # A refusal in the API's JSON error shape, not dressed as an OpenAPI document.
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().handle_exception(exc)


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


@login_required
def docs_page(request):
    schema = generated_schema()
    context = {
        "info": schema["info"],
        "operations": list(operations(schema)),
        "api_base": request.build_absolute_uri("/").rstrip("/"),
    }
    return render(request, "api/docs.html", context)
