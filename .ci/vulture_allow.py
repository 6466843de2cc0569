# Names vulture reports in ergod/ that are used where it cannot see.
# scripts/test runs `vulture ergod .ci/vulture_allow.py`: the tests are not
# scanned, so code only a test calls counts as dead unless it is listed here
# as a deliberate seam. vulture matches names, not objects; each line says why.
# Add a name only with a reason; delete the code instead where you can.
# ruff and mypy do not read this file.

# Read by name or value, not as attributes.
_.__getattr__  # ergod/config/__init__.py: the module's lazy attribute hook (PEP 562)
_.UNINSTALL  # ergod/fleet/service.py Action: looked up by value from the command line
_.PRESENCE  # ergod/config/schema.py Inhibitors: chosen by value in the config
_.IGNORE  # ditto
_.ignored  # ergod/summary/model.py KindStats: written out whole (dataclasses.asdict)
_.merged  # ditto
_.suppressed  # ditto
_.since_seconds  # ergod/daemon/api.py StatusView and its parts: `status --json`, written
_.in_seconds  # out whole (dataclasses.asdict); the keys are docs/control.md's table
_.limit_seconds  # ditto
_.active_seconds  # ditto
_.uptime_seconds  # ditto
_.rss_bytes  # ditto
_.cpu_seconds  # ditto
_.config_files  # ditto
_.weekly_summary_at  # ditto

# Set for a library that reads it.
_.cbSize  # ergod/activity/windows.py: LASTINPUTINFO field, read by GetLastInputInfo
_._running  # ergod/activity/listener.py: pynput's listener flag, read by its handler
_.flags  # ergod/quiet/dnd.py: the jeepney header's flags, read when the message is sent

# Seams the tests use on purpose.
_.watch_threads  # activity/listener.py QuerySource: tests check the watch's threads end
_.held  # daemon/instance.py InstanceLock: tests check a released lock
_.unique_name  # dbus.py BusLink: tests match Mutter's watches to the link
_.PACKAGED_EXECUTABLE  # fleet/service.py: the path in the shipped unit, checked by a test
_.format_trace  # replay/trace.py: writes traces for tests and benchmarks (parse_trace's inverse)
_.daemon_events_between  # store/reader.py: tests read the daemon's own records back
_.prune_older_than  # store/writer.py: retention on demand; the daemon relies on the
#                     writer's own daily prune, tests prune at a given moment
_.ALLOWED  # core/phases.py: the transition table the property test and the docs diagram check
_.mermaid  # core/phases.py: the diagram docs/architecture.md is compared with

# Building blocks the daemon split (daemon branch, issues 10 and 11) wires in;
# drop each line when its caller lands.
_.waiting_since  # core/phases.py KindView: for the typed status view (read by no one yet)
_.prompt_message  # notify/prompt.py: the card-as-text entry point; the daemon uses prompt_for,
#                   tests hold both to the same limits (tests/test_exercises.py)
