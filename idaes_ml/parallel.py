"""One ``map`` for many independent jobs: serial by default, Dask when given a cluster.

Data generation, operability grids and multistart all run through :func:`map`.
Every job's outcome is kept -- a value or the error it raised -- in the order of
the inputs, so the serial and the Dask runs return identical results::

    >>> from idaes_ml import parallel
    >>> out = parallel.map(lambda x: 1.0 / x, [1.0, 2.0, 0.0], progress=False)
    >>> out.values(strict=False)
    [1.0, 0.5, None]
    >>> [r.error.split(":")[0] for r in out.failures]
    ['ZeroDivisionError']

``client`` may be ``None`` (serial), ``"local"`` or an ``int`` (a
``dask.distributed.LocalCluster`` with that many single-threaded worker
processes, shut down afterwards), a scheduler address such as
``"tcp://10.0.0.5:8786"``, or an existing ``dask.distributed.Client``.

A job that calls ``sys.exit`` is a failed job (``SystemExit: <code>``), serially and
on Dask alike. On a LocalCluster started here, a job whose worker process dies
(``os._exit``, a segfault, the out-of-memory killer) is retried once on a fresh worker,
then reported as that job's error (``WorkerDied: KilledWorker: ...``); the other jobs'
results are kept, and each worker runs one job at a time, so no other job dies with it.
On a cluster given by address or ``Client`` the retries are that scheduler's
``distributed.scheduler.allowed-failures``, and jobs queued on the dying worker
(``worker-saturation`` above 1) may share its death. Serial jobs run in the calling
process, so a job that kills its process ends the map: use ``client=1`` for jobs that may.
"""

from __future__ import annotations

import builtins
import traceback as _tb
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from tqdm.auto import tqdm

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["ClientSpec", "JobResult", "MapResults", "JobsFailedError", "map"]

#: Times a job whose worker died is retried on a LocalCluster this module starts.
WORKER_DEATH_RETRIES = 1

#: What ``client`` arguments accept: ``None`` (serial), ``"local"``, a worker count,
#: a scheduler address or a ``dask.distributed.Client``.
ClientSpec = Union["Client", str, int, None]


class JobsFailedError(RuntimeError):
    """Raised by :meth:`MapResults.values` when jobs failed and ``strict`` is set."""


@dataclass(frozen=True)
class JobResult:
    """Outcome of one job: its position, its input, and a value or an error."""

    index: int
    item: Any
    value: Any = None
    error: str | None = None
    traceback: str | None = None

    @property
    def ok(self) -> bool:
        """True when the job returned without raising."""
        return self.error is None


class MapResults(Sequence):
    """Ordered job results with helpers to pull out values and failures."""

    def __init__(self, results: list[JobResult]):
        self._results = sorted(results, key=lambda r: r.index)

    def __getitem__(self, i):  # type: ignore[override]
        return self._results[i]

    def __len__(self) -> int:
        return len(self._results)

    def __iter__(self) -> Iterator[JobResult]:
        return iter(self._results)

    @property
    def failures(self) -> list[JobResult]:
        """The jobs that raised, in input order."""
        return [r for r in self._results if not r.ok]

    def values(self, strict: bool = True) -> list[Any]:
        """Values in input order; failed jobs raise (``strict``) or give ``None``."""
        if strict and self.failures:
            raise JobsFailedError(self.summary())
        return [r.value for r in self._results]

    def summary(self, max_lines: int = 10) -> str:
        """A human-readable count of successes and the first failures."""
        lines = [f"{len(self) - len(self.failures)}/{len(self)} jobs succeeded"]
        for r in self.failures[:max_lines]:
            lines.append(f"  job {r.index} (input {r.item!r}): {r.error}")
        if len(self.failures) > max_lines:
            lines.append(f"  ... and {len(self.failures) - max_lines} more failures")
        return "\n".join(lines)


def _run_one(fn: Callable[[Any], Any], index: int, item: Any) -> JobResult:
    try:
        return JobResult(index, item, value=fn(item))
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - every job error is kept, never lost
        return JobResult(
            index, item, error=f"{type(exc).__name__}: {exc}", traceback=_tb.format_exc()
        )


def _dead_job(index: int, item: Any, exc: Exception) -> JobResult:
    """The result of a job that never returned: its worker died (or the task was lost)."""
    return JobResult(
        index, item, error=f"WorkerDied: {type(exc).__name__}: {exc}",
        traceback="".join(_tb.format_exception(exc)),
    )


@contextmanager
def _dask_client(client: ClientSpec) -> Iterator[Client]:
    from dask.distributed import Client, LocalCluster

    if isinstance(client, Client):
        yield client
    elif client == "local" or isinstance(client, int):
        import dask

        n = None if client == "local" else int(client)
        # one job per worker thread at a time: a dying worker takes no queued job with it
        with dask.config.set({"distributed.scheduler.allowed-failures": WORKER_DEATH_RETRIES,
                              "distributed.scheduler.worker-saturation": 1.0}), \
                LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                             dashboard_address=":0") as cluster, Client(cluster) as c:
            yield c
    elif isinstance(client, str):
        with Client(client) as c:
            yield c
    else:
        raise TypeError(
            "client must be None, 'local', an int (local workers), a scheduler "
            f"address or a dask.distributed.Client, not {type(client).__name__}"
        )


def map(  # noqa: A001 - the project's one map, shadowing the builtin on purpose
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    client: ClientSpec = None,
    desc: str | None = None,
    progress: bool = True,
) -> MapResults:
    """Apply ``fn`` to every item, serially or on a Dask cluster.

    Args:
        fn: a function of one argument; with Dask it must be picklable by cloudpickle.
        items: the job inputs.
        client: ``None`` for serial; ``"local"``/``int``/address/``Client`` for Dask.
        desc: label of the progress bar.
        progress: show a tqdm progress bar.

    Returns:
        :class:`MapResults` in input order; jobs that raised (or called ``sys.exit``,
        or whose Dask worker died) carry the error text and traceback instead of a value.
    """
    items = list(items)
    bar = tqdm(total=len(items), desc=desc or getattr(fn, "__name__", "jobs"), disable=not progress)
    results: list[JobResult] = []
    with bar:
        if client is None:
            for i, item in enumerate(items):
                results.append(_run_one(fn, i, item))
                bar.update()
        else:
            from dask.distributed import as_completed

            with _dask_client(client) as c:
                futures = c.map(
                    _run_one, [fn] * len(items), builtins.range(len(items)), items, pure=False
                )
                position = {fut.key: i for i, fut in enumerate(futures)}
                for fut in as_completed(futures):
                    i = position[fut.key]
                    try:
                        results.append(fut.result())
                    except Exception as exc:  # noqa: BLE001 - KilledWorker, lost task: that job's error
                        results.append(_dead_job(i, items[i], exc))
                    bar.update()
    return MapResults(results)
