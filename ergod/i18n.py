"""The user's language: which catalog every user-facing string goes through, and
numbers, dates and week names in that language's form.

`activate(setting, environ)` chooses the translation once at composition: the
CLI at start (and again once a command has read `[notify] language`), the
daemon at start and at each reload. The language is `[notify] language` when
set, else the first of `LANGUAGE` (a colon-separated list, tried in order),
`LC_ALL`, `LC_MESSAGES`, `LANG` that is set; "C" and "POSIX" mean English.
A language with no catalog falls back to English, as gettext does.

Strings are marked with `_()` (translated where used), `N_()` (a constant
marked for extraction, translated later with `_()`) and `ngettext()` (plurals
by the catalog's own rules). The active translation is this module's one piece
of state, by gettext's design: every module reads the same current language,
and only `activate` changes it. One exception, for one thread at a time:
`speaking(code, environ)` makes the calling thread speak another language
while it builds one answer (the daemon answering `ergod pause` in the
language of whoever asked); other threads keep the active one.

Formatting (`decimal`, `percent`, `long_date`, `short_date`, `short_weekday`,
`weekday_name`) imports Babel on first use, so `ergod --help`, `ergod status`
and a daemon that only shows prompts never load it. Catalogs are
`ergod/locale/<lang>/LC_MESSAGES/ergod.mo`, or under `$ERGOD_LOCALEDIR` when
set (a translator checking a catalog before it is installed: docs/translating.md).
"""

from __future__ import annotations

import gettext
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

DOMAIN = "ergod"
LOCALE_DIR = Path(__file__).parent / "locale"
ENGLISH = "en"
_ENV_ORDER = ("LC_ALL", "LC_MESSAGES", "LANG")


@dataclass(frozen=True)
class Language:
    """The chosen language: its locale code (`de_DE`, `fr`, `en`) and catalog."""

    code: str
    translation: gettext.NullTranslations

    @property
    def tag(self) -> str:
        """The code as an HTML `lang` value: `de-DE`, `fr`, `en`."""
        return self.code.replace("_", "-")


_active = Language(ENGLISH, gettext.NullTranslations())
_thread = threading.local()


def requested(setting: str, environ: Mapping[str, str]) -> list[str]:
    """The locale codes asked for, best first: `de_DE.UTF-8@euro` -> `de_DE`."""
    if setting.strip():
        raw = [setting]
    else:
        raw = [environ.get("LANGUAGE", "")]
        raw = raw[0].split(":") if raw[0] else []
        for name in _ENV_ORDER:
            if environ.get(name):
                raw.append(environ[name])
                break
    codes = []
    for value in raw:
        code = value.strip().split(".")[0].split("@")[0].replace("-", "_")
        if code in ("C", "POSIX"):
            code = ENGLISH
        if code and code not in codes:
            codes.append(code)
    return codes


def choose(setting: str, environ: Mapping[str, str]) -> Language:
    """The Language for a `[notify] language` setting and an environment; reads catalogs."""
    localedir = Path(environ.get("ERGOD_LOCALEDIR") or LOCALE_DIR)
    for code in requested(setting, environ):
        base = code.split("_")[0]
        if base == ENGLISH:
            return Language(code, gettext.NullTranslations())
        for name in dict.fromkeys((code, base)):
            if (localedir / name / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file():
                with open(localedir / name / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as mo:
                    return Language(code, gettext.GNUTranslations(mo))
    return Language(ENGLISH, gettext.NullTranslations())


def activate(setting: str, environ: Mapping[str, str]) -> Language:
    """Choose the language and make it the one every `_()` uses from now on."""
    global _active
    _active = choose(setting, environ)
    return _active


@contextmanager
def speaking(code: str, environ: Mapping[str, str]) -> Iterator[Language]:
    """This thread speaks `code` inside the block (`choose(code, environ)`);
    an empty code keeps the active language. Other threads are unaffected."""
    before = getattr(_thread, "language", None)
    _thread.language = choose(code, environ) if code else None
    try:
        yield current()
    finally:
        _thread.language = before


def current() -> Language:
    language: Language | None = getattr(_thread, "language", None)
    return _active if language is None else language


def _(message: str) -> str:
    return current().translation.gettext(message)


def N_(message: str) -> str:
    """Marks a constant for extraction; translate it with `_()` where it is shown."""
    return message


def ngettext(singular: str, plural: str, count: int) -> str:
    return current().translation.ngettext(singular, plural, count)


# ---- formatting: Babel, imported on first use ------------------------------------


def babel_locale() -> str:
    """The active language's code for Babel; English for a code Babel does not know."""
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(current().code))
    except (UnknownLocaleError, ValueError):
        return ENGLISH


def decimal(value: float, digits: int = 1) -> str:
    """`1.5` in English, `1,5` in German: at most `digits` decimals."""
    from babel.numbers import format_decimal

    pattern = "#,##0." + "#" * digits if digits else "#,##0"
    return str(format_decimal(value, format=pattern, locale=babel_locale()))


def percent(fraction: float | None) -> str:
    """`42%`, `42 %` (German, French, Spanish); `-` for no value."""
    if fraction is None:
        return "-"
    from babel.numbers import format_percent

    return str(format_percent(round(fraction, 2), locale=babel_locale()))


def long_date(day: date) -> str:
    """`November 27, 2026`, `27. November 2026`, `27 novembre 2026`."""
    from babel.dates import format_date

    return str(format_date(day, format="long", locale=babel_locale()))


def short_date(day: date, year: bool = False) -> str:
    """`Mon, Nov 23`, `Mo., 23. Nov.`, `lun. 23 nov.`; with the year when asked."""
    from babel.dates import format_skeleton

    return str(format_skeleton("yMMMEd" if year else "MMMEd", day, locale=babel_locale()))


def short_weekday(day: date) -> str:
    """`Fri`, `Fr.`, `ven.`, `vie`."""
    from babel.dates import format_date

    return str(format_date(day, format="EEE", locale=babel_locale()))


def weekday_name(day: date) -> str:
    """`Friday`, `Freitag`, `vendredi`, `viernes`."""
    from babel.dates import format_date

    return str(format_date(day, format="EEEE", locale=babel_locale()))
