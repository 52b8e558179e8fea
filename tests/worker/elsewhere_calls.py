"""Calls that workflow code makes through another module: the definition-time check does
not follow them there, so the guards around running workflow code refuse them."""

from __future__ import annotations

import random
import socket
import time
import uuid


def draw() -> float:
    return random.random()


def new_id() -> str:
    return str(uuid.uuid4())


def wall_clock() -> float:
    return time.time()


def read_file(path: str) -> str:
    with open(path) as f:
        return f.read()


def connect() -> None:
    socket.create_connection(("127.0.0.1", 9), timeout=0.1)
