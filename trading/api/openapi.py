"""The OpenAPI 3 document at /api/v1/openapi.json, built from the routes and their schemas (apispec)."""
from __future__ import annotations

import re
from decimal import Decimal

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify
from marshmallow import Schema, fields

from trading.api import bp
from trading.params import MAX_INT

_DOCS: dict[str, dict] = {}


def doc(summary: str, request_schema=None, response_schema=None, status: int = 200, auth: bool = True,
        query: dict[str, str] | None = None, upload: str | None = None, paged: bool = False,
        binary: str | None = None, bodyless: bool = False):
    """Describe an endpoint for the OpenAPI document (kept beside the route, not in a docstring).

    `query` maps query parameter names to their type (or a schema, for bounds); `upload` names a multipart file field;
    `paged` wraps the (many=True) response schema in the {items, page, per_page, total} page object;
    `binary` names the media type of a raw request body (a sealed envelope); `bodyless` marks a
    command whose path says everything (published as `x-bodyless`).
    """

    def register(view):
        _DOCS[view.__name__] = {"summary": summary, "request": request_schema, "response": response_schema,
                                "status": status, "auth": auth, "query": query or {}, "upload": upload,
                                "paged": paged, "binary": binary, "bodyless": bodyless}
        return view

    return register


def _schema_ref(schema):
    if schema is None:
        return None
    if isinstance(schema, Schema) and getattr(schema, "many", False):
        return {"type": "array", "items": type(schema)}
    return schema if isinstance(schema, Schema) else schema


def _money_as_string(self, field, ret: dict, **kwargs) -> dict:
    """Amounts are dumped as strings (no float rounding); say so instead of apispec's "number".

    apispec copies a Decimal range as Decimals, which JSON renders as strings: OpenAPI wants numbers
    for `minimum`/`maximum` of a number, and no bounds on a string."""
    if isinstance(field, fields.Decimal) and field.as_string:
        ret.pop("minimum", None)
        ret.pop("maximum", None)
        return {"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$"}
    return {k: float(ret[k]) for k in ("minimum", "maximum") if isinstance(ret.get(k), Decimal)}


#: every id in a path: what the app-wide `int` converter accepts (trading/params.py)
PATH_ID = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_INT}


def _query_schema(kind: str | dict) -> dict:
    """A query parameter's schema: a type name, or a full schema for bounded ones."""
    if isinstance(kind, dict):
        return kind
    return {"type": "integer", "format": "int64"} if kind == "integer" else {"type": kind}


def build_spec() -> dict:
    plugin = MarshmallowPlugin()
    spec = APISpec(title="Public resource trading platform API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[plugin])
    plugin.converter.add_attribute_function(_money_as_string)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    error = {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}
    spec.components.schema("Error", error)
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):  # every package's API blueprint lives under /api/v1
            continue
        name = rule.endpoint.split(".", 1)[1]
        meta = _DOCS.get(name)
        if meta is None:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        params = [{"name": p, "in": "path", "required": True, "schema": dict(PATH_ID)}
                  for p in re.findall(r"{(\w+)}", path)]
        params += [{"name": q, "in": "query", "required": False, "schema": _query_schema(t)}
                   for q, t in meta["query"].items()]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op: dict = {"summary": meta["summary"], "operationId": name, "parameters": params, "responses": {}}
            if meta["bodyless"]:
                op["x-bodyless"] = True
            if meta["request"] is not None:
                op["requestBody"] = {"required": True,
                                     "content": {"application/json": {"schema": meta["request"]}}}
            if meta["upload"]:
                file_schema = {"type": "object", "required": [meta["upload"]],
                               "properties": {meta["upload"]: {"type": "string", "format": "binary"}}}
                op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": file_schema}}}
            if meta["binary"]:
                op["requestBody"] = {"required": True, "content": {
                    meta["binary"]: {"schema": {"type": "string", "format": "binary"}}}}
            if meta["request"] is not None or meta["upload"] or meta["query"] or meta["binary"]:
                op["responses"]["422"] = {"description": "A field breaks a rule; each field and rule is named",
                                          "content": {"application/json": {"schema": "Error"}}}
            if "{" in path:
                op["responses"]["404"] = {"description": "No such trade or document",
                                          "content": {"application/json": {"schema": "Error"}}}
            resp = _schema_ref(meta["response"])
            if meta["paged"]:
                resp = {"type": "object", "required": ["items", "page", "per_page", "total"], "properties": {
                    "items": resp, "page": {"type": "integer"}, "per_page": {"type": "integer"},
                    "total": {"type": "integer"}}}
            body = {"description": "OK"}
            if resp is not None:
                body["content"] = {"application/json": {"schema": resp}}
            op["responses"][str(meta["status"])] = body
            if meta["auth"]:
                op["security"] = [{"bearer": []}]
                op["responses"]["401"] = {"description": "No or bad bearer token",
                                          "content": {"application/json": {"schema": "Error"}}}
                op["responses"]["403"] = {"description": "Not permitted",
                                          "content": {"application/json": {"schema": "Error"}}}
            op["responses"]["409"] = {"description": "Refused by the rules or the lifecycle",
                                      "content": {"application/json": {"schema": "Error"}}}
            spec.path(path=path, operations={method.lower(): op})
    return spec.to_dict()


@bp.get("/openapi.json")
@doc("This document", None, None, auth=False)
def openapi():
    return jsonify(build_spec())
