"""The SDK speaks SWF in the generated wire Structs: no SWF member by its camelCase name.

Behind the transport seam the client, the worker, the gateway and the messaging package
build requests and read answers as ``swfasync._wire`` Structs (snake_case attributes,
camelCase only on the wire). A string that is an SWF member's camelCase name (``taskToken``,
``executionInfo``, ``nextPageToken``...) used as a dict key or a subscript in their code is
the hand-parsed dict this rules out, so this test looks for one in the syntax tree of every
module. The dev server keeps its own reading of the model on purpose (it is the SDK's test
oracle), and the generated modules are the wire itself: both are outside the rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

import botocore.loaders

PACKAGE = Path(__file__).resolve().parent.parent / "swfasync"
OUTSIDE = (
    PACKAGE / "devserver",  # the independent oracle
    PACKAGE / "_wire" / "common.py",  # generated
    PACKAGE / "_wire" / "api.py",
    PACKAGE / "_wire" / "events.py",
    PACKAGE / "_wire" / "decisions.py",
)
# Modules whose job is SWF's JSON itself, and the names each may use (None: any).
JSON_LAYER: dict[Path, frozenset[str] | None] = {
    # JSON bodies and history documents to and from the Structs, and their repairs
    PACKAGE / "_wire" / "codec.py": None,
    # history files as other tools write them (the AWS CLI, other SDKs' recorders)
    PACKAGE / "_testing" / "recorded.py": None,
    # what an aiobotocore client returned, into the Structs
    PACKAGE / "_client" / "answers.py": None,
    # the Structs back into that shape, for WorkflowDescription.raw, which promises it
    PACKAGE / "_client" / "botocore_json.py": None,
    # `swfasync start` prints the run's ids in SWF's JSON names
    PACKAGE / "_cli" / "commands.py": frozenset({"workflowId", "runId"}),
}


def camel_member_names() -> frozenset[str]:
    """Every member name of the SWF model's structures that has a capital letter in it:
    a single lower-case word (``name``, ``input``) is too common to be SWF's alone."""
    shapes = botocore.loaders.Loader().load_service_model("swf", "service-2")["shapes"]
    names = {
        member
        for shape in shapes.values()
        if shape["type"] == "structure"
        for member in shape.get("members", {})
    }
    return frozenset(name for name in names if name != name.lower())


def swf_keys_in(tree: ast.AST, members: frozenset[str]) -> list[tuple[int, str]]:
    """(line, name) for each SWF member name used as a dict key, a subscript or a
    ``.get``/``.pop``/``.setdefault`` key."""
    found: list[tuple[int, str]] = []

    def note(node: ast.AST | None) -> None:
        if isinstance(node, ast.Constant) and node.value in members:
            found.append((node.lineno, node.value))

    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key in node.keys:
                note(key)
        elif isinstance(node, ast.Subscript):
            note(node.slice)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "pop", "setdefault")
            and node.args
        ):
            note(node.args[0])
    return found


def test_the_exempt_modules_exist() -> None:
    for path in (*OUTSIDE, *JSON_LAYER):
        assert path.exists(), path


def sdk_modules() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if not any(path == out or out in path.parents for out in OUTSIDE)
    )


def test_the_rule_finds_a_hand_parsed_answer() -> None:
    members = camel_member_names()
    assert {"taskToken", "executionInfo", "nextPageToken", "workflowId"} <= members
    source = (
        'info = raw["executionInfo"]\n'
        'token = page.get("nextPageToken")\n'
        'request = {"taskToken": token}\n'
        'fine = {"name": 1, "workflow_id": 2}\n'
    )
    assert swf_keys_in(ast.parse(source), members) == [
        (1, "executionInfo"),
        (2, "nextPageToken"),
        (3, "taskToken"),
    ]


def test_sdk_code_reads_and_builds_no_swf_dicts() -> None:
    members = camel_member_names()
    offenders = []
    for path in sdk_modules():
        allowed = JSON_LAYER.get(path, frozenset())
        for line, name in swf_keys_in(ast.parse(path.read_text(), str(path)), members):
            if allowed is not None and name not in allowed:
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name!r}")
    assert not offenders, "SWF members by their camelCase names:\n" + "\n".join(offenders)
