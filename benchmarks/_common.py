"""Helpers shared by benchmark scripts: every result is JSON under benchmarks/results/."""

from __future__ import annotations

import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from idaes_ml.io import read_json, write_json

RESULTS = Path(__file__).resolve().parent / "results"
#: Keys :func:`write_result` adds around a payload.
HEADER_KEYS = ("benchmark", "when", "command", "machine")


def machine() -> dict:
    """Facts about the machine a benchmark ran on."""
    import torch

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "cuda": torch.cuda.is_available(),
    }


def command() -> str:
    """How this process was started, with the script's path from the repository root (any working directory)."""
    script = Path(sys.argv[0]).resolve()
    root = Path(__file__).resolve().parent.parent
    shown = script.relative_to(root).as_posix() if script.is_relative_to(root) else sys.argv[0]
    return " ".join([Path(sys.executable).name, shown, *sys.argv[1:]])


def write_result(name: str, payload: dict) -> Path:
    """Write ``payload`` plus machine info, timestamp and command to ``results/<name>.json``."""
    record = {
        "benchmark": name,
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command(),
        "machine": machine(),
        **payload,
    }
    return write_json(record, RESULTS / f"{name}.json")


def payload_of(record: dict) -> dict:
    """A stored record without the header :func:`write_result` added (to update and write again)."""
    return {k: v for k, v in record.items() if k not in HEADER_KEYS}


def read_payload(name: str) -> dict:
    """The payload of ``results/<name>.json`` (its record without the header)."""
    return payload_of(read_json(RESULTS / f"{name}.json"))


class Timer:
    """Context manager measuring wall time in seconds (``.seconds``)."""

    def __enter__(self) -> "Timer":
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._t0
