"""Which card each break offers: the rotations, built so every card earns its credit.

Contract: `rotation(library, kind, duration)` is the order reminders of `kind`
cycle through, one step per due break (`Rules.exercises`); every card in it
lasts at least `duration` (the kind's `[breaks] duration`: a person who does
the whole card must get the credit) whenever the library allows it. A card
that is too short on its own becomes a set: the single card followed by others
until the set lasts long enough ("march_heels+wall_pushup+posture_reset").

* Stretch: eye items take turns with the other stretch items, never the same
  id twice in a row, wrap-around included; consecutive items are joined into a
  set only when one alone is shorter than the stretch duration.
* Movement: done standing or walking. The movement-only items (a walk, heel
  raises) lead, in library order; one shorter than the movement duration is
  followed by standing items (those offered in both kinds: wall slide, wall
  push-up, doorway stretch, posture reset) taken in turn, preferring items
  without a caveat once the set has one, so a set's caveats stay few and short.
  A lead that cannot reach the duration is left out while another card can.

`short_cards(library, durations)` lists what cannot be made long enough, for
the configuration's warnings. Pure functions of the library.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ergod.core.rules import Kind
from ergod.exercises.model import EYES, SET_SEPARATOR, Exercise, Library, combined

# A least common multiple beyond this many times the longer list would make a
# needlessly long rotation; fall back to the longer list's length.
_ROTATION_STRETCH = 4


def rotation(library: Library, kind: Kind, duration: float) -> tuple[str, ...]:
    """The card ids reminders of `kind` cycle through; empty if none is enabled."""
    if kind is Kind.MOVEMENT:
        return tuple(card.id for card in _movement_cards(library, duration))
    return tuple(
        SET_SEPARATOR.join(group) for group in _grouped(_stretch_order(library), library, duration)
    )


def rotations(library: Library, durations: Mapping[Kind, float]) -> dict[Kind, tuple[str, ...]]:
    """`rotation` for every kind: the value of `Rules.exercises`."""
    return {kind: rotation(library, kind, durations[kind]) for kind in Kind}


def cards(library: Library, kind: Kind, duration: float) -> tuple[Exercise, ...]:
    """The distinct cards of the rotation, in first-use order."""
    ids = dict.fromkeys(rotation(library, kind, duration))
    return tuple(library.get(card_id) for card_id in ids)


def short_cards(library: Library, durations: Mapping[Kind, float]) -> list[tuple[Kind, Exercise]]:
    """The cards still shorter than their kind's duration after sets were made."""
    return [
        (kind, card)
        for kind in Kind
        for card in cards(library, kind, durations[kind])
        if card.seconds < durations[kind]
    ]


def _stretch_order(library: Library) -> list[str]:
    items = library.for_kind(Kind.STRETCH)
    eyes = [e.id for e in items if EYES in e.areas]
    body = _interleave_by_focus([e for e in items if EYES not in e.areas])
    if not eyes or not body:
        return eyes or body
    longer = max(len(eyes), len(body))
    slots = math.lcm(len(eyes), len(body))
    if slots > _ROTATION_STRETCH * longer:
        slots = longer
    # Body first: the first stretch of the day is for the back, not the eyes.
    return [item for i in range(slots) for item in (body[i % len(body)], eyes[i % len(eyes)])]


def _grouped(order: Sequence[str], library: Library, duration: float) -> list[list[str]]:
    """Consecutive items joined until each group lasts `duration` (one pass over `order`)."""
    groups: list[list[str]] = []
    at = 0
    while at < len(order):
        group: list[str] = []
        seconds = 0
        while seconds < duration and len(group) < len(set(order)):
            item = order[(at + len(group)) % len(order)]
            if item in group:
                break
            group.append(item)
            seconds += library.get(item).seconds
        at += len(group)
        groups.append(group)
    return groups


def _movement_cards(library: Library, duration: float) -> list[Exercise]:
    movers = library.for_kind(Kind.MOVEMENT)
    leads = [e for e in movers if not e.standing]
    standing = [e for e in movers if e.standing]
    if not leads:
        # Standing items only: sets of them, each long enough where possible.
        return [
            library.get(SET_SEPARATOR.join(g))
            for g in _grouped([e.id for e in standing], library, duration)
        ]
    queue = list(standing)
    result: list[Exercise] = []
    # Enough rounds that the standing items come round evenly, and never many.
    for _ in range(max(1, len(queue))):
        for lead in leads:
            result.append(_fill(lead, queue, duration))
        if not queue or all(len(card.parts) <= 1 for card in result):
            break
    long_enough = [card for card in result if card.seconds >= duration]
    return long_enough or result


def _fill(lead: Exercise, queue: list[Exercise], duration: float) -> Exercise:
    """`lead` followed by standing items from the front of `queue` until it lasts `duration`.

    The items used go to the back of the queue. Once the set has a caveat, an
    item without one is taken first (the next in the queue that has none).
    """
    parts = [lead]
    seconds = lead.seconds
    while seconds < duration and len(parts) <= len(queue):
        candidates = [e for e in queue if e not in parts]
        if not candidates:
            break
        has_caveat = any(p.caveat for p in parts)
        pick = next((e for e in candidates if not (has_caveat and e.caveat)), candidates[0])
        queue.remove(pick)
        queue.append(pick)
        parts.append(pick)
        seconds += pick.seconds
    return lead if len(parts) == 1 else combined(parts)


def _interleave_by_focus(items: Sequence[Exercise]) -> list[str]:
    """Ids taking one from each focus area in turn, so one area never runs twice."""
    groups: dict[str, list[str]] = {}
    for e in items:
        groups.setdefault(e.areas[0], []).append(e.id)
    queues = list(groups.values())
    return [q[i] for i in range(max(map(len, queues), default=0)) for q in queues if i < len(q)]
