"""Where a hyperparameter search fits its candidates: one after another in this process, or all at
once on a Dask cluster when ``LIFECYCLE_DASK_SCHEDULER`` names a scheduler.

The cluster path is joblib's Dask backend (``joblib.parallel_config(backend="dask")``, joblib
``_dask.DaskDistributedBackend``): ``Parallel(return_as="generator")`` hands every candidate's
cross-validation to the cluster as one task and yields the results in candidate order, so the
search loop records each run as before (``search.run_search`` stays the one place runs are
stored). The training frames are scattered to the workers once per round, not sent per task.
Results are the same as in process: every trial is seeded and independent of the others.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Sequence
from threading import Event

from lifecycle import config
from lifecycle.develop.catalogue import Algorithm
from lifecycle.develop.training import TrainingData, trial
from lifecycle.errors import InputError

CONNECT_SECONDS = 5  # how long to wait for the scheduler before saying it cannot be reached


@contextmanager
def dask_client(address: str) -> Iterator[Any]:
    """A ``distributed.Client`` connected to ``address`` for the block, closed after it.

    Raises InputError naming the address and the setting when the scheduler cannot be reached
    within ``CONNECT_SECONDS``."""
    from distributed import Client

    try:
        client = Client(address, timeout=f"{CONNECT_SECONDS}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(
            f"The Dask scheduler at {address!r} (setting {config.DASK_SCHEDULER}) cannot be reached: "
            f"{' '.join(str(error).split()) or type(error).__name__}.",
            f"Start the scheduler (`dask scheduler`) and its workers at that address, correct "
            f"{config.DASK_SCHEDULER}, or unset it to search in this process.") from None
    try:
        yield client
    finally:
        client.close()


def fitted_trials(data: TrainingData, *, algorithm: Algorithm, candidates: Sequence[dict[str, Any]], seed: int,
                  folds: int, metrics: list[str], n_samples: int, cancel: Event | None = None,
                  client: Any = None) -> Iterator[dict[str, Any]]:
    """Each candidate's trial fields (``training.trial``), in candidate order.

    Without ``client``: one trial at a time in this process, none started once ``cancel`` is set.
    With a ``distributed.Client``: every trial is submitted to its cluster at once and yielded as
    it completes in order; closing the generator early (a cancel) drops the trials not yet yielded.
    """
    if client is None:
        for params in candidates:
            if cancel is not None and cancel.is_set():
                return
            yield trial(data, algorithm=algorithm, params=params, seed=seed, folds=folds, metrics=metrics,
                        n_samples=n_samples)
        return
    from joblib import Parallel, delayed, parallel_config

    with parallel_config(backend="dask", client=client, scatter=[data]):  # read when Parallel is made
        parallel = Parallel(n_jobs=-1, return_as="generator")
    yield from parallel(delayed(trial_on_worker)(data, algorithm=algorithm, params=params, seed=seed, folds=folds,
                                                 metrics=metrics, n_samples=n_samples) for params in candidates)


def trial_on_worker(data: TrainingData, **arguments: Any) -> dict[str, Any]:
    """``training.trial`` as one cluster task: its cross-validation fits the folds one after another
    on the worker (joblib's nested backend would otherwise be Dask again, from inside a task)."""
    from joblib import parallel_config

    with parallel_config(backend="sequential"):
        return trial(data, **arguments)
