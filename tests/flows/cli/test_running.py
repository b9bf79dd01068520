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


def test_without_a_terminal_a_long_phase_prints_a_line_now_and_then() -> None:
    # A log file or a pipe: Rich draws the bar only at the end; a line every
    # LOG_EVERY_S seconds in between says how far the run is.
    bar, out, clock = reporter(80)
    bar.start("cleaning", 10 * MB, None)
    for second, done in ((10, 1), (bar.LOG_EVERY_S + 1, 3), (bar.LOG_EVERY_S + 5, 4)):
        clock.now = second
        bar.update(done * 10, done * MB)
    before_end = out.getvalue().splitlines()
    bar.finish()
    bar.close()
    assert len(before_end) == 1 and "30 docs" in before_end[0] and "3.0/10.0 MB" in before_end[0]
    assert len(out.getvalue().splitlines()) == 2  # and the bar's last state
