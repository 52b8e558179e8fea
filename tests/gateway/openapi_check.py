"""Check every gateway response against the gateway's own OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate


class ResponseChecker:
    """Finds the operation a request matched and validates the response by the document."""

    def __init__(self, document: dict[str, Any]) -> None:
        validate(document)  # the document itself is valid OpenAPI 3.1
        self.document = document
        self.checked: set[tuple[str, str, int]] = set()
        self._paths: list[tuple[int, re.Pattern[str], str]] = []
        for template in document["paths"]:
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
            # Concrete paths match before templated ones, as OpenAPI says.
            self._paths.append((template.count("{"), re.compile(f"^{pattern}$"), template))
        self._paths.sort(key=lambda item: item[0])

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        for _, pattern, template in self._paths:
            if pattern.match(path):
                item = self.document["paths"][template]
                if method.lower() in item:
                    return template, item[method.lower()]
        raise AssertionError(f"{method} {path} is not in the OpenAPI document")

    def check(self, method: str, path: str, status: int, content_type: str, body: Any) -> None:
        template, operation = self.operation(method, path.split("?", 1)[0])
        responses = operation["responses"]
        assert str(status) in responses, (
            f"{method} {template} answered {status}, not documented ({sorted(responses)})"
        )
        content = responses[str(status)].get("content", {})
        assert content_type in content, (
            f"{method} {template} {status}: {content_type} not documented ({sorted(content)})"
        )
        schema = {"components": self.document["components"], **content[content_type]["schema"]}
        errors = list(OAS31Validator(schema).iter_errors(body))
        assert not errors, f"{method} {template} {status}: {errors[0].message}"
        self.checked.add((method.upper(), template, status))
