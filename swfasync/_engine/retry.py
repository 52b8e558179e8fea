"""Retry policies, run inside the workflow: each backoff is a durable SWF timer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from ..exceptions import ActivityError, ActivityFailedError, ActivityTimeoutError
from .definitions import Duration, seconds
from .failures import failure_of


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a failed or timed-out activity.

    Attempt ``n`` (from 1) that fails is followed, if retryable, by a durable timer of
    ``initial_interval * backoff_coefficient ** (n - 1)`` capped at ``maximum_interval``,
    then attempt ``n + 1`` under a new activity id (``<id>.<n+1>``).

    Args:
        initial_interval: the first backoff.
        backoff_coefficient: growth of the backoff per attempt (>= 1).
        maximum_interval: cap on the backoff (default: 100 x ``initial_interval``).
        maximum_attempts: total attempts including the first; 0 means no limit.
        non_retryable_error_types: error type names (``ApplicationError.type`` or the
            exception class name raised by the activity) that are never retried.
        retry_timeouts: whether timeouts (any SWF timeout type) are retried.
    """

    initial_interval: Duration = timedelta(seconds=1)
    backoff_coefficient: float = 2.0
    maximum_interval: Duration | None = None
    maximum_attempts: int = 0
    non_retryable_error_types: Sequence[str] = ()
    retry_timeouts: bool = True

    def __post_init__(self) -> None:
        if self.backoff_coefficient < 1:
            raise ValueError("backoff_coefficient must be >= 1")
        if self.maximum_attempts < 0:
            raise ValueError("maximum_attempts must be >= 0 (0: no limit)")
        if seconds(self.initial_interval) <= 0:
            raise ValueError("initial_interval must be positive")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        initial = seconds(self.initial_interval)
        cap = seconds(self.maximum_interval) if self.maximum_interval is not None else initial * 100
        return float(min(initial * self.backoff_coefficient ** (attempt - 1), cap))

    def should_retry(self, attempt: int, error: ActivityError) -> bool:
        """Whether failed attempt ``attempt`` is followed by another."""
        if self.maximum_attempts and attempt >= self.maximum_attempts:
            return False
        if isinstance(error, ActivityTimeoutError):
            return self.retry_timeouts
        if isinstance(error, ActivityFailedError):
            info = failure_of(error)
            return not info.non_retryable and info.type not in self.non_retryable_error_types
        return False
