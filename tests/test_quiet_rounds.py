"""ergod.quiet.rounds and ergod.core.attended: probe answers in, engine events out.

Probes here are small stand-ins with the real Protocol's attributes; the real
probes are tested against real servers in test_quiet_calls.py and
test_quiet_inhibitors.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from ergod.core.attended import RECHECK, AttendedState
from ergod.core.model import EventKind as E
from ergod.core.quiet import RECHECK as QUIET_RECHECK
from ergod.quiet import QuietProbe, ask, ask_attended
from ergod.quiet.rounds import ProbeStates


@dataclass
class Answering:
    name: str
    quiet: bool
    attended: bool
    answer: str | None = None
    asked: int = 0

    def check(self) -> str | None:
        self.asked += 1
        return self.answer

    def close(self) -> None:
        pass


def probes() -> tuple[Answering, Answering, Answering]:
    return (
        Answering("calls", quiet=True, attended=True),
        Answering("inhibitors", quiet=False, attended=True),
        Answering("dnd", quiet=True, attended=False),
    )


def test_a_call_is_attended_and_quiet_in_that_order_and_ends_the_other_way() -> None:
    call, video, dnd = probes()
    states = ProbeStates()
    every: list[QuietProbe] = [call, video, dnd]
    assert states.round(0.0, every) == []
    call.answer = "in a call: microphone in use by zoom"
    assert states.round(10.0, every) == [E.ATTEND_START, E.QUIET_START]
    assert states.reasons(10.0) == {"quiet": [call.answer], "attended": [call.answer]}
    assert states.round(15.0, every) == []  # no flip, no event
    call.answer = None
    assert states.round(20.0, every) == [E.QUIET_END, E.ATTEND_END]
    assert call.asked == 4  # once per round, though it feeds both states


def test_a_video_is_attended_only_and_dnd_quiet_only() -> None:
    call, video, dnd = probes()
    states = ProbeStates()
    every: list[QuietProbe] = [call, video, dnd]
    video.answer = "keeping the screen awake: mpv"
    assert states.round(0.0, every) == [E.ATTEND_START]
    dnd.answer = "do not disturb is on"
    assert states.round(1.0, every) == [E.QUIET_START]
    video.answer = None
    assert states.round(2.0, every) == [E.ATTEND_END]
    assert states.reasons(2.0) == {"quiet": ["do not disturb is on"], "attended": []}


def test_a_call_during_quiet_time_adds_only_attended_time() -> None:
    call, video, dnd = probes()
    states = ProbeStates()
    states.quiet.pause()
    assert states.round(0.0, None) == [E.QUIET_START]  # a pause asks no probe
    assert call.asked == 0
    call.answer = "in a call: camera in use by cheese"
    assert states.round(5.0, [call, video, dnd]) == [E.ATTEND_START]


def test_after_a_lock_a_call_that_goes_on_starts_attended_time_again() -> None:
    call, _, _ = probes()
    states = ProbeStates()
    call.answer = "in a call: microphone in use by zoom"
    assert states.round(0.0, [call]) == [E.ATTEND_START, E.QUIET_START]
    states.session_ended()  # the daemon sent `lock`: the engine ended attended time
    assert states.round(60.0, [call]) == [E.ATTEND_START]


def test_rechecks_come_sooner_while_attended() -> None:
    states = ProbeStates()
    assert states.next_check(0.0) is None
    call, _, _ = probes()
    call.answer = "in a call: microphone in use by zoom"
    states.round(0.0, [call])
    assert states.next_check(100.0) == 100.0 + min(RECHECK, QUIET_RECHECK)


def test_ask_splits_answers_by_what_they_mean() -> None:
    call, video, dnd = probes()
    assert ask([call, video, dnd]) == {"calls": None, "dnd": None}
    assert ask_attended([call, video, dnd]) == {"calls": None, "inhibitors": None}


def test_attended_state_flips_once() -> None:
    state = AttendedState()
    assert state.update({"calls": None}) is None
    started = state.update({"calls": "x"})
    assert started is not None and started.event is E.ATTEND_START and started.reasons == ("x",)
    assert state.update({"calls": "y"}) is None
    ended = state.update({"calls": None})
    assert ended is not None and ended.event is E.ATTEND_END
