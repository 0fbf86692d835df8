"""GitHub's own description of the endpoints we use (contract/openapi-subset.json, pruned from npm
`@octokit/openapi`), as something to check JSON against and to shape JSON with.

* `operation_for(method, path)`: which documented operation a concrete request is.
* `response_errors(...)` / `webhook_errors(...)`: JSON Schema validation (OpenAPI 3.0's `nullable`
  read as JSON Schema's `null` type), one readable line per violation.
* `github_shaped(...)`: GitHub leaves an optional field out rather than send `null`
  (`in_reply_to_id` on every top-level review comment, for one), so the stand-in drops every
  null-valued property its schema does not require — the shape clients must cope with — and fills
  the required fields it does not model (dozens of `*_url`s) from the schema.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

SUBSET = Path(__file__).with_name("openapi-subset.json")
JSON_TYPES = ("application/json", "application/vnd.github.object", "application/scim+json")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    regex: re.Pattern

    @property
    def pointer(self) -> str:
        return "/paths/" + self.template.replace("~", "~0").replace("/", "~1") + "/" + self.method.lower()


def _nullable_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` becomes a JSON Schema type that admits null."""
    if isinstance(node, list):
        return [_nullable_to_json_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable_to_json_schema(v) for k, v in node.items() if k not in ("examples", "example")}
    if out.pop("nullable", False):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@lru_cache(maxsize=1)
def document() -> dict:
    """The vendored subset, unchanged."""
    return json.loads(SUBSET.read_text())


@lru_cache(maxsize=1)
def _json_schema_document() -> dict:
    return _nullable_to_json_schema(copy.deepcopy(document()))


@lru_cache(maxsize=1)
def operations() -> tuple[Operation, ...]:
    ops = []
    for template, item in document()["paths"].items():
        pattern = re.sub(r"\\\{path\\\}", r"(?P<path>.+)", re.escape(template))
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                ops.append(Operation(method.upper(), template, re.compile(f"^{pattern}/?$")))
    # Literal segments win over parameters: /pulls/comments is not /pulls/{pull_number}.
    ops.sort(key=lambda op: (-sum(1 for s in op.template.split("/") if s and "{" not in s), op.template))
    return tuple(ops)


def operation_for(method: str, path: str) -> Operation | None:
    for op in operations():
        if op.method == method.upper() and op.regex.match(path):
            return op
    return None


def _resolve(pointer: str) -> Any:
    node: Any = _json_schema_document()
    for part in pointer.strip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _deref(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = _resolve(node["$ref"][1:])
    return node


def response_schema_pointer(op: Operation, status: int) -> str | None:
    """Where the JSON schema of `op`'s answer with `status` lives, or None (no JSON body documented)."""
    responses = _resolve(op.pointer)["responses"]
    key = str(status) if str(status) in responses else ("default" if "default" in responses else None)
    if key is None:
        return None
    pointer = f"{op.pointer}/responses/{key}"
    response = _resolve(pointer)
    if "$ref" in response:
        pointer = response["$ref"][1:]
        response = _resolve(pointer)
    for ctype in JSON_TYPES:
        if ctype in response.get("content", {}) and "schema" in response["content"][ctype]:
            return f"{pointer}/content/{ctype.replace('/', '~1')}/schema"
    return None


def documented_statuses(op: Operation) -> set[str]:
    return set(_resolve(op.pointer)["responses"])


def webhook_schema_pointer(name: str) -> str:
    return f"/x-webhooks/{name}/post/requestBody/content/application~1json/schema"


@lru_cache(maxsize=256)
def _validator(pointer: str):
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    resource = Resource.from_contents(_json_schema_document(), default_specification=DRAFT7)
    registry = Registry().with_resource("urn:github", resource)
    return Draft7Validator({"$ref": f"urn:github#{pointer}"}, registry=registry)


def errors_at(pointer: str, data: Any, limit: int = 5) -> list[str]:
    out = []
    for err in _validator(pointer).iter_errors(data):
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        out.append(f"{where}: {err.message[:200]}")
        if len(out) >= limit:
            break
    return out


def response_errors(method: str, path: str, status: int, data: Any) -> list[str]:
    """Why GitHub's description would not allow `data` as this answer ([] when it does)."""
    op = operation_for(method, path)
    if op is None:
        return [f"{method} {path} is not an operation of the contract (contract/operations.py)"]
    if str(status) not in documented_statuses(op) and "default" not in documented_statuses(op):
        return [f"{method} {op.template} does not document status {status}"]
    pointer = response_schema_pointer(op, status)
    return [] if pointer is None else errors_at(pointer, data)


def webhook_errors(name: str, payload: Any) -> list[str]:
    return errors_at(webhook_schema_pointer(name), payload)


# ---------------------------------------------------------------------------------------------- shaping
def _branches(schema: dict) -> list[dict]:
    return [_deref(s) for s in schema.get("oneOf", []) + schema.get("anyOf", [])]


def _types(schema: dict) -> list:
    t = schema.get("type")
    return t if isinstance(t, list) else [t]


def _pick_branch(schema: dict, data: Any) -> dict:
    """The oneOf/anyOf branch `data` belongs to: the object branch whose required keys it has."""
    candidates = [b for b in _branches(schema) if _types(b) != ["null"]]
    for branch in candidates:
        if isinstance(data, dict) and set(branch.get("required", [])) <= set(data):
            return branch
    for branch in candidates:
        if (
            isinstance(data, dict)
            and "object" in _types(branch)
            or isinstance(data, list)
            and "array" in _types(branch)
        ):
            return branch
    return candidates[0] if candidates else schema


def _default(schema: Any, name: str, base_url: str) -> Any:
    """A neutral value for a required field the stand-in does not model (most are URLs)."""
    schema = _deref(schema)
    if "allOf" in schema:
        schema = _merged(schema)
    if "oneOf" in schema or "anyOf" in schema:
        if any(_types(b) == ["null"] for b in _branches(schema)):
            return None
        schema = _pick_branch(schema, None)
    types = _types(schema)
    if "null" in types:
        return None
    if "enum" in schema:
        return schema["enum"][0]
    kind = types[0]
    if kind == "string":
        if schema.get("format") == "date-time":
            return "1970-01-01T00:00:00Z"
        if schema.get("format") == "uri" or name.endswith("url"):
            return f"{base_url}/_unmodelled/{name}"
        return ""
    if kind in ("integer", "number"):
        return 0
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object" or "properties" in schema:
        return _shape(schema, {}, base_url)
    return None


def _merged(schema: dict) -> dict:
    """An allOf schema as one: the parts' properties and required fields together."""
    merged: dict = {"properties": {}, "required": []}
    for part in [schema] + [_deref(p) for p in schema["allOf"]]:
        part = _merged(part) if part is not schema and "allOf" in part else part
        for key, prop in part.get("properties", {}).items():  # described twice: both descriptions hold
            known = merged["properties"].get(key)
            merged["properties"][key] = prop if known is None else {"allOf": [known, prop]}
        merged["required"] += [r for r in part.get("required", []) if r not in merged["required"]]
        for key in ("type", "items"):
            if key in part and key not in merged:
                merged[key] = part[key]
    return merged


def _shape(schema: Any, data: Any, base_url: str | None) -> Any:
    schema = _deref(schema)
    if not isinstance(schema, dict) or data is None:
        return data
    if "oneOf" in schema or "anyOf" in schema:
        return _shape(_pick_branch(schema, data), data, base_url)
    if "allOf" in schema:  # one object described in parts: shaped by all of them at once
        return _shape(_merged(schema), data, base_url)
    if isinstance(data, list):
        items = schema.get("items")
        return [_shape(items, v, base_url) for v in data] if items else data
    if isinstance(data, dict) and "properties" in schema:
        required = schema.get("required", [])
        props = schema["properties"]
        out = {
            k: (_shape(props[k], v, base_url) if k in props else v)
            for k, v in data.items()
            if v is not None or k in required or k not in props
        }
        if base_url is not None:
            for k in required:
                if k not in out and k in props:
                    out[k] = _default(props[k], k, base_url)
        return out
    return data


def github_shaped(pointer: str | None, data: Any, base_url: str | None = None) -> Any:
    """`data` as GitHub sends it for the schema at `pointer`: null-valued properties the schema does
    not require are left out, and (given `base_url`) required fields the stand-in does not model are
    filled with neutral values, URLs under `base_url`."""
    return data if pointer is None else _shape(_resolve(pointer), data, base_url)
