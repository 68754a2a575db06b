"""Putting prioritised work on the calendar without overbooking anyone.

Work happens on weekdays. Each owner role gives a number of person-days a week, spread evenly
over its working days; an item takes its role's free capacity day by day from the day its
prerequisites are finished until its effort is covered. Items are placed quick wins first, then
in priority order, each once its prerequisites are placed, so they book capacity first.
Capacity is counted in hundredths of a person-day so sums are exact and runs repeatable.
What would finish after day 90 is not booked: it is listed with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .plan import PrioritisedItem

HORIZON_DAYS = 90
PHASE_DAYS = 30
PHASES = ("Days 1–30", "Days 31–60", "Days 61–90")
UNITS_PER_DAY = 100
WORKING_DAYS_PER_WEEK = 5
# How far past the horizon to look when estimating when deferred work could finish.
ESTIMATE_DAYS = 3 * 365


@dataclass(frozen=True)
class ScheduledItem:
    item: PrioritisedItem
    start: date
    end: date
    phase: int  # 1-3: the phase the work is finished in
    booked: tuple[tuple[date, float], ...]  # person-days of the owner role used per day


@dataclass(frozen=True)
class DeferredItem:
    item: PrioritisedItem
    reason: str


@dataclass(frozen=True)
class Schedule:
    start: date
    capacity: dict[str, float]  # person-days per week per role
    scheduled: tuple[ScheduledItem, ...]  # by start day, then rank
    deferred: tuple[DeferredItem, ...]  # by rank

    @property
    def last_day(self) -> date:
        return day_number_date(self.start, HORIZON_DAYS)

    def phase_end(self, phase: int) -> date:
        return day_number_date(self.start, phase * PHASE_DAYS)

    def done_by_phase(self, phase: int) -> set[str]:
        return {s.item.id for s in self.scheduled if s.phase <= phase}


def day_number_date(start: date, day: int) -> date:
    """Day 1 is the start date itself."""
    return start + timedelta(days=day - 1)


def day_number(start: date, day: date) -> int:
    return (day - start).days + 1


def schedule(
    items: Sequence[PrioritisedItem], capacity: Mapping[str, float], start: date
) -> Schedule:
    ledger = _Ledger(start, capacity)
    placed: dict[str, ScheduledItem] = {}
    deferred: dict[str, DeferredItem] = {}
    waiting = sorted(items, key=lambda i: (not i.quick_win, i.rank, i.id))
    while waiting:
        ready = [i for i in waiting if all(d in placed or d in deferred for d in i.depends_on)]
        if not ready:  # only a dependency cycle leaves nothing ready
            for item in waiting:
                deferred[item.id] = DeferredItem(
                    item,
                    "its prerequisites depend on each other "
                    f"({', '.join(item.depends_on)}); untangle "
                    "them in the knowledge base",
                )
            break
        item = ready[0]
        waiting.remove(item)
        blocked = [d for d in item.depends_on if d in deferred]
        if blocked:
            deferred[item.id] = DeferredItem(
                item, f"waits for {', '.join(blocked)}, which is itself after day {HORIZON_DAYS}"
            )
            continue
        earliest = max(
            (placed[d].end + timedelta(days=1) for d in item.depends_on if d in placed),
            default=start,
        )
        outcome = ledger.book(item, earliest)
        if isinstance(outcome, ScheduledItem):
            placed[item.id] = outcome
        else:
            deferred[item.id] = DeferredItem(item, outcome)
    return Schedule(
        start,
        dict(capacity),
        tuple(sorted(placed.values(), key=lambda s: (s.start, s.item.rank))),
        tuple(sorted(deferred.values(), key=lambda d: d.item.rank)),
    )


class _Ledger:
    """Free capacity per role per working day, in hundredths of a person-day."""

    def __init__(self, start: date, capacity: Mapping[str, float]) -> None:
        self.start = start
        self.capacity = capacity
        self.horizon = day_number_date(start, HORIZON_DAYS)
        self.used: dict[tuple[str, date], int] = {}

    def daily_units(self, role: str) -> int:
        return round(self.capacity.get(role, 0.0) * UNITS_PER_DAY / WORKING_DAYS_PER_WEEK)

    def book(self, item: PrioritisedItem, earliest: date) -> ScheduledItem | str:
        """Book `item` from `earliest`, or say why it cannot finish by day 90."""
        role, daily = item.owner_role, self.daily_units(item.owner_role)
        if daily <= 0:
            return f'no {role} capacity is available (set it with --capacity "{role}=DAYS")'
        needed = max(round(item.effort_days * UNITS_PER_DAY), 1)
        taken: list[tuple[date, int]] = []
        day = earliest
        while needed > 0:
            if (day - self.start).days > ESTIMATE_DAYS:
                return f"{role} has no free capacity within {ESTIMATE_DAYS // 365} years"
            free = daily - self.used.get((role, day), 0) if day.weekday() < 5 else 0
            if free > 0:
                units = min(free, needed)
                taken.append((day, units))
                needed -= units
            day += timedelta(days=1)
        end = taken[-1][0]
        if end > self.horizon:
            return (
                f"needs {item.effort_days:g} person-days of {role} "
                f"({self.capacity[role]:g}/week); after higher-ranked work it would finish "
                f"on {end.isoformat()} (day {day_number(self.start, end)})"
            )
        for booked_day, units in taken:
            self.used[(role, booked_day)] = self.used.get((role, booked_day), 0) + units
        phase = (day_number(self.start, end) - 1) // PHASE_DAYS + 1
        return ScheduledItem(
            item, taken[0][0], end, phase, tuple((d, u / UNITS_PER_DAY) for d, u in taken)
        )
