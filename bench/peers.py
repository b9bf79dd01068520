"""textwash against its peer, end to end: the same input through `textwash run` and datatrove.

    uv run python bench/peers.py [--repeat 3] [--only text,html,ten,noflags] [--work DIR]

Inputs (written under ``--work`` as JSONL split over two files, as a crawl hands them):
  * ``text``: the ``noisy`` text (what a naive scraper leaves) of every page of
    ``../shared/devset/wcxb-dev-articles.jsonl.gz`` and ``trafilatura-eval.jsonl.gz``;
  * ``html``: the ``html`` of the first 300 pages of each;
  * ``ten``: the first 10 ``noisy`` texts, with no Prefect server running;
  * ``noflags``: the ``text`` input through ``textwash run INPUT -o OUT``, nothing else.

textwash: ``textwash run INPUT -o OUT --runner process --workers 2`` (``noflags``: no
flag at all), a Prefect server of the bench's own already running (a temporary Prefect
home and a free port), except for ``ten``. datatrove: ``JsonlReader -> Trafilatura(
favour_precision=False, deduplicate=False)`` (HTML only) ``-> FTFYFormatter ->
C4QualityFilter(filter_no_terminal_punct=False, min_num_sentences=-1,
filter_curly_bracket=False) -> ParquetWriter`` on ``LocalPipelineExecutor(tasks=2,
workers=2)``, in an environment of its own (``uv run --isolated --no-project --with
"datatrove[processing,io]"``; never a dependency of this project). Both are timed as
whole commands, in turns (textwash, datatrove, datatrove, textwash, ...), so the load
other processes put on the machine falls on both; the ratio printed is datatrove's
median time over textwash's (above 1: textwash is faster).

First it compiles the environment's modules to bytecode (``uv sync --compile-bytecode``,
the README's install step, and ``compileall`` on the project's own packages, as
installing its wheel does); datatrove's environment is compiled too (``uv run
--compile-bytecode``). Where ``PYTHONDONTWRITEBYTECODE`` is set, every process (the CLI
and each worker) would otherwise compile what it imports from source, every time.

After the timings, the profile of textwash's last run of each input, read from its
dataset: the phases of the flow (plan, count, clean, commit; start-up is the command's
wall time less the flow's) and, summed over the shard tasks, the steps inside counting
and cleaning (read, decode, extract, repair, hash, keep, classify, build rows, write),
with the peak RSS of every process of the run (the CLI and its workers). Asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT.parent / "shared" / "devset"
SOURCES = ("wcxb-dev-articles.jsonl.gz", "trafilatura-eval.jsonl.gz")
HTML_PAGES = 300  # of each source
TEN = 10

DATATROVE = """
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.filters import C4QualityFilter
from datatrove.pipeline.formatters import FTFYFormatter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import ParquetWriter

src, out, field = sys.argv[1:4]
steps = [JsonlReader(src, text_key=field, id_key="id")]
if field == "html":
    steps.append(Trafilatura(favour_precision=False, deduplicate=False))
steps += [
    FTFYFormatter(),
    C4QualityFilter(
        filter_no_terminal_punct=False, min_num_sentences=-1, filter_curly_bracket=False
    ),
    ParquetWriter(out + "/data"),
]
if __name__ == "__main__":
    LocalPipelineExecutor(
        pipeline=steps, tasks=2, workers=2, logging_dir=out + "/logs"
    ).run()
"""


def write_inputs(work: Path) -> dict[str, Path]:
    """The inputs as JSONL, each over two files (the first half of its records, then
    the rest); returns the folder of each."""
    records: dict[str, list[dict]] = {"text": [], "html": [], "ten": []}
    for name in SOURCES:
        with gzip.open(DEVSET / name, "rt", encoding="utf-8") as fh:
            for n, line in enumerate(fh):
                page = json.loads(line)
                base = {"id": page["id"], "url": page.get("url")}
                if page.get("noisy"):
                    records["text"].append({**base, "text": page["noisy"]})
                if n < HTML_PAGES and page.get("html"):
                    records["html"].append({**base, "html": page["html"]})
    records["ten"] = records["text"][:TEN]
    folders = {}
    for kind, rows in records.items():
        folder = work / "in" / kind
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        half = (len(rows) + 1) // 2
        for part, chunk in enumerate((rows[:half], rows[half:])):
            with open(folder / f"part-{part}.jsonl", "w", encoding="utf-8") as fh:
                fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in chunk)
        size = sum(f.stat().st_size for f in folder.iterdir())
        print(f"input {kind}: {len(rows)} documents, {size / 1e6:.1f} MB in 2 files")
        folders[kind] = folder
    return folders


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A Prefect server of the bench's own: its own home, a free port."""

    def __init__(self, home: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": ""}
        prefect = Path(sys.executable).with_name("prefect")
        cmd = [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        import urllib.request

        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise SystemExit("the Prefect server did not start in 120 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a live process, MB (0 if gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = []
        for task in Path(f"/proc/{p}/task").glob("*"):  # each thread's children
            try:
                kids += (task / "children").read_text().split()
            except OSError:
                continue
        out += [int(k) for k in kids]
        todo += [int(k) for k in kids]
    return out


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, dict[int, float]]:
    """Wall time of a command, and the peak RSS of each process of its tree (sampled
    every 0.2 s; a process's VmHWM is its own peak, so a late sample still sees it)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peaks: dict[int, float] = {}
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.append(proc.stdout.read()), daemon=True)
    reader.start()
    while proc.poll() is None:
        for p in [proc.pid, *descendants(proc.pid)]:
            peaks[p] = max(peaks.get(p, 0.0), peak_rss_mb(p))
        time.sleep(0.2)
    elapsed = time.perf_counter() - t0
    reader.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{''.join(output)[-3000:]}")
    return elapsed, peaks


def textwash_cmd(src: Path, out: Path, flags: bool) -> list[str]:
    exe = str(Path(sys.executable).with_name("textwash"))
    extra = ["--runner", "process", "--workers", "2"] if flags else []
    return [exe, "run", str(src), "-o", str(out), *extra]


def datatrove_cmd(script: Path, src: Path, out: Path, field: str) -> list[str]:
    uv = shutil.which("uv") or "uv"
    return [
        uv, "run", "--isolated", "--no-project", "--compile-bytecode",
        "--with", "datatrove[processing,io]", "python", str(script), str(src), str(out), field,
    ]  # fmt: skip


def profile(out: Path, wall: float) -> list[str]:
    """The phases and steps of the run that wrote ``out``, as lines to print."""
    summary = json.loads((out / "_manifest.json").read_text())["summary"]
    prof = summary.get("profile", {})
    lines = [f"  wall {wall:.1f} s: start-up and shut-down {wall - summary['seconds']:.1f} s, "
             f"flow {summary['seconds']:.1f} s, {summary['shards']} shards"]  # fmt: skip
    if prof.get("phases"):
        lines.append(
            "  flow phases (s): " + ", ".join(f"{k} {v:.1f}" for k, v in prof["phases"].items())
        )
    for phase in ("count", "clean"):
        timers = prof.get(phase) or {}
        if timers:
            parts = ", ".join(
                f"{k} {v:.1f}" for k, v in sorted(timers.items(), key=lambda kv: -kv[1])
            )
            lines.append(
                f"  {phase} steps (s, summed over tasks): {sum(timers.values()):.1f} = {parts}"
            )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="turns per input")
    ap.add_argument("--only", default="text,html,ten,noflags")
    ap.add_argument("--work", type=Path, help="keep inputs and outputs here")
    args = ap.parse_args()
    kinds = args.only.split(",")
    work = args.work or Path(tempfile.mkdtemp(prefix="textwash-peers-"))
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(["uv", "sync", "--compile-bytecode", "-q"], cwd=ROOT, check=True)
    # The project's own packages too, as installing its wheel would (an editable
    # install leaves them to the first import, which PYTHONDONTWRITEBYTECODE forbids).
    subprocess.run([sys.executable, "-m", "compileall", "-q", "flows", "cleaners"], cwd=ROOT)
    folders = write_inputs(work)
    script = work / "datatrove_pipeline.py"
    script.write_text(DATATROVE)
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at start")
    home = work / "prefect-home"
    server = Server(home)
    results = []
    try:
        for kind in kinds:
            src = folders["text" if kind == "noflags" else kind]
            field = "html" if kind == "html" else "text"
            env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": server.url}
            if kind == "ten":  # no server reachable: the run's own start-up
                env = {**os.environ, "PREFECT_HOME": str(home / "cold")}
                env.pop("PREFECT_API_URL", None)
            times: dict[str, list[float]] = {"textwash": [], "datatrove": []}
            peaks: dict[int, float] = {}
            tw_out = work / "out" / f"{kind}-textwash"
            for turn in range(args.repeat):
                order = ("textwash", "datatrove") if turn % 2 == 0 else ("datatrove", "textwash")
                for tool in order:
                    if tool == "textwash":
                        shutil.rmtree(tw_out, ignore_errors=True)
                        cmd = textwash_cmd(src, tw_out, kind != "noflags")
                        sec, peaks_run = timed(cmd, env)
                        peaks = peaks_run
                        tw_wall = sec
                    else:
                        dt_out = work / "out" / f"{kind}-datatrove"
                        shutil.rmtree(dt_out, ignore_errors=True)
                        sec, _ = timed(datatrove_cmd(script, src, dt_out, field), env)
                    times[tool].append(sec)
                    print(f"{kind} turn {turn + 1} {tool}: {sec:.1f} s "
                          f"(load {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
            tw, dt = statistics.median(times["textwash"]), statistics.median(times["datatrove"])
            ratio = dt / tw
            results.append((kind, tw, dt, ratio, max(peaks.values(), default=0)))
            print(f"{kind}: textwash {tw:.1f} s, datatrove {dt:.1f} s (medians): "
                  f"textwash at {ratio:.2f}x datatrove's speed", flush=True)  # fmt: skip
            print("\n".join(profile(tw_out, tw_wall)))
            top = sorted(peaks.items(), key=lambda kv: -kv[1])[:6]
            print("  peak RSS of its processes (MB): " + ", ".join(f"{v:.0f}" for _, v in top))
    finally:
        server.stop()
    print("\ninput     textwash s  datatrove s  speed vs datatrove  max peak RSS MB")
    for kind, tw, dt, ratio, rss in results:
        print(f"{kind:<9} {tw:>10.1f}  {dt:>11.1f}  {ratio:>17.2f}x  {rss:>15.0f}")
    print(f"load average {os.getloadavg()[0]:.1f} at end; work folder {work}")


if __name__ == "__main__":
    main()
