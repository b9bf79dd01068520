"""The run's progress bar as a user reads it: in a log (80 columns, no terminal) and
while the workers start."""

from __future__ import annotations

import io

from rich.console import Console

from flows.cli.running import RichReporter

MB = 1_000_000


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def reporter(width: int) -> tuple[RichReporter, io.StringIO, Clock]:
    out, clock = io.StringIO(), Clock()
    bar = RichReporter(Console(file=out, width=width, force_terminal=False))
    bar.bar.get_time = clock
    return bar, out, clock


def test_each_phase_is_one_line_in_80_columns() -> None:
    bar, out, clock = reporter(80)
    for phase in ("counting lines", "cleaning"):
        bar.start(phase, 21_800_000, None)
        clock.now += 5
        bar.update(1552, 21_800_000)
        bar.finish()
    bar.close()
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["counting", "cleaning"]
    assert all(len(line) <= 80 and line.rstrip().endswith("0:00") for line in lines)


def test_time_left_counts_from_the_first_progress() -> None:
    # The workers take 10 s to start; then 1 MB a second: 7 MB left is 7 s, not the
    # 28 s an average since the phase began would say.
    bar, _, clock = reporter(120)
    bar.start("cleaning", 10 * MB, None)
    clock.now = 10.0
    bar.update(10, 1 * MB)
    clock.now = 12.0
    bar.update(30, 3 * MB)
    row = bar.bar.columns[-1].render(bar.bar.tasks[-1]).plain
    assert row.split() == ["1.00", "MB/s", "0:07"]
