import asyncio

import pytest

from datagenflow.llm import AdaptiveLimiter, LLMClient
from datagenflow.llm.mock_server import MockServer


def test_throttle_halves_once_per_epoch_and_window() -> None:
    limiter = AdaptiveLimiter(64, cut_window_s=0)
    assert limiter.limit == 64
    assert limiter.on_throttle(epoch=0) is True
    assert limiter.limit == 32
    assert limiter.on_throttle(epoch=0) is False
    assert limiter.limit == 32
    assert limiter.on_throttle(epoch=1) is True
    assert limiter.limit == 16


def test_throttle_without_epoch_is_limited_by_the_window() -> None:
    limiter = AdaptiveLimiter(64, cut_window_s=60)
    assert limiter.on_throttle() is True
    for _ in range(50):
        limiter.on_throttle()
    assert limiter.limit == 32


def test_limit_never_below_one() -> None:
    limiter = AdaptiveLimiter(4, cut_window_s=0)
    for _ in range(10):
        limiter.on_throttle()
    assert limiter.limit == 1


def test_growth_is_additive_and_capped() -> None:
    limiter = AdaptiveLimiter(8, cut_window_s=0)
    limiter.on_throttle()
    assert limiter.limit == 4
    for _ in range(3):
        limiter.on_success()
    assert limiter.limit == 4
    limiter.on_success()
    assert limiter.limit == 5
    for _ in range(1000):
        limiter.on_success()
        assert limiter.limit <= 8
    assert limiter.limit == 8


async def test_acquire_blocks_at_limit_and_release_wakes_in_order() -> None:
    limiter = AdaptiveLimiter(2)
    await limiter.acquire()
    await limiter.acquire()
    order: list[int] = []

    async def waiter(n: int) -> None:
        async with limiter:
            order.append(n)

    tasks = [asyncio.create_task(waiter(n)) for n in range(3)]
    await asyncio.sleep(0.01)
    assert order == [] and limiter.waiting == 3
    limiter.release()
    limiter.release()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2]
    assert limiter.in_flight == 0


async def test_cancelled_waiter_does_not_leak_a_slot() -> None:
    limiter = AdaptiveLimiter(1)
    await limiter.acquire()
    blocked = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    blocked.cancel()
    with pytest.raises(asyncio.CancelledError):
        await blocked
    limiter.release()
    assert limiter.in_flight == 0
    await asyncio.wait_for(limiter.acquire(), 0.5)
    assert limiter.in_flight == 1


async def test_waiter_cancelled_after_being_granted_passes_the_slot_on() -> None:
    limiter = AdaptiveLimiter(1)
    await limiter.acquire()
    granted = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    limiter.release()
    granted.cancel()
    with pytest.raises(asyncio.CancelledError):
        await granted
    assert limiter.in_flight == 0


async def test_cut_lowers_admissions_until_slots_free() -> None:
    limiter = AdaptiveLimiter(4, cut_window_s=0)
    for _ in range(4):
        await limiter.acquire()
    limiter.on_throttle()
    assert limiter.limit == 2
    late = asyncio.create_task(limiter.acquire())
    limiter.release()
    limiter.release()
    await asyncio.sleep(0)
    assert not late.done()
    limiter.release()
    await asyncio.wait_for(late, 0.5)
    assert limiter.in_flight == 2


async def test_client_cuts_on_429_and_grows_back_to_max(mock_server: MockServer) -> None:
    client = LLMClient(max_concurrency=8, backoff_base_s=0.001)
    limiter = client.limiter_for(mock_server.base_url)
    try:
        mock_server.script([{"status": 429, "retry_after": 0}])
        result = await client.chat(
            [{"role": "user", "content": "hi"}], base_url=mock_server.base_url, model="m"
        )
        assert result.attempts == 2
        assert limiter.limit == 4
        for _ in range(60):
            await client.chat(
                [{"role": "user", "content": "hi"}], base_url=mock_server.base_url, model="m"
            )
            assert limiter.limit <= 8
        assert limiter.limit == 8
    finally:
        await client.aclose()


async def test_burst_of_429s_cuts_once(mock_server: MockServer) -> None:
    client = LLMClient(max_concurrency=16, backoff_base_s=0.001)
    try:
        mock_server.script([{"status": 429, "delay_ms": 50, "retry_after": 0}] * 10)
        results = await asyncio.gather(
            *(
                client.chat(
                    [{"role": "user", "content": f"x{i}"}], base_url=mock_server.base_url, model="m"
                )
                for i in range(10)
            )
        )
        assert all(r.attempts == 2 for r in results)
        # halved once (16 -> 8, not 16 -> 1), then +1 after its first 8 successes
        assert client.limiter_for(mock_server.base_url).limit == 9
    finally:
        await client.aclose()
