"""The cores shared by turns (one job computes at a time, with every core; busy jobs alternate
between chunks), and the server's precision."""

from __future__ import annotations

import platform
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from testlib.server import make_app, png_bytes, serving

from inrkit.errors import InrkitError
from inrkit.nn import precision
from inrkit.server import work
from inrkit.server.work import Turns, WorkPool

TIMEOUT = 120


def test_a_lone_job_never_waits() -> None:
    turns = Turns()
    with turns.hold():
        for _ in range(100):
            turns.offer()  # nobody waits: returns at once, keeps the turn
    assert turns.handovers == 0


def test_busy_jobs_alternate_piece_by_piece() -> None:
    turns, log = Turns(), []
    a_started = threading.Event()

    def job(name: str, pieces: int) -> None:
        with turns.hold():
            for i in range(pieces):
                log.append(name)
                if name == "a" and i == 0:
                    a_started.set()
                    time.sleep(0.2)  # b queues meanwhile
                turns.offer()

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(job, "a", 4)
        assert a_started.wait(10)
        second = pool.submit(job, "b", 4)
        first.result(10), second.result(10)
    # a alone at first, then one piece each, in turn, until a is done.
    assert log[:1] == ["a"] and log.count("a") == log.count("b") == 4
    assert "abab" in "".join(log), log
    assert turns.handovers >= 3


def test_arrival_order_is_kept() -> None:
    turns, order = Turns(), []
    gate = threading.Event()

    def holder() -> None:
        with turns.hold():
            gate.wait(10)

    def waiter(name: str) -> None:
        with turns.hold():
            order.append(name)

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    time.sleep(0.1)
    for name in "xyz":
        threads.append(threading.Thread(target=waiter, args=(name,)))
        threads[-1].start()
        time.sleep(0.1)  # x, then y, then z queue
    gate.set()
    for t in threads:
        t.join(10)
    assert order == ["x", "y", "z"]


def test_two_upscales_take_turns_and_both_finish():
    app = make_app(workers=2, queue_size=4)
    data = png_bytes(96, 96)
    with serving(app) as url, ThreadPoolExecutor(2) as threads:
        post = lambda _: httpx.post(  # noqa: E731
            f"{url}/api/upscale",
            files={"image": ("in.png", data, "image/png")},
            data={"scale": "4"},
            timeout=TIMEOUT,
        )
        answers = list(threads.map(post, range(2)))
        assert [r.status_code for r in answers] == [200, 200]
        assert answers[0].content == answers[1].content
    assert app.state.pool.turns.handovers > 0  # they alternated between chunks


def test_server_precision(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    with serving(make_app(precision="bf16")) as url:
        assert httpx.get(f"{url}/api/models", timeout=TIMEOUT).json()["precision"] == "bf16"
        files = {"image": ("in.png", png_bytes(16, 16), "image/png")}
        response = httpx.post(
            f"{url}/api/upscale", files=files, data={"scale": "2"}, timeout=TIMEOUT
        )
        assert response.status_code == 200
        body = {"rotation": 0.3}
        frame = httpx.post(f"{url}/api/giraffe/render", json=body, timeout=TIMEOUT)
        assert frame.status_code == 200
    with pytest.raises(InrkitError, match="fp16"):
        make_app(precision="fp16")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_the_pool_threads_share_the_main_malloc_arena(monkeypatch) -> None:
    """glibc accepts the setting (mallopt returns 1), and the pool sets it before it starts
    its threads."""
    assert work.share_malloc_arena() is True
    threads_then: list[int] = []
    real = work.share_malloc_arena
    monkeypatch.setattr(
        work, "share_malloc_arena", lambda: threads_then.append(threading.active_count()) or real()
    )
    before = threading.active_count()
    pool = WorkPool(workers=2, queue_size=2)
    try:
        assert threads_then == [before]  # called once, before any pool thread existed
        assert pool.submit(lambda stop: 7)[0].result(timeout=10) == 7
    finally:
        pool.shutdown()
