"""Run a child process, SIGKILL it at a random moment after it says READY, and run it again."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def child(script: str, *args: str, env: dict[str, str]) -> subprocess.Popen:
    full = {**os.environ, **env, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), str(HERE), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, str(HERE / script), *args], env=full, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_ready(p: subprocess.Popen, timeout: float = 90.0) -> list[str]:
    """Block until the child prints `READY [words...]`; the words."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            raise AssertionError(f"child exited before READY: {p.wait()}\n{p.stderr.read()[-3000:]}")
        if line.split()[:1] == ["READY"]:
            return line.split()[1:]
    p.kill()
    raise AssertionError("child not READY in time")


def kill_at_random(p: subprocess.Popen, rng: random.Random, lo: float, hi: float) -> tuple[float, bool]:
    """SIGKILL `p` after a random delay in [lo, hi] seconds past READY; (delay, killed mid-run)."""
    wait_ready(p)
    delay = rng.uniform(lo, hi)
    try:
        p.wait(timeout=delay)
        return delay, False        # finished before the kill
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        return delay, True


def run_to_end(p: subprocess.Popen, timeout: float = 240.0) -> str:
    out, err = p.communicate(timeout=timeout)
    if p.returncode != 0:
        raise AssertionError(f"child failed ({p.returncode}):\n{out[-2000:]}\n{err[-4000:]}")
    return out


def rebuild_verify(db_url: str) -> str:
    p = subprocess.run([sys.executable, "-m", "dropship_app.cli", "store", "rebuild", "--verify"],
                       env={**os.environ, "DATABASE_URL": db_url}, cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0 and "verify ok" in p.stdout, p.stdout + p.stderr
    return p.stdout
