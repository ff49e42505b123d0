"""Every program in examples/ runs to its end and says what it showed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each example, the arguments that keep it short, and how its last line starts.
EXAMPLES = {
    "ping_pong.py": (["1000"], "ping-pong: 1000 hits"),
    "worker_pool.py": (["100"], "worker pool: 100 jobs on 4 workers"),
    "price_watcher.py": (["3"], "price watcher: "),
}


def test_every_example_is_run_here() -> None:
    assert sorted(path.name for path in (ROOT / "examples").glob("*.py")) == sorted(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_example_runs_and_reports(name: str) -> None:
    arguments, first_words = EXAMPLES[name]
    finished = subprocess.run(  # noqa: S603 - our own interpreter and file
        [sys.executable, str(ROOT / "examples" / name), *arguments],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert finished.stdout.strip().splitlines()[-1].startswith(first_words), finished.stdout
