"""Prompt wording, the console notifier, and the fallback chain's rules."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import pytest
from import_support import loaded_after

from ergod.errors import EXIT_USAGE, ErgodError
from ergod.notify import FallbackNotifier, select_notifier
from ergod.notify.base import Delivery, Message
from ergod.notify.console import ConsoleNotifier, format_line
from ergod.notify.prompt import prompt_message, sitting_text


def test_movement_prompt_says_how_long_the_user_has_sat() -> None:
    message = prompt_message("movement", "Walk (3 min)", "1. Stand up.", 2040.0, 5, 30.0, True)

    assert message.title == "Time to stand up and move"
    assert message.body.splitlines() == ["Sitting for 34 min", "Walk (3 min)", "1. Stand up."]
    assert message.timeout == 30.0
    assert [(a.key, a.label) for a in message.actions] == [
        ("snooze", "Snooze 5 min"),
        ("skip", "Skip"),
        ("hurts", "This hurts"),
    ]


def test_stretch_prompt_has_no_sitting_line_and_no_buttons_when_unsupported() -> None:
    message = prompt_message("stretch", "Neck tilt (20 s)", "1. Tilt.", 2070.0, 5, 30.0, False)

    assert message.title == "Stretch break"
    assert message.body == "Neck tilt (20 s)\n1. Tilt."
    assert message.actions == ()


def test_no_snooze_button_when_snoozing_is_off() -> None:
    message = prompt_message("stretch", "Neck tilt", "", None, 0, 30.0, True)
    assert [a.key for a in message.actions] == ["skip", "hurts"]


def test_no_this_hurts_button_without_an_exercise() -> None:
    message = prompt_message("stretch", "", "", None, 5, 30.0, True)
    assert [a.key for a in message.actions] == ["snooze", "skip"]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1799.6, "Sitting for 30 min"),
        (2099, "Sitting for 35 min"),
        (3600, "Sitting for 1 h"),
        (3900, "Sitting for 1 h 5 min"),
    ],
)
def test_sitting_text(seconds: float, text: str) -> None:
    assert sitting_text(seconds) == text


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown break kind"):
        prompt_message("nap", "x", "y", None, 5, 30.0, True)


def test_console_writes_one_line_without_bell_when_not_a_terminal() -> None:
    stream = io.StringIO()
    message = Message("Stretch break", "Neck tilt (20 s)\n\n1. Tilt your head.", 30.0)

    delivery = ConsoleNotifier(stream).show(message)

    assert delivery == Delivery(True, "console", "stderr")
    assert stream.getvalue() == "ergod: Stretch break: Neck tilt (20 s) / 1. Tilt your head.\n"


def test_console_rings_the_bell_on_a_terminal() -> None:
    controller, terminal = os.openpty()
    try:
        with os.fdopen(terminal, "w", closefd=False) as stream:
            ConsoleNotifier(stream).show(Message("Stretch break", "Neck tilt", 30.0))
        written = os.read(controller, 1024)
    finally:
        os.close(controller)
        os.close(terminal)
    assert b"ergod: Stretch break: Neck tilt\a" in written


def test_console_on_a_closed_stream_is_a_failed_delivery() -> None:
    stream = io.StringIO()
    stream.close()
    delivery = ConsoleNotifier(stream).show(Message("Stretch break", "x", 30.0))
    assert not delivery.ok
    assert delivery.backend == "console"


def test_chain_passes_a_failed_delivery_on_and_logs_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = io.StringIO()
    broken.close()
    working = io.StringIO()
    first, second = ConsoleNotifier(broken), ConsoleNotifier(working)
    chain = FallbackNotifier([first, second], logging.getLogger("test"))

    with caplog.at_level(logging.WARNING, logger="test"):
        delivery = chain.show(Message("Stretch break", "Neck tilt", 30.0))

    assert delivery.ok
    assert "console failed" in delivery.detail
    assert working.getvalue().startswith("ergod: Stretch break")
    assert len([r for r in caplog.records if "could not show" in r.getMessage()]) == 1


def test_chain_reports_failure_when_nothing_delivers() -> None:
    broken = io.StringIO()
    broken.close()
    chain = FallbackNotifier([ConsoleNotifier(broken)], logging.getLogger("test"))
    assert not chain.show(Message("Stretch break", "x", 30.0)).ok


def test_forced_console_and_unknown_backend(tmp_path: Path) -> None:
    choice = select_notifier("console", {}, logging.getLogger("test"))
    assert choice.chain == ("console",)
    assert choice.message.startswith("notifications (console): console")
    with pytest.raises(ErgodError) as caught:
        select_notifier("growl", {}, logging.getLogger("test"))
    assert caught.value.exit_code == EXIT_USAGE


def test_auto_on_windows_skips_freedesktop_with_a_reason() -> None:
    # plyer's Windows module needs Windows; here it cannot load, which is the point.
    choice = select_notifier("auto", {}, logging.getLogger("test"), sys_platform="win32")
    reasons = dict(choice.rejected)
    assert "Linux" in reasons["freedesktop"]
    assert choice.chain[-1] == "console"


def test_importing_the_package_loads_no_backend_library() -> None:
    code = "import ergod.notify, ergod.notify.prompt, ergod.notify.console"
    assert loaded_after(code, ["jeepney", "plyer", "ergod.dbus"]) == []


def test_format_line_without_body() -> None:
    assert format_line(Message("Stretch break", "", 30.0)) == "ergod: Stretch break"


def test_the_weekly_notice_ends_with_more_and_the_safety_pointer() -> None:
    from ergod.exercises.safety import POINTER
    from ergod.notify.prompt import weekly_message

    message = weekly_message("Your week", "Moved for 18 of 20 movement breaks.", 30.0)
    assert message.body.split("\n") == [
        "Moved for 18 of 20 movement breaks.",
        "More: ergod summary",
        POINTER,
    ]
    long = weekly_message("T" * 100, "x" * 400, 30.0)
    assert len(long.body) <= 250 and len(long.title) <= 64
    assert long.body.endswith(f"…\nMore: ergod summary\n{POINTER}")


def test_the_first_prompt_carries_the_safety_pointer_and_this_hurts() -> None:
    from ergod.exercises.library import load_library
    from ergod.exercises.safety import POINTER, SAFETY
    from ergod.notify.prompt import prompt_for

    card = load_library().get("scap_squeeze")
    first = prompt_for("stretch", card, None, 5, 30.0, True, first=True)
    assert first.body.split("\n")[-2:] == [SAFETY, POINTER]
    later = prompt_for("stretch", card, None, 5, 30.0, True)
    assert POINTER not in later.body
    assert [a.label for a in later.actions] == ["Snooze 5 min", "Skip", "This hurts"]
    assert prompt_for("stretch", None, None, 5, 30.0, True).actions[-1].key == "skip"


def test_after_this_hurts_the_notice_names_it_and_both_tiers() -> None:
    from ergod.config.exercise_off import SwitchOff
    from ergod.notify.prompt import hurt_message

    names = ("Heel raises and march", "Wall push-up", "Posture reset", "Wall slide")
    message = hurt_message(*SwitchOff("march_heels+wall_pushup", names, ("march_heels",)).notice())
    assert message.body.startswith("those 4 exercises: no longer offered.")
    one = hurt_message(*SwitchOff("wall_slide", ("Wall slide",), ("wall_slide",)).notice())
    assert one.body.startswith("Wall slide: no longer offered.\nUrgent care now")
    assert "Urgent care now: chest pain" in message.body
    assert "see a clinician" in message.body and "ergod exercises --safety" in message.body
    assert len(message.body) <= 250 and message.timeout == 0.0 and message.actions == ()
    problem = SwitchOff(None, (), (), problem="policy locks it").notice()
    assert problem[1].startswith("that exercise: ")
