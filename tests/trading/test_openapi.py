"""/api/v1/openapi.json is a valid OpenAPI 3 document that matches the routes and the real responses.

openapi-spec-validator checks the document against the OpenAPI 3.0 specification; the tests below add
what it cannot know: every route with its methods, every $ref used, and live responses checked against
the schemas the document publishes (a small validator for the subset apispec emits).
"""
from __future__ import annotations

import io
import re
from datetime import datetime

import pytest

from tests.conftest import api_headers

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def resolve(spec: dict, ref: str) -> dict:
    assert ref.startswith("#/"), f"only local references are expected: {ref}"
    node = spec
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolvable $ref {ref}"
        node = node[part]
    return node


def walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}/{i}")


# ------------------------------------------------------------------ a validator for the OAS 3.0 schema subset

TYPES = {"object": dict, "array": list, "string": str, "integer": int, "number": (int, float), "boolean": bool}


def check(spec: dict, schema: dict, value, where: str = "$") -> list[str]:
    """Errors of `value` against an OpenAPI 3.0 schema object (type, nullable, required, properties,
    additionalProperties, items, enum, min/maxLength, format date-time)."""
    if "$ref" in schema:
        return check(spec, resolve(spec, schema["$ref"]), value, where)
    if value is None:
        return [] if schema.get("nullable") or "type" not in schema else [f"{where}: null not allowed"]
    errors: list[str] = []
    kind = schema.get("type")
    if kind:
        expected = TYPES[kind]
        if not isinstance(value, expected) or (kind in ("integer", "number") and isinstance(value, bool)):
            return [f"{where}: expected {kind}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in enum")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(f"{where}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{where}: longer than {schema['maxLength']}")
        if schema.get("format") == "date-time":
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                errors.append(f"{where}: not a date-time")
            else:
                if parsed.tzinfo is None:
                    errors.append(f"{where}: date-time without offset (RFC 3339 needs one)")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{where}: missing {name}")
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in props:
                errors += check(spec, props[name], item, f"{where}.{name}")
            elif extra is False:
                errors.append(f"{where}: undocumented property {name}")
            elif isinstance(extra, dict):
                errors += check(spec, extra, item, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += check(spec, schema["items"], item, f"{where}[{i}]")
    return errors


def test_the_validator_itself_catches_mistakes(spec):
    """The checks below are only worth something if this validator refuses bad documents."""
    trade = {"$ref": "#/components/schemas/Trade"}
    assert check(spec, trade, {"id": "seven"})
    assert check(spec, trade, {"secret_field": 1})
    assert check(spec, trade, {"created_at": "2026-03-02T09:00:00"})
    assert check(spec, {"$ref": "#/components/schemas/TokenRequest"}, {"username": "x"})
    assert not check(spec, trade, {"id": 7, "published_at": None})


# ------------------------------------------------------------------ structure


def test_validates_against_the_openapi_specification(spec):
    from openapi_spec_validator import OpenAPIV30SpecValidator

    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
              for e in OpenAPIV30SpecValidator(spec).iter_errors()]
    assert errors == []
    # numbers where the specification wants numbers (they were strings: Decimal bounds)
    price = spec["components"]["schemas"]["TradeCreate"]["properties"]["estimated_price"]
    assert price["minimum"] == 0.01 and price["maximum"] == 999999999999.99
    trade_id = spec["paths"]["/api/v1/trades/{trade_id}"]["get"]["parameters"][0]["schema"]
    assert trade_id == {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}


def test_is_an_openapi_3_document(spec):
    assert re.fullmatch(r"3\.\d+\.\d+", spec["openapi"])
    assert spec["info"]["title"] and spec["info"]["version"]
    assert set(spec) <= {"openapi", "info", "servers", "paths", "components", "security", "tags", "externalDocs"}
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    op_ids = []
    for path, item in spec["paths"].items():
        assert path.startswith("/api/v1/"), path
        assert set(item) <= HTTP_METHODS | {"parameters", "summary", "description", "servers"}, path
        templated = set(re.findall(r"{(\w+)}", path))
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            assert op["responses"], where
            for code, response in op["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d|default", code), where
                assert response.get("description"), f"{where} {code} needs a description"
            op_ids.append(op["operationId"])
            in_path = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert in_path == templated, f"{where}: path parameters {in_path} vs template {templated}"
            for p in op.get("parameters", []):
                assert p["in"] in ("path", "query", "header", "cookie"), where
                assert "schema" in p or "content" in p, where
                if p["in"] == "path":
                    assert p["required"] is True, where
            names = [(p["name"], p["in"]) for p in op.get("parameters", [])]
            assert len(names) == len(set(names)), f"{where}: duplicate parameters"
            if "security" in op:
                for requirement in op["security"]:
                    assert set(requirement) <= set(spec["components"]["securitySchemes"]), where
    assert len(op_ids) == len(set(op_ids)), "operationId must be unique"


def test_every_api_route_is_documented_with_its_methods(app, spec):
    documented = {(path, method) for path, item in spec["paths"].items() for method in item if method in HTTP_METHODS}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes.add((path, method.lower()))
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "documented operations that no route serves"


def test_every_ref_resolves_and_every_schema_is_used(spec):
    refs = [node["$ref"] for _, node in walk(spec) if "$ref" in node]
    assert refs, "apispec should emit references to component schemas"
    for ref in refs:
        target = resolve(spec, ref)
        assert isinstance(target, dict) and ("type" in target or "properties" in target or "$ref" in target), ref
    used = {ref.rsplit("/", 1)[1] for ref in refs}
    nested = {"CentreRef"}  # only referenced from inside Trade, which the walk above also covers
    assert set(spec["components"]["schemas"]) - used - nested == set(), "component schemas nobody references"
    # no operation carries a bare string where a schema object is expected
    for where, node in walk(spec["paths"]):
        if "schema" in node:
            assert isinstance(node["schema"], dict), where


def test_request_bodies_reference_schemas(spec):
    bodies = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if "requestBody" in op:
                bodies[(method, path)] = op["requestBody"]
    expected = {("post", "/api/v1/tokens"): "TokenRequest", ("post", "/api/v1/trades"): "TradeCreate",
                ("patch", "/api/v1/trades/{trade_id}"): "TradeUpdate",
                ("post", "/api/v1/trades/{trade_id}/transitions"): "Move",
                ("post", "/api/v1/trades/{trade_id}/clarifications"): "ClarificationCreate",
                ("post", "/api/v1/trades/{trade_id}/keyholders"): "AppointKeyholders",
                ("post", "/api/v1/me/personal-key"): "Enrol",
                ("post", "/api/v1/trades/{trade_id}/ceremony/shares"): "Release",
                ("post", "/api/v1/trades/{trade_id}/reserve/shares"): "Release",  # the sealed reserve's opening
                ("post", "/api/v1/trades/{trade_id}/ceremony/objections"): "Text",
                ("post", "/api/v1/trades/{trade_id}/ceremony/objections/{objection_id}/answer"): "Text",
                ("post", "/api/v1/trades/{trade_id}/ceremony/signatures"): "Sign",
                # a stalled opening's ways out (bidding/ceremony/api.py)
                ("post", "/api/v1/trades/{trade_id}/ceremony/restart"): "Reason",
                ("post", "/api/v1/trades/{trade_id}/ceremony/fail"): "Reason",
                ("post", "/api/v1/trades/{trade_id}/ceremony/postpone"): "Postpone",
                # the evaluation committee, failed trades, complaint reviewers (bidding/evaluation, bidding/custody)
                ("post", "/api/v1/trades/{trade_id}/evaluation/seats"): "CommitteeSeatCreate",
                ("post", "/api/v1/trades/{trade_id}/evaluation/seats/{seat_id}/leave"): "EvaluationReason",
                ("post", "/api/v1/trades/{trade_id}/evaluation/fail"): "EvaluationReason",
                # the review and the clarifications (bidding/evaluation/api.py)
                ("post", "/api/v1/trades/{trade_id}/evaluation/review/criteria"): "CriterionCreate",
                ("post", "/api/v1/trades/{trade_id}/evaluation/review/marks"): "MarksCreate",
                ("post", "/api/v1/trades/{trade_id}/evaluation/clarifications"): "BidClarificationCreate",
                ("post", "/api/v1/trades/{trade_id}/evaluation/clarifications/{clarification_id}/answer"):
                    "BidClarificationAnswer",
                ("post", "/api/v1/trades/{trade_id}/evaluation/clarifications/{clarification_id}/refuse"):
                    "EvaluationReason",
                ("post", "/api/v1/trades/{trade_id}/complaint-reviews"): "ComplaintReviewCreate",
                # the committee's decision on a collusion flag (bidding/collusion/api.py)
                ("post", "/api/v1/trades/{trade_id}/collusion/flags/{flag_id}/reviews"): "FlagReviewCreate",
                # e-supervision (monitor/cards/api.py, bidding/deposits.py)
                ("post", "/api/v1/cards/{card_id}/transitions"): "CardMove",
                ("post", "/api/v1/trades/{trade_id}/pause"): "Pause",
                ("post", "/api/v1/trades/{trade_id}/resume"): "Pause",
                ("post", "/api/v1/trades/{trade_id}/deposits"): "DepositCreate",
                ("post", "/api/v1/trades/{trade_id}/deposits/{deposit_id}/settle"): "DepositSettle",
                # social supervisors (monitor/supervisors/api.py)
                ("post", "/api/v1/supervisors"): "SupervisorCreate",
                ("post", "/api/v1/supervisors/{supervisor_id}/renewals"): "SupervisorRenew",
                ("post", "/api/v1/supervisors/{supervisor_id}/status"): "SupervisorStatusAction",
                ("post", "/api/v1/trades/{trade_id}/supervision/conflicts"): "SupervisorReason",
                ("post", "/api/v1/trades/{trade_id}/supervision/draws/{round_no}/commitments"): "DrawCommitment",
                ("post", "/api/v1/trades/{trade_id}/supervision/draws/{round_no}/reveals"): "DrawReveal",
                ("post", "/api/v1/trades/{trade_id}/supervision/recusals"): "SupervisorRecusal",
                ("post", "/api/v1/trades/{trade_id}/supervision/signoffs"): "SupervisorSignOffCreate",
                # the expert pool and the committee's draw (bidding/experts/api.py)
                ("post", "/api/v1/experts"): "ExpertCreate",
                ("post", "/api/v1/experts/{expert_id}/sanctions"): "SanctionCreate",
                ("post", "/api/v1/experts/{expert_id}/absences"): "AbsenceCreate",
                ("put", "/api/v1/trades/{trade_id}/committee/plan"): "CommitteePlan",
                ("post", "/api/v1/trades/{trade_id}/committee/draws/{round_no}/commitments"): "ExpertDrawCommitment",
                ("post", "/api/v1/trades/{trade_id}/committee/draws/{round_no}/reveals"): "ExpertDrawReveal",
                ("post", "/api/v1/trades/{trade_id}/committee/members/{seat_id}/recusal"): "SeatReason",
                ("post", "/api/v1/trades/{trade_id}/committee/members/{seat_id}/decline"): "SeatReason",
                # scoring and the evaluation report (bidding/scoring/api.py)
                ("put", "/api/v1/trades/{trade_id}/scoring/plan"): "PlanLoad",
                ("put", "/api/v1/trades/{trade_id}/scoring/sheet"): "ScoresLoad",
                ("post", "/api/v1/trades/{trade_id}/scoring/sheet/submit"): "ScoresLoad",
                ("post", "/api/v1/trades/{trade_id}/scoring/sheet/reasons"): "ReasonLoad",
                ("post", "/api/v1/trades/{trade_id}/scoring/adjustments"): "AdjustmentLoad",
                ("post", "/api/v1/trades/{trade_id}/scoring/report/sign"): "ReportSignLoad",
                # the deal of a sale (bidding/auctions/deal/api.py)
                ("post", "/api/v1/trades/{trade_id}/deal/confirmation/sign"): "DealSignLoad",
                ("post", "/api/v1/trades/{trade_id}/deal/deposits/{deposit_id}/refund"): "DealRefundLoad",
                # the supervisors' signatures on a sale's reserve record (bidding/auctions/reserve/api.py)
                ("post", "/api/v1/trades/{trade_id}/reserve/signatures"): "ReserveSignLoad",
                # people's own signatures (trading/signing/api.py, monitor/audit/api.py)
                ("post", "/api/v1/signing/keys"): "KeyCreate",
                ("post", "/api/v1/signing/keys/{fingerprint}/revoke"): "KeyRevoke",
                ("post", "/api/v1/signing/statements"): "StatementRequest",
                ("post", "/api/v1/audit/checkpoints/{checkpoint_id}/countersign"): "Countersign",
                # from the candidates to the contract (bidding/award/api.py)
                ("post", "/api/v1/trades/{trade_id}/award/objections"): "CandidateObjectionCreate",
                ("post", "/api/v1/trades/{trade_id}/award/objections/{objection_id}/answer"): "CandidateObjectionAnswer",
                ("post", "/api/v1/trades/{trade_id}/award/complaints"): "ComplaintCreate",
                ("post", "/api/v1/trades/{trade_id}/award/complaints/{complaint_id}/decision"): "ComplaintDecision",
                ("post", "/api/v1/trades/{trade_id}/award/complaints/{complaint_id}/ruling"): "ComplaintRuling",
                ("post", "/api/v1/trades/{trade_id}/award/decision"): "AwardCreate",
                ("post", "/api/v1/trades/{trade_id}/award/report"): "AwardReportCreate",
                # land and property sales: terms, amendments, registrations, quotes (bidding/auctions/api.py)
                ("put", "/api/v1/trades/{trade_id}/sale/terms"): "SaleTermsLoad",
                ("post", "/api/v1/trades/{trade_id}/sale/amendments"): "SaleAmendmentLoad",
                ("post", "/api/v1/trades/{trade_id}/sale/increment"): "IncrementChangeLoad",
                ("post", "/api/v1/trades/{trade_id}/sale/registrations/{registration_id}/refuse"): "RefusalLoad",
                ("post", "/api/v1/trades/{trade_id}/sale/registrations/{registration_id}/qualify"): "QualifyLoad",
                ("post", "/api/v1/trades/{trade_id}/sale/quotes"): "QuoteLoad",
                # the live timed bidding round (bidding/auctions/live/api.py)
                ("post", "/api/v1/trades/{trade_id}/auction/bids"): "BidLoad",
                # state property transfers (bidding/auctions/property/api.py)
                ("post", "/api/v1/trades/{trade_id}/property/reserve"): "ReserveChangeCreate",
                ("post", "/api/v1/trades/{trade_id}/property/negotiated"): "NegotiatedCreate",
                ("post", "/api/v1/trades/{trade_id}/property/extension"): "ExtensionCreate",
                # procurement plans and budgets (procurement/plans/api.py)
                ("post", "/api/v1/procurement/plans"): "ProcurementPlanCreate",
                ("post", "/api/v1/procurement/plans/{plan_id}/lines"): "BudgetLineCreate",
                ("post", "/api/v1/trades/{trade_id}/budget-draw"): "BudgetDrawCreate",
                ("post", "/api/v1/trades/{trade_id}/method-approval"): "MethodApprovalCreate",
                # single source (procurement/direct/api.py)
                ("post", "/api/v1/trades/{trade_id}/single-source/supplier"): "SingleSourceSupplierCreate",
                ("post", "/api/v1/trades/{trade_id}/single-source/objections"): "SingleSourceObjectionCreate",
                ("post", "/api/v1/trades/{trade_id}/single-source/objections/{objection_id}/answer"):
                    "SingleSourceObjectionAnswer",
                ("post", "/api/v1/trades/{trade_id}/single-source/negotiation"): "NegotiationRecordCreate",
                ("post", "/api/v1/trades/{trade_id}/single-source/negotiation/signatures"):
                    "NegotiationSignatureCreate",
                # procurement results (procurement/results/api.py)
                ("put", "/api/v1/trades/{trade_id}/sme-policy"): "SmePolicyLoad",
                ("post", "/api/v1/trades/{trade_id}/sme-declaration"): "SmeDeclarationLoad",
                ("post", "/api/v1/trades/{trade_id}/award-decision"): "DecisionLoad",
                ("post", "/api/v1/trades/{trade_id}/delivery"): "DeliveryLoad",
                ("post", "/api/v1/trades/{trade_id}/acceptance"): "AcceptanceLoad",
                # invitees and the change of method (procurement/methods/api.py)
                ("post", "/api/v1/trades/{trade_id}/invitees"): "InviteeListCreate",
                ("post", "/api/v1/trades/{trade_id}/invitees/draws"): "InviteeDrawCreate",
                ("post", "/api/v1/trades/{trade_id}/invitees/draws/{round_no}/commitments"): "InviteeDrawCommitment",
                ("post", "/api/v1/trades/{trade_id}/invitees/draws/{round_no}/reveals"): "InviteeDrawReveal",
                ("post", "/api/v1/trades/{trade_id}/method-changes"): "MethodChangeCreate",
                ("post", "/api/v1/trades/{trade_id}/method-changes/decision"): "MethodChangeDecision",
                # questions, challenges and complaints (procurement/challenges/api.py)
                ("post", "/api/v1/trades/{trade_id}/challenges"): "FilingCreate",
                ("post", "/api/v1/trades/{trade_id}/challenges/{filing_id}/answer"): "FilingAnswer",
                ("post", "/api/v1/trades/{trade_id}/challenges/{filing_id}/suspension"): "FilingSuspension",
                # competitive negotiation and consultation (procurement/negotiation/api.py)
                ("post", "/api/v1/trades/{trade_id}/negotiation/rounds"): "RoundLoad",
                ("post", "/api/v1/trades/{trade_id}/negotiation/threads/{organisation_id}/messages"): "MessageLoad",
                ("post", "/api/v1/trades/{trade_id}/negotiation/changes"): "ChangeLoad",
                ("post", "/api/v1/trades/{trade_id}/negotiation/set-aside"): "SetAsideLoad",
                ("post", "/api/v1/trades/{trade_id}/negotiation/final-call"): "CallLoad",
                ("post", "/api/v1/trades/{trade_id}/negotiation/final-shares"): "Release"}
    #: commands without a body: the path says everything (start and complete the ceremony)
    bodyless = {("post", "/api/v1/trades/{trade_id}/ceremony"), ("post", "/api/v1/trades/{trade_id}/ceremony/complete")}
    for key, name in expected.items():
        schema = bodies[key]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{name}"}, key
        assert "422" in spec["paths"][key[1]][key[0]]["responses"], key
    upload = bodies[("post", "/api/v1/trades/{trade_id}/documents")]["content"]["multipart/form-data"]["schema"]
    assert upload["properties"]["file"] == {"type": "string", "format": "binary"} and upload["required"] == ["file"]
    # every POST/PATCH documents what it takes
    for path, item in spec["paths"].items():
        for method in ("post", "patch", "put"):
            if method in item and (method, path) not in bodyless and not item[method].get("x-bodyless"):
                assert "requestBody" in item[method], f"{method} {path}"
    envelope = bodies[("post", "/api/v1/trades/{trade_id}/bids")]["content"]["application/octet-stream"]["schema"]
    assert envelope == {"type": "string", "format": "binary"}
    assert set(bodies) == set(expected) | {("post", "/api/v1/trades/{trade_id}/documents"),
                                           ("post", "/api/v1/trades/{trade_id}/bids"),
                                           ("post", "/api/v1/trades/{trade_id}/reserve"),
                                           ("post", "/api/v1/trades/{trade_id}/negotiation/final-quotes"),
                                           ("post", "/api/v1/trades/{trade_id}/award/contract"),
                                           ("post", "/api/v1/trades/{trade_id}/property/consents"),
                                           ("post", "/api/v1/trades/{trade_id}/sale/registrations/{registration_id}/documents")}


def test_load_schemas_match_what_the_api_accepts(spec):
    create = spec["components"]["schemas"]["TradeCreate"]
    assert set(create["required"]) == {"centre_id", "method", "title", "estimated_price"}
    assert create["additionalProperties"] is False  # unknown fields are refused (422)
    for m in ("issue_at", "docs_until", "bid_deadline", "opening_at", "listing_from"):
        assert create["properties"][m]["format"] == "date-time"
    assert "required" not in spec["components"]["schemas"]["TradeUpdate"]  # PATCH sends only what changes


def test_protected_operations_declare_bearer_and_public_ones_do_not(spec):
    public = {("get", "/api/v1/trades"), ("get", "/api/v1/centres"), ("post", "/api/v1/tokens"),
              ("get", "/api/v1/openapi.json"), ("get", "/api/v1/rulesets"), ("get", "/api/v1/notices")}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if (method, path) in public:
                assert "security" not in op, (method, path)
            if method in ("post", "patch", "delete") and (method, path) not in public:
                assert op.get("security") == [{"bearer": []}], (method, path)
                assert "401" in op["responses"] and "403" in op["responses"]


def test_query_parameters_are_documented(spec):
    trades = {p["name"] for p in spec["paths"]["/api/v1/trades"]["get"]["parameters"]}
    assert {"centre", "method", "state", "q", "page", "per_page", "scope"} <= trades
    notices = {p["name"] for p in spec["paths"]["/api/v1/notices"]["get"]["parameters"]}
    assert {"trade", "kind", "page", "per_page"} <= notices


# ------------------------------------------------------------------ live responses match the document


def _response_schema(spec, method, path, status):
    return spec["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]


def test_live_responses_match_their_schemas(client, spec, users, published_trade):
    tid = published_trade.id
    staff = api_headers(client, "staff")
    calls = [
        ("get", "/api/v1/centres", "/api/v1/centres", None, 200, {}),
        ("get", "/api/v1/trades/{trade_id}", f"/api/v1/trades/{tid}", None, 200, {}),
        ("get", "/api/v1/trades/{trade_id}/transitions", f"/api/v1/trades/{tid}/transitions", None, 200, {}),
        ("post", "/api/v1/trades/{trade_id}/clarifications", f"/api/v1/trades/{tid}/clarifications",
         {"title": "Q1", "body": "Answer"}, 201, staff),
        ("get", "/api/v1/trades/{trade_id}/clarifications", f"/api/v1/trades/{tid}/clarifications", None, 200, {}),
        ("get", "/api/v1/trades/{trade_id}/downloads", f"/api/v1/trades/{tid}/downloads", None, 200, staff),
        ("post", "/api/v1/tokens", "/api/v1/tokens", {"username": "bidder", "password": "test-pass-123"}, 201, {}),
        ("post", "/api/v1/trades/{trade_id}/transitions", f"/api/v1/trades/{tid}/transitions",
         {"move": "suspend", "reason": "complaint"}, 201, api_headers(client, "supervisor")),
    ]
    for method, template, url, body, status, headers in calls:
        response = client.open(url, method=method.upper(), json=body, headers=headers)
        assert response.status_code == status, (url, response.get_json())
        schema = _response_schema(spec, method, template, status)
        assert check(spec, schema, response.get_json()) == [], url

    # paginated lists: the items match the documented item schema
    for template, url in (("/api/v1/trades", "/api/v1/trades"), ("/api/v1/notices", "/api/v1/notices")):
        body = client.get(url).get_json()
        assert body["items"]
        schema = _response_schema(spec, "get", template, 200)
        item_schema = schema.get("items") or schema["properties"]["items"]["items"]
        for item in body["items"]:
            assert check(spec, item_schema, item) == [], url


def test_documented_list_responses_have_their_real_shape(spec):
    """The list endpoints return {items, page, per_page, total}; the document must say so."""
    for path in ("/api/v1/trades", "/api/v1/notices"):
        schema = _response_schema(spec, "get", path, 200)
        assert schema.get("type") == "object", f"{path} documents a bare array but returns a page object"
        assert {"items", "page", "per_page", "total"} <= set(schema["properties"])


def test_error_responses_match_the_error_schema(client, spec, users, make_trade):
    trade = make_trade()
    error = {"$ref": "#/components/schemas/Error"}
    staff = api_headers(client, "staff")
    samples = [
        client.post("/api/v1/trades", json={"title": ""}, headers=staff),  # 422 with errors
        client.get(f"/api/v1/trades/{trade.id}"),  # 401
        client.get(f"/api/v1/trades/{trade.id}", headers=api_headers(client, "bidder")),  # 403
        client.post(f"/api/v1/trades/{trade.id}/transitions", json={"move": "publish"}, headers=staff),  # 409
        client.get("/api/v1/trades/987654"),  # 404
        client.post(f"/api/v1/trades/{trade.id}/documents", headers=staff,
                    data={"file": (io.BytesIO(b"x"), "a.exe", "application/x-msdownload")},
                    content_type="multipart/form-data"),  # 422 from the service
    ]
    assert [r.status_code for r in samples] == [422, 401, 403, 409, 404, 422]
    for response in samples:
        assert check(spec, error, response.get_json()) == [], response.get_json()
