"""How fast the CLI answers: `textwash run seeds` against `import prefect`, in one run.

    uv run python bench/startup.py [--repeat 3]

Times, best of ``--repeat`` (wall clock, whole commands through ``uv run``):
  * ``uv run python -c "import prefect"`` (the floor any Prefect command pays);
  * ``uv run textwash run seeds`` with a background server up (`textwash server start`);
  * the same with no server: in-process, without Prefect's API (the default then);
  * the same with ``--prefect`` and no server: Prefect's own temporary server;
  * ``uv run textwash explain`` on a seed (no Prefect at all).
Prints seconds and ratios to ``import prefect``; asserts nothing. Uses a Prefect home
of its own (a temporary folder), so it never touches yours.

First it compiles the environment's modules to bytecode (``uv sync
--compile-bytecode``, as the README's install step does): where
``PYTHONDONTWRITEBYTECODE`` is set, Python would otherwise compile every module it
imports from source on every command (about 1,200 modules, 1.9 s, for a run).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], env: dict[str, str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
        best = min(best, elapsed)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env["PREFECT_HOME"] = str(Path(tmp) / "home")
        out = str(Path(tmp) / "out")
        run = ["uv", "run", "textwash", "run", "seeds", "-o", out, "--force"]
        subprocess.run(["uv", "sync", "--compile-bytecode"], cwd=ROOT, check=True)
        # Initialise Prefect's home once (its database), as a user's first run does.
        subprocess.run(run, env=env, cwd=ROOT, capture_output=True, check=True)
        base = timed(["uv", "run", "python", "-c", "import prefect"], env, args.repeat)
        explain = timed(
            ["uv", "run", "textwash", "explain", "seeds/000_534eac6734c502e5.txt"],
            env,
            args.repeat,
        )
        cold = timed(run, env, args.repeat)
        temporary = timed([*run, "--prefect"], env, args.repeat)
        subprocess.run(
            ["uv", "run", "textwash", "server", "start"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            warm = timed(run, env, args.repeat)
        finally:
            subprocess.run(
                ["uv", "run", "textwash", "server", "stop"], env=env, cwd=ROOT, capture_output=True
            )
    print(f"best of {args.repeat}, whole commands through uv run")
    print(f"  import prefect                       {base:6.2f} s   x1.00")
    print(f"  textwash run seeds, server up        {warm:6.2f} s   x{warm / base:.2f}")
    print(f"  textwash run seeds, no server        {cold:6.2f} s   x{cold / base:.2f}")
    print(f"  textwash run seeds --prefect, none   {temporary:6.2f} s   x{temporary / base:.2f}")
    print(f"  textwash explain (no Prefect)        {explain:6.2f} s   x{explain / base:.2f}")


if __name__ == "__main__":
    main()
