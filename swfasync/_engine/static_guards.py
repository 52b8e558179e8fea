"""The definition-time check for what the runtime guards of :mod:`.sandbox` cannot see.

``datetime.datetime.now()`` and ``utcnow()`` read the clock in C without any hook, and a
name bound to ``time.monotonic`` (or another refused function) outside workflow code holds
the unguarded original: the sandbox puts its guards in place only while workflow code
runs, in the modules, not in names already bound. Only reading the code catches them:
:func:`check_workflow` walks the bytecode of a workflow when ``@workflow.defn`` runs and
raises :class:`WorkflowDefinitionError` naming every such reference, where it is and what
to use instead.

What it reads: every function of the workflow class and of its bases (methods, static and
class methods, property accessors, and what their decorators wrap) or the workflow
function; the functions, lambdas and comprehensions nested in them; the plain functions of
the same module that they call by global name, recursively. It follows chains of loads
(``datetime.now``, ``dt.datetime.utcnow`` after ``import datetime as dt``, a ``from
datetime import date`` inside the function) through modules and classes, starting from the
functions' globals, builtins and locals bound only by imports. Whatever it cannot resolve
(other locals, ``self``, attributes of instances, calls into other modules) is not
flagged, so code that merely looks alike never fails. Functions handed straight to
``workflow.side_effect`` are skipped: reading the clock is what they are for.

Opcodes are matched by name and unknown ones end a chain, so a Python version with other
bytecode makes the check miss things, never fail.
"""

from __future__ import annotations

import datetime
import dis
import importlib.util
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import CodeType, FunctionType, ModuleType
from typing import Any

from ..exceptions import WorkflowDefinitionError
from . import sandbox

_CLOCK_READERS = frozenset({"now", "utcnow", "today"})
_UNKNOWN: Any = object()  # a value the bytecode alone does not determine

# Loads of a local (or cell) variable; the name is in argval.
_LOCAL_LOADS = frozenset({"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_BORROW", "LOAD_DEREF"})
_ATTRIBUTE_LOADS = frozenset({"LOAD_ATTR", "LOAD_METHOD"})
# Instructions that can sit between the links of one chain without changing its value.
_TRANSPARENT = frozenset({"EXTENDED_ARG", "CACHE", "NOP"})
# What may precede the code of a function built inline as an argument: its closure
# cells and default values.
_FUNCTION_PREAMBLE = frozenset({"LOAD_CLOSURE", "BUILD_TUPLE", "PUSH_NULL", "LOAD_CONST"})
_CO_VARARGS = 0x04
_CO_VARKEYWORDS = 0x08


@dataclass
class _CodeFacts:
    """What one code object does that matters to the check."""

    findings: list[tuple[str, int, str]] = field(default_factory=list)  # file, line, text
    children: list[tuple[CodeType, dict[str, Any]]] = field(default_factory=list)
    handed_to_side_effect: set[str] = field(default_factory=set)  # side_effect(x.NAME)
    unresolved_global: bool = False


def class_functions(cls: type) -> Iterator[tuple[str, FunctionType]]:
    """The Python functions of a class and its bases, with the names they are stored as.

    Bases from the standard library (``typing.Generic``, ``abc.ABC`` ...) are left out:
    they never read the clock, and following their helpers would cost time for nothing.
    """
    for klass in cls.__mro__:
        standard = str(klass.__module__).partition(".")[0] in sys.stdlib_module_names
        if standard and klass is not cls:  # the class itself, whatever its module's name
            continue
        for name, attribute in vars(klass).items():
            for function in _functions_of(attribute):
                yield name, function


def _functions_of(attribute: object) -> Iterator[FunctionType]:
    if isinstance(attribute, staticmethod | classmethod):
        attribute = attribute.__func__
    if isinstance(attribute, property):
        candidates: list[object] = [attribute.fget, attribute.fset, attribute.fdel]
    else:
        candidates = [attribute]
    for candidate in candidates:
        # A decorated function: its wrapper and what it wraps (a bounded walk: `__wrapped__`
        # chains are set by user code and could loop).
        for _ in range(8):
            if type(candidate) is not FunctionType:
                break
            yield candidate
            candidate = getattr(candidate, "__wrapped__", None)


def check_workflow(workflow_name: str, functions: Iterable[tuple[str, FunctionType]]) -> bool:
    """Raise :class:`WorkflowDefinitionError` if the code reads what a replay cannot.

    ``functions`` are the workflow's own, with the names they are stored as on its class.
    Returns False when the code names a global that is not defined yet (a helper further
    down the module): the check is worth running again once the module is loaded.
    """
    from .api import side_effect  # api imports definitions, which imports this module

    roots = list(functions)
    reader = _Reader(side_effect)
    handed_over: set[str] = set()
    for facts in reader.reachable(roots):
        handed_over |= facts.handed_to_side_effect
    findings: dict[tuple[str, int, str], None] = {}
    complete = True
    for facts in reader.reachable([root for root in roots if root[0] not in handed_over]):
        findings.update(dict.fromkeys(facts.findings))
        complete = complete and not facts.unresolved_global
    if findings:
        listed = "\n".join(f"  {text}" for _, _, text in sorted(findings))
        raise WorkflowDefinitionError(
            f"workflow {workflow_name} reads what a replay cannot reproduce:\n{listed}\n"
            "Replays run this code again and would get other values; use the replacement "
            "named, or read the value in a function handed to workflow.side_effect."
        )
    return complete


class _Reader:
    """Reads code objects once each and walks what they lead to."""

    def __init__(self, side_effect: object) -> None:
        self._side_effect = side_effect
        self._read: dict[tuple[int, int], _CodeFacts] = {}

    def reachable(self, roots: Iterable[tuple[str, FunctionType]]) -> Iterator[_CodeFacts]:
        stack = [(function.__code__, function.__globals__) for _, function in roots]
        seen: set[tuple[int, int]] = set()
        while stack:
            code, namespace = stack.pop()
            key = (id(code), id(namespace))
            if key in seen:
                continue
            seen.add(key)
            facts = self._read.get(key)
            if facts is None:
                facts = self._read[key] = _read_code(code, namespace, self._side_effect)
            yield facts
            stack.extend(facts.children)


def _read_code(code: CodeType, namespace: dict[str, Any], side_effect: object) -> _CodeFacts:
    instructions = [i for i in dis.get_instructions(code) if i.opname not in _TRANSPARENT]
    imported = _imported_locals(code, instructions, namespace)
    facts = _CodeFacts()
    exempt: set[int] = set()  # ids of nested code handed to side_effect
    where = getattr(code, "co_qualname", code.co_name)
    line = code.co_firstlineno
    value: Any = _UNKNOWN
    for index, instruction in enumerate(instructions):
        line = _line_of(instruction, line)
        opname = instruction.opname
        if opname == "LOAD_GLOBAL":
            value = _global(namespace, instruction.argval)
            if value is _UNKNOWN:
                facts.unresolved_global = True
            elif (
                type(value) is FunctionType
                and value.__globals__ is namespace
                and "NULL" in instruction.argrepr  # pushed for a call: the helper runs here
            ):
                facts.children.append((value.__code__, namespace))
        elif opname in _LOCAL_LOADS:
            value = imported.get(instruction.argval, _UNKNOWN)
        elif opname in _ATTRIBUTE_LOADS:
            clock = _clock_reader(value, instruction.argval)
            if clock is not None:
                text = f"reading the wall clock ({clock}); use workflow.now()"
                facts.findings.append(_finding(code, line, where, text))
            value = _attribute(value, instruction.argval)
        else:
            value = _UNKNOWN
            continue
        refused = sandbox.refused_original(value)
        if refused is not None:
            what, instead = refused
            facts.findings.append(_finding(code, line, where, f"{what}; {instead}"))
        if value is side_effect:
            _exempt_handed_over(instructions, index + 1, facts, exempt)
    facts.children.extend(
        (const, namespace)
        for const in code.co_consts
        if isinstance(const, CodeType) and id(const) not in exempt
    )
    return facts


def _finding(code: CodeType, line: int, where: str, text: str) -> tuple[str, int, str]:
    return (code.co_filename, line, f"{where} ({code.co_filename}:{line}): {text}")


def _line_of(instruction: dis.Instruction, current: int) -> int:
    line = getattr(getattr(instruction, "positions", None), "lineno", None)
    return line if isinstance(line, int) else current


def _global(namespace: dict[str, Any], name: object) -> Any:
    if not isinstance(name, str):
        return _UNKNOWN
    if name in namespace:
        return namespace[name]
    scope = namespace.get("__builtins__", sys.modules["builtins"])
    return _attribute(scope, name) if isinstance(scope, ModuleType) else scope.get(name, _UNKNOWN)


def _attribute(value: Any, name: object) -> Any:
    """``value.name`` for modules and classes, looked up without running any user code."""
    if not isinstance(name, str):
        return _UNKNOWN
    try:
        if isinstance(value, ModuleType):
            found = vars(value).get(name, _UNKNOWN)
            if found is _UNKNOWN:  # a submodule not bound in its package yet
                found = sys.modules.get(f"{value.__name__}.{name}", _UNKNOWN)
            return found
        if isinstance(value, type):
            for klass in value.__mro__:
                if name in vars(klass):
                    found = vars(klass)[name]
                    if isinstance(found, staticmethod | classmethod):
                        return found.__func__
                    return found
    except Exception:  # odd objects (proxies, broken metaclasses): not resolvable
        return _UNKNOWN
    return _UNKNOWN


def _clock_reader(value: Any, name: object) -> str | None:
    """``module.Class.name`` if that is the standard library's now/utcnow/today."""
    if name not in _CLOCK_READERS or not isinstance(value, type):
        return None
    try:
        if not issubclass(value, datetime.date):
            return None
        defined_by = next(k for k in value.__mro__ if name in vars(k))
    except Exception:  # broken metaclasses: not resolvable
        return None
    if defined_by not in (datetime.date, datetime.datetime):
        return None  # a subclass of its own that replaces the clock
    return f"{value.__module__}.{value.__qualname__}.{name}"


def _imported_locals(
    code: CodeType, instructions: list[dis.Instruction], namespace: dict[str, Any]
) -> dict[str, Any]:
    """Locals that only imports in this code assign: ``from datetime import datetime``."""
    parameters = code.co_argcount + code.co_kwonlyargcount
    parameters += bool(code.co_flags & _CO_VARARGS) + bool(code.co_flags & _CO_VARKEYWORDS)
    assigned_otherwise = set(code.co_varnames[:parameters])
    bound: dict[str, Any] = {}
    module: Any = _UNKNOWN  # what IMPORT_FROM reads from
    imported: Any = None  # what the last import left for a store, if the next is one
    for index, instruction in enumerate(instructions):
        opname, name = instruction.opname, instruction.argval
        if opname == "IMPORT_NAME":
            module = imported = _imported_module(instructions, index, namespace)
        elif opname == "IMPORT_FROM":
            imported = _attribute(module, name)
        elif opname == "SWAP" and imported is not None:
            module = imported  # `import a.b.c as d` descends one package at a time
        elif opname in ("STORE_FAST", "STORE_DEREF") and isinstance(name, str):
            if (
                imported is not None
                and imported is not _UNKNOWN
                and name not in assigned_otherwise
                and bound.get(name, imported) is imported
            ):
                bound[name] = imported
            else:
                assigned_otherwise.add(name)
                bound.pop(name, None)
            imported = None
        elif "STORE_FAST" in opname or "STORE_DEREF" in opname:  # combined forms
            names = name if isinstance(name, tuple) else (name,)
            assigned_otherwise.update(n for n in names if isinstance(n, str))
            for n in names:
                bound.pop(n, None)
            imported = None
        elif opname != "POP_TOP":
            module, imported = _UNKNOWN, None
    return bound


def _imported_module(
    instructions: list[dis.Instruction], index: int, namespace: dict[str, Any]
) -> Any:
    """The module the IMPORT_NAME at ``index`` leaves on the stack, if it is loaded already.

    Its two operands, the relative level and the names imported from it, are constants
    loaded just before it.
    """
    if index < 2 or not all(
        i.opname in ("LOAD_CONST", "LOAD_SMALL_INT") for i in instructions[index - 2 : index]
    ):
        return _UNKNOWN
    name, level = instructions[index].argval, instructions[index - 2].argval
    fromlist = instructions[index - 1].argval
    if not isinstance(name, str) or not isinstance(level, int):
        return _UNKNOWN
    absolute = name
    if level > 0:
        try:
            absolute = importlib.util.resolve_name("." * level + name, namespace["__package__"])
        except (ImportError, ValueError, KeyError, TypeError):
            return _UNKNOWN
    elif not fromlist:
        absolute = name.partition(".")[0]  # `import a.b` binds `a`
    return sys.modules.get(absolute, _UNKNOWN)


def _exempt_handed_over(
    instructions: list[dis.Instruction], start: int, facts: _CodeFacts, exempt: set[int]
) -> None:
    """Record the function passed as the first argument of ``workflow.side_effect``."""
    position = start
    while position < len(instructions):
        opname, argument = instructions[position].opname, instructions[position].argval
        if opname == "LOAD_CONST" and isinstance(argument, CodeType):
            exempt.add(id(argument))  # side_effect(lambda: ...)
            return
        if opname in _FUNCTION_PREAMBLE:
            position += 1
            continue
        if opname not in _LOCAL_LOADS or not isinstance(argument, str):
            return
        after = position + 1
        while after < len(instructions) and instructions[after].opname in _LOCAL_LOADS:
            after += 1
        following = instructions[after] if after < len(instructions) else None
        if following is not None and following.opname == "BUILD_TUPLE":
            position = after  # cells of an inline function's closure (loaded as locals)
        elif following is not None and after == position + 1 and following.opname == "LOAD_ATTR":
            facts.handed_to_side_effect.add(following.argval)  # side_effect(self.read)
            return
        else:
            exempt.update(id(c) for c in _local_functions(instructions, argument))
            return


def _local_functions(instructions: list[dis.Instruction], name: str) -> Iterator[CodeType]:
    """The code of the functions a nested ``def name`` (or ``name = lambda``) stores."""
    built: list[CodeType] = []
    for instruction in instructions:
        if instruction.opname == "LOAD_CONST" and isinstance(instruction.argval, CodeType):
            built.append(instruction.argval)
        elif instruction.opname.startswith("STORE_"):
            if instruction.argval == name:
                yield from built
            built = []
