"""What one idle query over D-Bus costs: GnomeIdleSource.idle_seconds() against a bare call.

Run: `python benchmarks/dbus_idle_query.py [--calls 2000]` (needs dbus-daemon).
It starts a private bus and the test suite's Mutter IdleMonitor service
(tests/dbus_services.py), then times, in the same run:

* `bare`: jeepney's blocking Proxy calling GetIdletime on its own connection,
  no thread (the baseline: the least any D-Bus idle query can cost here),
* `gnome`: ergod's GnomeIdleSource.idle_seconds(), whose reply comes through
  the BusLink receiver thread.

It prints the mean and 99th percentile per call and the ratio to `bare`. The
ActivitySource contract asks for "well under 50 ms"; the thread hand-off should
stay within a small factor of the bare round trip.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

_CONFIG = """<busconfig><type>session</type><listen>unix:dir={dir}</listen>
<auth>EXTERNAL</auth><policy context="default"><allow send_destination="*"/>
<allow receive_sender="*"/><allow own="*"/></policy></busconfig>"""


def timed(call: Callable[[], object], calls: int) -> list[float]:
    for _ in range(50):  # warm up caches and the connection
        call()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()

    from dbus_services import FakeMutter
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    from ergod.activity.gnome import BUS_NAME, INTERFACE, OBJECT_PATH, GnomeIdleSource
    from ergod.daemon.clock import now

    with tempfile.TemporaryDirectory(prefix="ergod-bench-") as tmp:
        config = Path(tmp) / "bus.conf"
        config.write_text(_CONFIG.format(dir=tmp))
        bus = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert bus.stdout is not None
            address = bus.stdout.readline().strip()
            service = FakeMutter(address)
            bare = open_dbus_connection(address)
            source = GnomeIdleSource(now, address)
            source.start()
            target = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=INTERFACE)
            results = {
                "bare": timed(
                    lambda: bare.send_and_get_reply(
                        new_method_call(target, "GetIdletime"), timeout=1.0
                    ),
                    args.calls,
                ),
                "gnome": timed(source.idle_seconds, args.calls),
            }
            source.stop()
            bare.close()
            service.close()
        finally:
            bus.terminate()
            bus.wait(timeout=5)

    base = statistics.mean(results["bare"])
    print(f"{'variant':8} {'mean ms':>8} {'p99 ms':>8} {'ratio':>6}   ({args.calls} calls)")
    for name, samples in results.items():
        mean = statistics.mean(samples)
        p99 = statistics.quantiles(samples, n=100)[98]
        print(f"{name:8} {mean * 1e3:8.3f} {p99 * 1e3:8.3f} {mean / base:6.2f}")


if __name__ == "__main__":
    main()
