"""Model work off the event loop: a thread pool with a bounded queue and client cancellation.

Torch releases the GIL inside its kernels, so a thread pool runs upscales and renders in
parallel without copying the models into processes. The queue is a count of jobs waiting or
running: when it is full a new request is refused at once (503) instead of piling up behind
work that its client may have given up on. Each job gets a :class:`threading.Event` that is set
when the client disconnects; jobs check it between tiles and stop early.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from starlette.requests import Request

T = TypeVar("T")
POLL_S = 0.05  # how often a waiting request checks that its client is still connected


class Busy(Exception):
    """Every queue slot is taken."""


class ClientGone(Exception):
    """The client disconnected before its job finished; the job was told to stop."""


class WorkPool:
    """``workers`` threads and at most ``queue_size`` jobs waiting or running.

    Args:
        workers: Threads that run jobs (about the number of cores).
        queue_size: Jobs accepted at once, running ones included.
    """

    def __init__(self, workers: int, queue_size: int) -> None:
        if workers < 1 or queue_size < 1:
            raise ValueError(f"workers and queue_size must be >= 1, got {workers}, {queue_size}")
        self.queue_size = queue_size
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inrkit")
        self._lock = threading.Lock()
        self._in_flight = 0
        self._stops: set[threading.Event] = set()

    @property
    def in_flight(self) -> int:
        """Jobs waiting or running now."""
        return self._in_flight

    def submit(self, job: Callable[[threading.Event], T]) -> tuple[Future[T], threading.Event]:
        """Queue ``job(stop)``, or raise :class:`Busy` when the queue is full."""
        with self._lock:
            if self._in_flight >= self.queue_size:
                raise Busy(f"the server is busy ({self.queue_size} jobs queued); try again soon")
            self._in_flight += 1
            stop = threading.Event()
            self._stops.add(stop)

        def release(_: Future[T]) -> None:
            with self._lock:
                self._in_flight -= 1
                self._stops.discard(stop)

        try:
            future = self._executor.submit(job, stop)
        except RuntimeError:  # shut down
            release(Future())
            raise Busy("the server is shutting down") from None
        future.add_done_callback(release)
        return future, stop

    async def run(self, request: Request, job: Callable[[threading.Event], T]) -> T:
        """Run ``job`` in the pool and await it, stopping it when the client disconnects.

        Raises:
            Busy: The queue is full (nothing was started).
            ClientGone: The client left; the job has been stopped (and has finished).
        """
        future, stop = self.submit(job)
        waiting = asyncio.wrap_future(future)
        while True:
            done, _ = await asyncio.wait({waiting}, timeout=POLL_S)
            if done:
                return waiting.result()
            if await request.is_disconnected():
                stop.set()
                # Wait for the worker to notice, so the queue slot is free when we return.
                await asyncio.wait({waiting})
                if not waiting.cancelled():
                    waiting.exception()  # retrieved: the stop exception is expected here
                raise ClientGone("client disconnected")

    def shutdown(self) -> None:
        """Stop running jobs and drop waiting ones."""
        with self._lock:
            for stop in self._stops:
                stop.set()
        self._executor.shutdown(wait=False, cancel_futures=True)
