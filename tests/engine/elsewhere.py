"""Code in another module that workflow code calls: the definition-time check does not
follow it there, so only the guards around running workflow code can refuse it."""

from __future__ import annotations

import random


def draw() -> float:
    return random.random()  # refused here at run time, inside an activation
