"""The effect sink: what the daemon does with the engine's effects.

`EffectSink.apply(effects)` turns each effect into its outcome in the world:

* `ShowPrompt`: the prompt's words (`ergod.notify.prompt`, the exercise card)
  go to the notifier chain; a failed delivery still counts as shown (the chain
  logged why); a prompt that a later effect of the same batch ends or replaces
  is not shown at all;
* `BreakResolved`: the record goes to the adherence log, today's outcome
  counts (for `ergod status`) go up, and the prompt on screen is withdrawn;
* `BoutEnded`: the bout goes to the adherence log.

It also shows the daemon's own notices (the weekly summary, the daily limit)
and keeps the opt-in metrics textfile. Every effect is handled even when the
notifier or the store fails: neither may cost a record or the next effect.

Threading contract: engine thread only, except `MetricsFile.refresh`, which
the scheduler's thread calls (it only reads the store).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from ergod.core import BoutEnded, BreakRecord, BreakResolved, Effect, ShowPrompt
from ergod.daemon.recorder import Recorder
from ergod.notify import NotifierChoice
from ergod.notify.base import Message

if TYPE_CHECKING:
    from ergod.config.schema import Config
    from ergod.core.rules import Rules
    from ergod.environment import Environment
    from ergod.exercises.library import Library
    from ergod.fleet.metrics import TextfileRefresher


@dataclass(frozen=True)
class Wording:
    """What a prompt needs besides the effect: config and exercise library."""

    rules: Rules
    library: Library
    timeout: float
    actions: bool
    sound: str = ""  # `[notify] sound`, for the notifier as is


def _stale(prompt: ShowPrompt, later: list[Effect]) -> bool:
    """A prompt that a later effect of the same batch already ended or replaced.

    After a stall (a suspend, a notifier that took its full timeout) the engine
    catches up on several moments at once; showing each of their prompts in turn
    would only flash them, and on a slow notifier make the next catch-up longer.
    The engine still counts them as shown, as it would on a hidden screen.
    """
    for effect in later:
        if isinstance(effect, ShowPrompt) and effect.kind is prompt.kind:
            return True
        if isinstance(effect, BreakResolved) and effect.record.kind is prompt.kind:
            return True
    return False


class MetricsFile:
    """The opt-in Prometheus textfile; its module loads only once it is on."""

    def __init__(self, env: Environment, log: logging.Logger) -> None:
        self._env = env
        self._log = log
        self._refresher: TextfileRefresher | None = None
        self._config: Config | None = None
        self._schedule_only: Callable[[], bool] = lambda: False

    def configure(self, config: Config, schedule_only: Callable[[], bool]) -> float | None:
        """Take `[metrics]`; the refresh interval, or None when off.
        `schedule_only()` says whether the daemon measures nothing right now."""
        self._config = config if config.metrics.textfile else None
        self._schedule_only = schedule_only
        return None if self._config is None else config.metrics.interval

    def refresh(self, *, up: bool = True) -> None:
        """Write the file now (nothing when off); failures are logged once."""
        config = self._config
        if config is None:
            return
        if self._refresher is None:
            from ergod.fleet.metrics import TextfileRefresher

            self._refresher = TextfileRefresher(self._env, self._log)
        self._refresher.refresh(config, up=up, schedule_only=self._schedule_only())


class EffectSink:
    """Notifier, recorder and counts behind the engine; see the module docstring."""

    def __init__(
        self,
        notify: NotifierChoice,
        recorder: Recorder,
        today: Callable[[], date],
        log: logging.Logger,
    ) -> None:
        self._notify = notify
        self._recorder = recorder
        self._today = today
        self._log = log
        self._counts: Counter[tuple[str, str]] = Counter()
        self._counted_on: date | None = None
        self._shown_kind: str | None = None
        self._undelivered = False  # the last show reached no backend (logged once)

    @property
    def chain(self) -> tuple[str, ...]:
        return self._notify.chain

    @property
    def store_status(self) -> str:
        return self._recorder.status

    @property
    def supports_actions(self) -> bool:
        return self._notify.notifier.supports_actions

    def on_action(self, callback: Callable[[str], None]) -> None:
        """The notifier's buttons: `callback(key)` from the notifier's thread."""
        self._notify.notifier.on_action(callback)

    def outcomes(self) -> list[tuple[str, str, int]]:
        """Today's resolved breaks: (kind, outcome, count), sorted."""
        self._roll()
        return [(kind, outcome, n) for (kind, outcome), n in sorted(self._counts.items())]

    def apply(self, effects: Iterable[Effect], wording: Wording) -> None:
        batch = list(effects)
        for index, effect in enumerate(batch):
            if isinstance(effect, ShowPrompt):
                if not _stale(effect, batch[index + 1 :]):
                    self._show(effect, wording)
            elif isinstance(effect, BreakResolved):
                self._resolved(effect.record)
            elif isinstance(effect, BoutEnded):
                self._recorder.bout(effect.bout)

    def notice(self, message: Message) -> None:
        """One of the daemon's own notices (no buttons)."""
        self._deliver(message)

    def _deliver(self, message: Message) -> None:
        delivery = self._notify.notifier.show(message)
        if delivery.ok:
            self._undelivered = False
        elif not self._undelivered:
            # The chain has logged each backend's failure; once more for "none could".
            self._undelivered = True
            self._log.warning("no notifier could show %r: %s", message.title, delivery.detail)

    def _show(self, prompt: ShowPrompt, wording: Wording) -> None:
        from ergod.exercises.library import render_card
        from ergod.notify.prompt import prompt_message

        title, body = "", ""
        if prompt.exercise:
            title, body = render_card(wording.library.get(prompt.exercise, translate=True))
        sitting = None if prompt.sitting_since is None else prompt.at - prompt.sitting_since
        rules = wording.rules.kind(prompt.kind)
        message = prompt_message(
            prompt.kind.value,
            title,
            body,
            sitting,
            snooze_minutes=rules.snooze / 60 if rules.max_snoozes > 0 else 0.0,
            timeout=wording.timeout,
            actions=wording.actions and self.supports_actions,
            sound=wording.sound,
        )
        # Counted as shown even if no backend could; the chain has logged why.
        self._shown_kind = prompt.kind.value
        self._deliver(message)

    def _resolved(self, record: BreakRecord) -> None:
        self._recorder.break_record(record)
        self._roll()
        self._counts[(record.kind.value, record.outcome.value)] += 1
        if record.first_prompt is not None and self._shown_kind == record.kind.value:
            self._shown_kind = None
            self._notify.notifier.close()

    def _roll(self) -> None:
        today = self._today()
        if today != self._counted_on:
            self._counts.clear()
            self._counted_on = today
