"""A crowd at the control socket: idle connections and concurrent requests."""

from __future__ import annotations

import socket
import threading
from typing import Any

from ergod.daemon.control import control_socket_path, send_request
from ergod.environment import Environment
from ergod.errors import ErgodError


def crowd(
    env: Environment, calls: int = 60, idle: int = 17, timeout: float = 20.0
) -> tuple[list[dict[str, Any]], list[str]]:
    """`calls` concurrent `status` requests while `idle` connections send nothing:
    (answers, failure messages)."""
    answers: list[dict[str, Any]] = []
    failures: list[str] = []
    lock = threading.Lock()

    def call() -> None:
        try:
            answer = send_request(env, {"command": "status"}, timeout=timeout)
        except ErgodError as exc:
            with lock:
                failures.append(exc.message)
            return
        with lock:
            answers.append(answer)

    sockets = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(idle)]
    try:
        for sock in sockets:
            sock.connect(str(control_socket_path(env)))
        threads = [threading.Thread(target=call) for _ in range(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(3 * timeout)
    finally:
        for sock in sockets:
            sock.close()
    return answers, failures
