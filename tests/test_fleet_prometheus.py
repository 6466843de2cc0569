"""The fleet path through real Prometheus (issue 16): contrib/prometheus/ as IT would use it.

* `promtool check rules` and `promtool test rules` on the shipped rules and
  their unit tests (contrib/prometheus/ergod.test.yml).
* Three machines: three private stores, each filled with a different recorded
  week (`ergod simulate --record`, a generated work week of its own seed and
  start), each written by `ergod metrics write` into a textfile directory of
  its own; three real `prometheus-node-exporter` processes serve them on
  loopback ports; a real `prometheus` scrapes them every second with the
  example configuration IT merges (contrib/prometheus/prometheus.yml: its
  targets replaced) and the shipped rule files. The fleet's movement adherence read over Prometheus'
  HTTP API equals the figure computed from the three weeks' `ergod summary
  --format json`, every shipped rule evaluates without error, no fleet series
  has an `instance` label, and the ergod series carry exactly the fixed labels.
* The Grafana dashboard reads the recorded series and nothing else.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import require_tool, stop_process
from test_metrics import LABELS
from test_service_support import REPO, ergod, private_env

from ergod.replay.trace import format_trace
from ergod.replay.workday import days

pytestmark = pytest.mark.e2e

RULES = REPO / "contrib" / "prometheus"
RULE_FILES = (RULES / "ergod-rules.yml", RULES / "ergod-alerts.yml")
DASHBOARD = RULES / "ergod-dashboard.json"
# Three machines: a seed for the generated work week and the Monday it starts.
MACHINES = (
    (11, "2026-10-05", "2026-W41"),
    (12, "2026-10-12", "2026-W42"),
    (13, "2026-10-19", "2026-W43"),
)
WAIT = 60.0


def recorded_names() -> set[str]:
    """Every `record:` name in the shipped recording rules."""
    text = (RULES / "ergod-rules.yml").read_text()
    return set(re.findall(r"^\s*- record: (\S+)$", text, re.MULTILINE))


def test_promtool_checks_the_rule_files() -> None:
    promtool = require_tool("promtool")
    done = subprocess.run(
        [promtool, "check", "rules", *map(str, RULE_FILES)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_promtool_unit_tests_of_the_rules_pass() -> None:
    promtool = require_tool("promtool")
    done = subprocess.run(
        [promtool, "test", "rules", str(RULES / "ergod.test.yml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_has_a_firing_unit_test_without_instance_labels() -> None:
    """An alert about a person would need an `instance` label: the unit tests list
    each alert's labels exactly, so none may be about one machine."""
    alerts = set(re.findall(r"^\s*- alert: (\S+)$", (RULES / "ergod-alerts.yml").read_text(), re.M))
    tests = (RULES / "ergod.test.yml").read_text()
    assert alerts
    for alert in alerts:
        firing = re.search(
            rf"alertname: {alert}\n\s+eval_time: \S+\n\s+exp_alerts:\n\s+- exp_labels: (\{{.*\}})",
            tests,
        )
        assert firing, f"{alert} has no unit test where it fires"
        assert "instance" not in firing[1] and "job" not in firing[1]


def test_the_dashboard_reads_only_the_recorded_fleet_series() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    names = recorded_names()
    for expr in exprs:
        match = re.fullmatch(r"([a-z0-9_:]+)(\{[^{}]*\})?", expr)
        assert match and match[1] in names, f"{expr!r} is not a recorded fleet series"
        assert "instance" not in expr
    assert {re.match(r"[a-z0-9_:]+", e)[0] for e in exprs} == names  # type: ignore[index]
    assert not dashboard["templating"]["list"]  # no variable to pick one machine


# ---- three machines through node_exporter into Prometheus ----------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as answer:
        data: bytes = answer.read()
        return data


def poll(what: str, check: Callable[[], Any], procs: list[subprocess.Popen[str]]) -> Any:
    """`check()`'s first truthy answer within WAIT seconds; its errors count as not yet."""
    deadline = time.monotonic() + WAIT
    last: object = None
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"{proc.args[0]} exited: {proc.communicate()[1][-2000:]}")
        try:
            found = check()
        except (OSError, ValueError, KeyError, IndexError) as exc:
            found, last = None, exc
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what} (last error: {last})")


def record_week(root: Path, seed: int, monday: str, week: str) -> dict[str, Any]:
    """One machine: a recorded work week in its store, its textfile written.

    Returns the week's summary (`ergod summary --format json`)."""
    env = {**private_env(root), "TZ": "UTC"}
    trace = root / "week.trace"
    trace.write_text(format_trace(days(5, seed, rate=0.5)))
    recorded = ergod(
        env,
        "simulate",
        "--trace",
        str(trace),
        "--start",
        f"{monday}T00:00",
        "--record",
        timeout=120,
    )
    assert recorded.returncode == 0, recorded.stderr
    shown = ergod(env, "summary", "--week", week, "--format", "json", timeout=60)
    assert shown.returncode == 0, shown.stderr
    (root / "textfile").mkdir()
    written = ergod(env, "metrics", "write", "--output", str(root / "textfile" / "ergod.prom"))
    assert written.returncode == 0, written.stderr
    summary: dict[str, Any] = json.loads(shown.stdout)
    return summary


def loopback_config(targets: list[str]) -> str:
    """contrib/prometheus/prometheus.yml, the example the guide has IT merge, with
    this test's targets, the repository's rule files and one-second intervals."""
    text = (RULES / "prometheus.yml").read_text()
    for old, new in (
        ("/etc/prometheus/", f"{RULES}/"),
        ("scrape_interval: 1m", "scrape_interval: 1s"),
        ("evaluation_interval: 1m", "evaluation_interval: 1s"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    examples = re.findall(r"^ +- ws\d+\.example\.org:9100\n", text, re.MULTILINE)
    assert examples, "the example's targets"
    indent = examples[0][: examples[0].index("-")]
    text = text.replace("".join(examples), "".join(f"{indent}- {t}\n" for t in targets))
    return text


class Fleet:
    """The running node exporters and Prometheus, and the weeks behind them."""

    def __init__(
        self, api: str, summaries: list[dict[str, Any]], procs: list[subprocess.Popen[str]]
    ):
        self.api = api
        self.summaries = summaries
        self.procs = procs

    def query(self, promql: str) -> list[dict[str, Any]]:
        url = f"{self.api}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        answer = json.loads(get(url))
        assert answer["status"] == "success", answer
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def wait(self, what: str, check: Callable[[], Any]) -> Any:
        return poll(what, check, self.procs)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    exporter = require_tool("prometheus-node-exporter")
    prometheus = require_tool("prometheus")
    base = tmp_path_factory.mktemp("fleet")
    summaries = []
    for index, (seed, monday, week) in enumerate(MACHINES):
        root = base / f"machine{index}"
        root.mkdir()
        summaries.append(record_week(root, seed, monday, week))
    procs: list[subprocess.Popen[str]] = []
    try:
        targets = []
        for index in range(len(MACHINES)):
            port = free_port()
            procs.append(
                subprocess.Popen(
                    [
                        exporter,
                        "--collector.disable-defaults",
                        "--collector.textfile",
                        f"--collector.textfile.directory={base / f'machine{index}' / 'textfile'}",
                        f"--web.listen-address=127.0.0.1:{port}",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
            targets.append(f"127.0.0.1:{port}")
            poll(
                "node_exporter",
                lambda p=port: b"ergod_up" in get(f"http://127.0.0.1:{p}/metrics"),
                procs,
            )
        config = base / "prometheus.yml"
        config.write_text(loopback_config(targets))
        port = free_port()
        procs.append(
            subprocess.Popen(
                [
                    prometheus,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={base / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        api = f"http://127.0.0.1:{port}"
        poll("prometheus ready", lambda: get(f"{api}/-/ready"), procs)
        yield Fleet(api, summaries, procs)
    finally:
        for proc in reversed(procs):
            stop_process(proc)


def test_fleet_movement_adherence_equals_the_three_weeks(fleet: Fleet) -> None:
    movement = [s["breaks"]["movement"] for s in fleet.summaries]
    expected = sum(m["taken"] for m in movement) / sum(m["shown"] for m in movement)
    # The three weeks differ, so a figure from one machine could not pass.
    assert len({m["adherence"] for m in movement}) == 3

    fleet.wait(
        "all three machines in the fleet figures",
        lambda: fleet.query("fleet:ergod_machines:count")[0]["value"][1] == "3",
    )
    (sample,) = fleet.wait(
        "the fleet's movement adherence",
        lambda: fleet.query('fleet_kind:ergod_adherence:ratio{kind="movement"}'),
    )
    assert float(sample["value"][1]) == expected
    assert set(sample["metric"]) == {"__name__", "kind"}


def test_every_shipped_rule_evaluates_without_error(fleet: Fleet) -> None:
    def groups() -> list[dict[str, Any]]:
        data = json.loads(get(f"{fleet.api}/api/v1/rules"))["data"]["groups"]
        assert all(g["lastEvaluation"] > "2000" for g in data)  # evaluated at least once
        return data  # type: ignore[no-any-return]

    loaded = fleet.wait("the rule groups evaluated", groups)
    rules = [rule for group in loaded for rule in group["rules"]]
    assert {r["name"] for r in rules if r["type"] == "recording"} == recorded_names()
    assert {r["name"] for r in rules if r["type"] == "alerting"} >= {"ErgodFleetScheduleOnly"}
    assert [r["name"] for r in rules if r["health"] != "ok"] == []
    # Nothing is wrong with this fleet: no alert fires or is pending.
    assert [r["name"] for r in rules if r["type"] == "alerting" and r["state"] != "inactive"] == []


def test_no_fleet_series_names_a_machine(fleet: Fleet) -> None:
    fleet.wait("the fleet series", lambda: fleet.query('{__name__=~"fleet.*:.*"}'))
    for series in fleet.query('{__name__=~"fleet.*:.*"}'):
        assert set(series["metric"]) <= {"__name__", "kind", "version"}, series["metric"]


def test_the_ergod_series_carry_exactly_the_fixed_labels(fleet: Fleet) -> None:
    """What Prometheus stores per machine: ergod's labels plus the scrape's own."""
    found: dict[str, set[str]] = {}
    for series in fleet.query('{__name__=~"ergod_.*"}'):
        labels = dict(series["metric"])
        name = labels.pop("__name__")
        assert labels.pop("job") == "workstations"  # the example config's job
        assert re.fullmatch(r"127\.0\.0\.1:\d+", labels.pop("instance"))
        found.setdefault(name, set()).update(labels)
    # ergod_adherence_ratio is absent here: the weeks lie outside the last 7 days.
    assert found == {
        name: labels for name, labels in LABELS.items() if name != "ergod_adherence_ratio"
    }
