"""The SDK's loggers: structlog-style bound loggers that log through the standard library.

swfasync never configures logging. Each of its loggers sends an event where the
application's own configuration says:

- if the application configured structlog (``structlog.configure``), through structlog's
  pipeline, with the event's bound context as key/value pairs, exactly as its own
  ``structlog.get_logger(name)`` loggers would;
- otherwise through the standard ``logging`` module, to the logger named after the SDK's
  module (``swfasync.worker``, ``swfasync.client`` ...): the message is the event name
  followed by its context as ``key=value`` pairs, and the record carries the event as a
  dict in its ``swfasync`` attribute for structured handlers. An application that
  configures nothing sees what Python shows by default, warnings and errors only; one that
  configures logging (``logging.basicConfig(level=logging.DEBUG)``, or levels per
  logger) sees what it asked for.

Example::

    log = get_logger("swfasync.worker").bind(domain="orders", task_list="orders")
    log.info("worker_started", identity="host:42")
    # stdlib:    "worker_started domain=orders task_list=orders identity=host:42"
    # structlog: {"event": "worker_started", "domain": "orders", ...}
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
_QUOTED = frozenset(" =\"'\n\t")
# The standard library's loggers by name (it keeps every logger it made for good, so these
# stay the ones its configuration applies to); logging.getLogger takes a lock each call.
_stdlib_loggers: dict[str, logging.Logger] = {}


def _stdlib(name: str) -> logging.Logger:
    logger = _stdlib_loggers.get(name)
    if logger is None:
        logger = _stdlib_loggers[name] = logging.getLogger(name)
    return logger


def get_logger(name: str) -> Logger:
    """The SDK's logger ``name`` (a dotted name under ``swfasync``), with no context."""
    return Logger(name, {})


def _shown(value: object) -> str:
    if isinstance(value, str):
        return repr(value) if not value or any(c in _QUOTED for c in value) else value
    return repr(value)


class Logger:
    """A bound logger: ``bind()`` adds context, ``info(event, **fields)`` logs.

    Cheap when nothing is logged: binding copies a small dict, and an event below the
    standard logger's level costs one level check.
    """

    __slots__ = ("_context", "_name", "_structlog")

    def __init__(self, name: str, context: dict[str, Any]) -> None:
        self._name = name
        self._context = context
        # (the structlog configuration it was made under, structlog's bound logger)
        self._structlog: tuple[tuple[Any, ...], Any] | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def context(self) -> dict[str, Any]:
        """The bound key/value pairs (a copy)."""
        return dict(self._context)

    def bind(self, **fields: Any) -> Logger:
        """A logger with ``fields`` added to this one's context."""
        return Logger(self._name, {**self._context, **fields})

    def unbind(self, *keys: str) -> Logger:
        """A logger without ``keys`` in its context."""
        return Logger(self._name, {k: v for k, v in self._context.items() if k not in keys})

    def is_enabled_for(self, level: int) -> bool:
        """Whether an event at ``level`` may be logged: the standard logger's level, or
        structlog's level filter where the configured wrapper has one (otherwise True:
        its processors decide per event)."""
        if structlog.is_configured():
            return _structlog_enabled(self._name, _structlog_key(), level)
        return _stdlib(self._name).isEnabledFor(level)

    def debug(self, event: str, **fields: Any) -> None:
        self._log("debug", event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._log("info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._log("warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._log("error", event, fields)

    def critical(self, event: str, **fields: Any) -> None:
        self._log("critical", event, fields)

    def exception(self, event: str, **fields: Any) -> None:
        """An error with the exception being handled."""
        fields.setdefault("exc_info", True)
        self._log("error", event, fields)

    def _structlog_logger(self, key: tuple[Any, ...]) -> Any:
        """structlog's bound logger for this context under the configuration ``key``.

        Made again whenever the configuration changed since, so an application (or a
        test's ``capture_logs``) that configures structlog later, or again, is obeyed at
        once, as structlog's own lazy loggers obey it.
        """
        cached = self._structlog
        if cached is not None and cached[0] == key:
            return cached[1]
        bound = structlog.get_logger(self._name).bind(**self._context)
        self._structlog = (key, bound)
        return bound

    def _log(self, method: str, event: str, fields: dict[str, Any]) -> None:
        level = _LEVELS[method]
        if structlog.is_configured():
            key = _structlog_key()
            # A level filtered out costs no bound logger (one is made per task).
            if _structlog_enabled(self._name, key, level):
                getattr(self._structlog_logger(key), method)(event, **fields)
            return
        stdlib = _stdlib(self._name)
        if not stdlib.isEnabledFor(level):
            return
        everything = {**self._context, **fields}
        exc_info = everything.pop("exc_info", None)
        stack_info = bool(everything.pop("stack_info", False))
        message = " ".join([event, *(f"{k}={_shown(v)}" for k, v in everything.items())])
        stdlib.log(
            level,
            message,
            exc_info=exc_info,
            stack_info=stack_info,
            extra={"swfasync": {"event": event, **everything}},
            stacklevel=3,  # the SDK's line that logged, not this module
        )


# Per logger name: (configuration key, structlog's logger with no context), for its level.
_structlog_roots: dict[str, tuple[tuple[Any, ...], Any]] = {}


def _structlog_key() -> tuple[Any, ...]:
    """What identifies structlog's configuration now (its processors list is changed in
    place by capture_logs, and replaced by configure and reset_defaults)."""
    config = structlog.get_config()
    return (
        id(config["processors"]),
        config["wrapper_class"],
        config["logger_factory"],
        config["context_class"],
    )


def _structlog_enabled(name: str, key: tuple[Any, ...], level: int) -> bool:
    root = _structlog_roots.get(name)
    if root is None or root[0] != key:
        root = _structlog_roots[name] = (key, structlog.get_logger(name).bind())
    check = getattr(root[1], "is_enabled_for", None)
    return bool(check(level)) if callable(check) else True
