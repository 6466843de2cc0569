"""Config paths that are not plain files never hang ergod (config check, reload)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from ergod.config.document import read_document
from ergod.config.errors import Problem


def test_a_fifo_with_no_writer_is_refused_after_a_short_wait(tmp_path: Path) -> None:
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    found = read_document(fifo)
    assert isinstance(found, Problem)
    assert "nothing arrived" in found.message


def test_a_pipe_that_delivers_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)

    def writer() -> None:
        with open(fifo, "w") as f:
            f.write('[sitting]\nbreak_after = "4m"\n')

    thread = threading.Thread(target=writer)
    thread.start()
    found = read_document(fifo)
    thread.join(timeout=5)
    assert not isinstance(found, Problem), found
    assert found.data == {"sitting": {"break_after": "4m"}}


def test_an_endless_device_is_refused_not_read_forever() -> None:
    found = read_document(Path("/dev/zero"))
    assert isinstance(found, Problem)
    assert "more than" in found.message


def test_config_check_on_a_process_substitution(tmp_path: Path) -> None:
    env = dict(os.environ, ERGOD_SYSTEM_DIR=str(tmp_path / "etc"), XDG_CONFIG_HOME=str(tmp_path))
    ergod = Path(sys.executable).with_name("ergod")
    done = subprocess.run(
        ["bash", "-c", f"{ergod} config check <(printf '[sitting]\\nbreak_after = \"4m\"\\n')"],
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode == 0, done.stdout + done.stderr
