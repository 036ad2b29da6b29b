"""``main.py engines``: every registered engine with what it needs and whether it can run."""
from __future__ import annotations

from engines import registry


def print_engines() -> int:
    rows = [("engine", "status", "needs", "resolution", "title")]
    for name in registry.names():
        spec = registry.spec(name)
        resolution = f"{spec.resolution} px" if spec.resolution else "any"
        needs = ", ".join(sorted(n.value for n in spec.needs))
        state = registry.weights_state(name).value
        if registry.weights_state(name) is registry.WeightsState.TRAINED and registry.missing_optional(name):
            state += "; " + ", ".join(f"no {n.title} ({n.option} {n.off})" for n in registry.missing_optional(name))
        rows.append((name, state, needs, resolution, spec.title))
        for domain in spec.domains:
            rows.append((f"  --domain {domain.name}", registry.weights_state(name, None, domain.name).value,
                         "face" if domain.faces else "", f"{domain.resolution} px", domain.title))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    if not all(registry.is_runnable(name) for name in registry.names()):
        print(f"\nAn engine without trained weights cannot run. {registry.how_to_get_weights('ENGINE')}")
    return 0
