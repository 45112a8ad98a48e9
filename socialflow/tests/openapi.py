"""Check a test client's response against what docs/openapi.yaml promises for its operation.

The same checks schemathesis makes in ``make fuzz`` (status code documented, JSON body valid
against the documented schema), in-process, so a regression test can pin one case.
"""

import functools
import re

import jsonschema
from drf_spectacular.generators import SchemaGenerator


@functools.cache
def openapi() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _json_schema(node):
    """OpenAPI 3.0 → JSON Schema: ``nullable: true`` becomes a ``null`` alternative."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        if "$ref" in out or "allOf" in out or "oneOf" in out or "anyOf" in out:
            return {"anyOf": [out, {"type": "null"}]}
    return out


def _operation(method: str, path: str) -> dict:
    # Literal segments first: notifications/devices is not notifications/{id}.
    for template, operations in sorted(openapi()["paths"].items(), key=lambda item: item[0].count("{")):
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "/?$"
        if re.match(pattern, path.split("?")[0]) and method.lower() in operations:
            return operations[method.lower()]
    raise AssertionError(f"{method} {path} is not in the schema")


def assert_conforms(response, method: str, path: str) -> None:
    """The response's status is documented for the operation and its body matches the schema."""
    operation = _operation(method, path)
    documented = operation["responses"]
    code = str(response.status_code)
    assert code in documented, f"{method} {path}: {code} is not documented (documented: {sorted(documented)})"
    response_doc = documented[code]
    if "$ref" in response_doc:
        response_doc = openapi()["components"]["responses"][response_doc["$ref"].rsplit("/", 1)[1]]
    content = response_doc.get("content")
    if not content:
        assert not response.content, f"{method} {path}: {code} documents no body but one came"
        return
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    schema = {**_json_schema(content["application/json"]["schema"]), "components": _components()}
    jsonschema.validate(response.json(), schema)


@functools.cache
def _components() -> dict:
    return _json_schema(openapi()["components"])
