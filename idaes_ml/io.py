"""Atomic artifact writing: a file is either the old one or the complete new one.

Light to import (no numpy or pandas at import time): the ``ipopt`` command's client
imports it on every call, and that start-up is most of a small solve's cost.

    >>> import pandas as pd, tempfile, pathlib
    >>> from idaes_ml.io import write_table, read_table
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_table(pd.DataFrame({"a": [1, 2]}), p)
    >>> read_table(p)["a"].tolist()
    [1, 2]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["atomic_write", "write_table", "read_table", "write_json", "read_json"]


def _umask() -> int:
    """The process umask (read without changing it where ``/proc`` tells it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", executable: bool = False) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` and move it into place only on success.

    The file gets the permissions ``open()`` would give it, 0666 less the umask (0644
    under umask 022), or 0777 less the umask if ``executable``; not the temporary
    file's 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fchmod(fh.fileno(), (0o777 if executable else 0o666) & ~_umask())
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_table(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``df`` atomically as parquet (``.parquet``) or CSV (anything else)."""
    path = Path(path)
    with atomic_write(path, "wb") as fh:
        if path.suffix == ".parquet":
            df.to_parquet(fh, index=False)
        else:
            fh.write(df.to_csv(index=False).encode())
    return path


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a table written by :func:`write_table`; a missing file raises FileNotFoundError."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no table at {path}")
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def _jsonable(obj: Any) -> Any:
    np = sys.modules.get("numpy")  # a numpy object exists only once numpy was imported
    if np is not None and isinstance(obj, np.generic):
        return obj.item()
    if np is not None and isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def write_json(obj: Any, path: str | os.PathLike) -> Path:
    """Write ``obj`` as indented JSON atomically (numpy scalars/arrays converted)."""
    path = Path(path)
    with atomic_write(path) as fh:
        json.dump(obj, fh, indent=2, default=_jsonable)
        fh.write("\n")
    return path


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file; a missing file raises FileNotFoundError naming it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no JSON file at {path}")
    with open(path) as fh:
        return json.load(fh)
