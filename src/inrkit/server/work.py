"""Model work off the event loop: a thread pool with a bounded queue, turns on the cores, and
client cancellation.

Torch releases the GIL inside its kernels, so a thread pool runs upscales and renders without
copying the models into processes. The queue is a count of jobs waiting or running: when it
is full a new request is refused at once (503) instead of piling up behind work that its
client may have given up on. Each job gets a :class:`threading.Event` that is set when the
client disconnects; jobs check it between chunks and stop early.

The cores are shared by :class:`Turns`: torch's intra-op thread count is one setting for the
whole process, so instead of splitting it among the jobs (and oversubscribing the cores while
they change), one job computes at a time with every core, and the busy jobs take turns between
chunks. A job alone runs as fast as the command line; two jobs each get half of the machine;
a short request behind a long one waits for one chunk, not for the whole job. The pool's
threads allocate from the main thread's malloc arena (:func:`share_malloc_arena`), so that a
new worker thread is as fast as the main thread from its first job.
"""

from __future__ import annotations

import asyncio
import ctypes
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from starlette.requests import Request

T = TypeVar("T")
POLL_S = 0.05  # how often a waiting request checks that its client is still connected
M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)


def share_malloc_arena() -> bool:
    """Make threads started from now on allocate from the main thread's malloc arena (glibc);
    True when set, False where there is no glibc ``mallopt`` (macOS, Windows, musl).

    glibc gives each new thread an arena of its own that starts empty, so a worker thread's
    first upscales fault in fresh pages for every large tensor: measured on 2 cores (256x256 ->
    x4, bf16), a pool thread took 8.6, 7.9 and 6.9 s for its first three upscales against 6.0 s
    in the main thread, and the server 1.16x the command line. One arena costs nothing here,
    since one job computes at a time (:class:`Turns`).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(M_ARENA_MAX, 1))


class Busy(Exception):
    """Every queue slot is taken."""


class ClientGone(Exception):
    """The client disconnected before its job finished; the job was told to stop."""


class Skipped(Exception):
    """The client left while its job waited for a turn: the job never ran."""


class Turns:
    """One job at a time computes; jobs waiting for the cores are served in arrival order."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._line: deque[object] = deque()  # tickets of the jobs waiting for a turn
        self._busy = False
        self.handovers = 0
        """How many times a job gave the cores to a waiting one (read by the tests)."""

    def _take(self) -> None:
        ticket = object()
        with self._cond:
            self._line.append(ticket)
            self._cond.wait_for(lambda: not self._busy and self._line[0] is ticket)
            self._line.popleft()
            self._busy = True

    def _give(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Compute inside: wait for the turn, and give it back at the end."""
        self._take()
        try:
            yield
        finally:
            self._give()

    def offer(self) -> None:
        """Between two pieces of work (inside :meth:`hold`): when another job waits, let it
        compute first, and queue again behind it."""
        with self._cond:
            if not self._line:
                return
            self.handovers += 1
        self._give()
        self._take()


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
        share_malloc_arena()  # before the executor starts its threads
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inrkit")
        self.turns = Turns()
        self._lock = threading.Lock()
        self._in_flight = 0
        self._stops: set[threading.Event] = set()

    @property
    def in_flight(self) -> int:
        """Jobs waiting or running now."""
        return self._in_flight

    def submit(self, job: Callable[[threading.Event], T]) -> tuple[Future[T], threading.Event]:
        """Queue ``job(stop)``, or raise :class:`Busy` when the queue is full.

        The job runs holding a turn of :attr:`turns`; it should call ``turns.offer()`` between
        pieces of its work, so that the other busy jobs get their share of the cores.
        """
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

        def in_turn(stop: threading.Event) -> T:
            with self.turns.hold():
                if stop.is_set():
                    raise Skipped("the client left before the job started")
                return job(stop)

        try:
            future = self._executor.submit(in_turn, stop)
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
