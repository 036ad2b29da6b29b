"""A run's phases, its budget (steps, minutes or both) and how many steps each network has trained.

Each trainer declares its phases: a name, a share of the run, and the networks the phase updates. The run's
progress p in [0, 1] is steps done / steps for a step budget, or the share of the training time spent for a
time budget; with both, whichever runs out first. Phase i runs while p is below the shares of phases 0..i
added up, so a run bounded by time trains every phase inside its time. Progress and the steps per network are
saved with each checkpoint: a resumed step-bounded run continues exactly (its phases follow step / steps, so a
larger --steps moves them); a resumed time-bounded run spends its new time on what remains of the schedule, or,
when it had finished its schedule (stopped by its deadline), on a new pass through all its phases.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Phase:
    name: str
    share: float  # of the run's budget
    trains: tuple[str, ...]  # the networks (trainer.models keys) this phase updates


def check_phases(phases: tuple[Phase, ...], models: set[str]) -> None:
    total = sum(p.share for p in phases)
    if not phases or abs(total - 1) > 1e-6:
        raise ValueError(f"phase shares must add up to 1; got {total}")
    unknown = {name for p in phases for name in p.trains} - models
    if unknown:
        raise ValueError(f"phases train unknown networks: {', '.join(sorted(unknown))}")


@dataclass
class Schedule:
    """Progress through one segment of a run (a start or a resume). ``seconds``: the training time this
    segment may spend; ``start_progress``: the progress saved when it started."""

    phases: tuple[Phase, ...]
    steps: int | None
    seconds: float | None
    start_progress: float = 0.0
    network_steps: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.steps is None and self.seconds is None:
            raise ValueError("a run needs a step budget, a time budget, or both")

    def progress(self, step: int, elapsed: float) -> float:
        return max(self.by_steps(step), self.by_time(elapsed))

    def by_steps(self, step: int) -> float:
        return min(1.0, step / self.steps) if self.steps else 0.0

    def by_time(self, elapsed: float) -> float:
        if self.seconds is None:
            return 0.0
        return min(1.0, self.start_progress + (1 - self.start_progress) * elapsed / max(self.seconds, 1e-9))

    def phase(self, progress: float) -> Phase:
        return phase_at(self.phases, progress) or self.phases[-1]

    def trained(self, phase: Phase) -> None:
        """Count one step for every network the phase updated."""
        for name in phase.trains:
            self.network_steps[name] = self.network_steps.get(name, 0) + 1


def phase_at(phases, progress: float) -> Phase | None:
    """The phase that ``progress`` (0-1 through the budget) falls in; None once the schedule is done."""
    end = 0.0
    for phase in phases:
        end += phase.share
        if progress < end - 1e-12:
            return phase
    return None
