"""The parse stage on a Dask cluster: a local one of one-thread worker
processes (``kg build --workers N``) or an existing one (``--scheduler``).

Tasks are pickled, so what runs on a worker must be a module-level function
and its arguments must unpickle there: every worker of a remote cluster needs
the same kg and the same models installed.  Each worker process loads the
Stanza pipeline once (kg.parse.load_pipeline is cached per process) and keeps
it for every batch it is given.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence, TypeVar

from distributed import Client, LocalCluster, as_completed
from distributed.diagnostics.plugin import WorkerPlugin

T = TypeVar("T")
R = TypeVar("R")


class OneTorchThread(WorkerPlugin):
    """Each worker parses with one torch thread: the parallelism is the
    workers, and torch's own pool in every worker would fight over the same
    cores.  kg.parse.load_pipeline reads KG_TORCH_THREADS when it loads."""

    name = "kg-one-torch-thread"

    def setup(self, worker) -> None:
        os.environ["KG_TORCH_THREADS"] = "1"


@contextmanager
def connect(workers: int | None = None, scheduler: str | None = None) -> Iterator[Client]:
    """A client on the cluster at ``scheduler`` (tcp://HOST:PORT), or on a new
    loopback-only LocalCluster of ``workers`` single-thread processes that is
    shut down on exit."""
    if (workers is None) == (scheduler is None):
        raise ValueError("give either a number of workers or a scheduler address")
    cluster = None
    if scheduler is None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
    client = Client(cluster if cluster is not None else scheduler)
    try:
        client.register_plugin(OneTorchThread())
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def map_unordered(client: Client, function: Callable[..., R], batches: Sequence[T],
                  *args: Any) -> Iterator[tuple[int, R]]:
    """(index, function(batch, *args)) for every batch, as the workers finish
    them; a task's exception is raised here."""
    futures = {client.submit(function, batch, *args, pure=False): index for index, batch in enumerate(batches)}
    for future in as_completed(futures):
        yield futures[future], future.result()
