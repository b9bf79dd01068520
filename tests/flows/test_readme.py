"""The README's scheduling commands, run as written there (read from the README, so
the two cannot drift; only the folders and the cron are replaced): the background
server, then serve, until the scheduler's own run has written the dataset."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from ..conftest import ROOT, SEEDS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]


def readme_commands(section: str) -> list[str]:
    """The command lines of the first ``bash`` block under ``## section``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", body, re.S)
    assert block, f"no bash block under {section}"
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_schedule_fires_by_itself(tmp_path: Path) -> None:
    start, serve = readme_commands("Scheduling")
    assert start.endswith("textwash server start"), start
    assert " serve raw/ -o clean/ --cron " in serve, serve
    raw, clean = tmp_path / "raw", tmp_path / "clean"
    shutil.copytree(SEEDS, raw)
    serve = serve.replace("raw/", f"{raw}/").replace("clean/", f"{clean}/")
    serve = re.sub(r"--cron '[^']*'", "--cron '* * * * *'", serve)

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(tmp_path / "home")  # this test's own server and database
    run = {"cwd": ROOT, "env": env, "text": True}
    started = subprocess.run(shlex.split(start), capture_output=True, timeout=200, **run)
    assert started.returncode == 0, started.stdout + started.stderr
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(shlex.split(serve), stdout=log, stderr=subprocess.STDOUT, **run)
    try:
        deadline = time.monotonic() + 300
        while not list(clean.glob("documents/*.parquet")):
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "no scheduled run wrote the dataset"
            time.sleep(1)
        proc.send_signal(signal.SIGINT)  # Ctrl-C: serve stops
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        stop = subprocess.run(["uv", "run", "textwash", "server", "stop"], timeout=60, **run)
        assert stop.returncode == 0
    output = (tmp_path / "serve.log").read_text()
    # serve used the background server: Prefect never started a temporary one.
    assert "temporary server" not in output.lower(), output
    assert "ephemeral" not in output.lower(), output
    assert "Traceback" not in output, output
    assert (clean / "_manifest.json").exists()
