"""Checks a request against Front's official OpenAPI spec (tests/fakes/specs/front-core-api.json).

The spec is the source of truth for paths, methods and request bodies; a client request that
does not match it fails the test that made it, instead of failing in production.
"""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path

import jsonschema

# A copy kept in the repository (see specs/README.md for where it comes from), so a fresh clone
# needs nothing beside it.
SPEC_PATH = Path(__file__).resolve().parent / "specs" / "front-core-api.json"

# Where the spec's schema is stricter than its own words. Each entry says why.
DOCUMENTED_NULLABLE = {
    # UpdateConversationAssignee.assignee_id is typed "string", but its description says
    # "Set it to null to unassign" — and null is how Front unassigns.
    ("PUT", "/conversations/{conversation_id}/assignee"): {"assignee_id"},
}


@lru_cache(maxsize=1)
def spec() -> dict:
    return json.loads(SPEC_PATH.read_text())


@lru_cache(maxsize=1)
def _path_patterns() -> list[tuple[re.Pattern, str]]:
    patterns = []
    for template in spec()["paths"]:
        regex = "^" + re.sub(r"\{[^}]+\}", "[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")) + "/?$"
        patterns.append((re.compile(regex), template))
    # Literal segments beat parameters: "/conversations/search/{q}" before "/conversations/{id}/…".
    patterns.sort(key=lambda item: (item[1].count("{"), -len(item[1])))
    return patterns


def template_for(path: str) -> str | None:
    for pattern, template in _path_patterns():
        if pattern.match(path):
            return template
    return None


def _resolve(node, seen=()):
    """Inline $refs and turn OpenAPI 3.0 ``nullable`` into JSON Schema."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"]
            if name in seen:
                return {}
            target = spec()
            for part in name.lstrip("#/").split("/"):
                target = target[part]
            merged = {**_resolve(target, seen + (name,)), **{k: v for k, v in node.items() if k != "$ref"}}
            return _resolve(merged, seen + (name,)) if "$ref" in merged else merged
        resolved = {key: _resolve(value, seen) for key, value in node.items() if key not in ("example", "format")}
        if resolved.pop("nullable", False) and "type" in resolved:
            resolved["type"] = [resolved["type"], "null"]
        return resolved
    if isinstance(node, list):
        return [_resolve(item, seen) for item in node]
    return node


def _merged(schema: dict) -> dict:
    """An ``allOf`` of object schemas as one schema (ReplyDraft is CreateDraft plus channel_id),
    so that ``additionalProperties: false`` below sees every property the parts allow."""
    parts = schema.pop("allOf", None)
    if not parts:
        return schema
    properties, required = dict(schema.get("properties", {})), list(schema.get("required", []))
    for part in parts:
        part = _merged(part)
        properties.update(part.get("properties", {}))
        required += [name for name in part.get("required", []) if name not in required]
    return {**schema, "type": "object", "properties": properties, "required": required}


def problems(method: str, path: str, body) -> list[str]:
    """What is wrong with this request, per the spec; empty when it conforms."""
    template = template_for(path)
    if template is None:
        return [f"{method} {path}: no such path in Front's API"]
    operation = spec()["paths"][template].get(method.lower())
    if operation is None:
        return [f"{method} {template}: method not in Front's API"]
    request_body = operation.get("requestBody")
    if request_body is None:
        return [] if body is None else [f"{method} {template}: sends a body the API does not take"]
    if body is None:
        return [f"{method} {template}: missing its JSON body"] if request_body.get("required") else []
    schema = _merged(copy.deepcopy(_resolve(request_body["content"]["application/json"]["schema"])))
    for field in DOCUMENTED_NULLABLE.get((method.upper(), template), ()):
        prop = schema.get("properties", {}).get(field)
        if prop is not None and "type" in prop:
            prop["type"] = [prop["type"], "null"]
    schema["additionalProperties"] = False  # a misspelt field is silently ignored by Front
    validator = jsonschema.Draft7Validator(schema)
    return [f"{method} {template}: {error.message}" for error in validator.iter_errors(body)]
