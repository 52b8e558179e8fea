"""``python -m swfasync.messaging._moto_process HOST``: moto's server in a child process.

Prints the port it bound (it asks the system for a free one) as its first line, then
serves until its standard input closes, so it never outlives the process that started it,
even one killed with SIGKILL.
"""

from __future__ import annotations

import logging
import sys


def main(argv: list[str]) -> int:
    from moto.server import ThreadedMotoServer

    # One line per request on stderr would drown the parent's own output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    host = argv[0] if argv else "127.0.0.1"
    server = ThreadedMotoServer(ip_address=host, port=0, verbose=False)
    server.start()
    sys.stdout.write(f"{server.get_host_and_port()[1]}\n")
    sys.stdout.flush()
    try:
        sys.stdin.read()  # returns at EOF: the parent closed the pipe or died
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
