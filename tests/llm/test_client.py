import asyncio
import pickle
import time

import pytest

from datagenflow.llm import (
    LLMClient,
    LLMConnectionError,
    LLMError,
    LLMHTTPError,
    LLMResponseError,
    LLMTimeoutError,
    Usage,
    get_shared_client,
    normalize_base_url,
)
from datagenflow.llm.mock_server import MockServer, start_mock_server

USER = [{"role": "user", "content": "Tell me about purple elephants"}]


async def test_chat_returns_content_usage_and_model(
    client: LLMClient, mock_server: MockServer
) -> None:
    result = await client.chat(USER, base_url=mock_server.base_url, model="mock-model")
    assert "purple elephants" in result.content
    assert result.model == "mock-model"
    assert result.attempts == 1
    assert result.latency_ms > 0
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.usage.total_tokens == result.usage.prompt_tokens + result.usage.completion_tokens
    assert result.raw["choices"][0]["message"]["content"] == result.content
    assert result.finish_reason == "stop"


async def test_request_carries_parameters_and_bearer_token(
    client: LLMClient, mock_server: MockServer
) -> None:
    await client.chat(
        USER,
        base_url=mock_server.base_url,
        model="m",
        api_key="sk-test",
        temperature=0.3,
        max_tokens=50,
        extra={"top_p": 0.9},
    )
    stats = mock_server.stats()
    assert stats["last_authorization"] == "Bearer sk-test"
    sent = stats["last_request"]
    assert sent["temperature"] == 0.3 and sent["max_tokens"] == 50 and sent["top_p"] == 0.9
    await client.chat(USER, base_url=mock_server.base_url, model="m")
    assert mock_server.stats()["last_authorization"] is None


def test_usage_add_and_to_dict() -> None:
    total = Usage(1, 2, 3) + Usage(10, 20, 30)
    assert total.to_dict() == {"prompt_tokens": 11, "completion_tokens": 22, "total_tokens": 33}
    assert Usage.from_response(None) == Usage()
    assert Usage.from_response({"prompt_tokens": 4, "completion_tokens": None}) == Usage(4, 0, 4)


async def test_missing_usage_and_null_content_give_zeros_and_empty_string(
    client: LLMClient, mock_server: MockServer
) -> None:
    body = {"choices": [{"message": {"role": "assistant", "content": None}}]}
    mock_server.script([{"status": 200, "body": body}])
    result = await client.chat(USER, base_url=mock_server.base_url, model="asked-model")
    assert result.content == ""
    assert result.usage == Usage(0, 0, 0)
    assert result.model == "asked-model"


async def test_429_then_success_honours_retry_after(mock_server: MockServer) -> None:
    client = LLMClient(backoff_base_s=0.001, backoff_max_s=5)
    try:
        mock_server.script([{"status": 429, "retry_after": 0.3}])
        started = time.perf_counter()
        result = await client.chat(USER, base_url=mock_server.base_url, model="m")
        elapsed = time.perf_counter() - started
    finally:
        await client.aclose()
    assert result.attempts == 2
    assert elapsed >= 0.3
    assert mock_server.stats()["by_status"] == {"200": 1, "429": 1}


async def test_500_then_success(client: LLMClient, mock_server: MockServer) -> None:
    mock_server.script([{"status": 500}, {"status": 503}])
    result = await client.chat(USER, base_url=mock_server.base_url, model="m")
    assert result.attempts == 3
    assert "purple elephants" in result.content


async def test_timeout_then_success(mock_server: MockServer) -> None:
    client = LLMClient(timeout_s=0.2, backoff_base_s=0.01)
    try:
        mock_server.script([{"delay_ms": 1000}])
        result = await client.chat(USER, base_url=mock_server.base_url, model="m")
    finally:
        await client.aclose()
    assert result.attempts == 2
    assert "purple elephants" in result.content


async def test_per_call_timeout_overrides_client_default(
    client: LLMClient, mock_server: MockServer
) -> None:
    mock_server.script([{"delay_ms": 800}] * 4)
    with pytest.raises(LLMTimeoutError) as info:
        await client.chat(USER, base_url=mock_server.base_url, model="m", timeout_s=0.1)
    assert mock_server.base_url in str(info.value)
    assert info.value.attempts == 4
    assert info.value.status is None


async def test_400_is_not_retried_and_carries_server_message(
    client: LLMClient, mock_server: MockServer
) -> None:
    mock_server.script([{"status": 400, "message": "model 'nope' does not exist"}])
    with pytest.raises(LLMHTTPError) as info:
        await client.chat(USER, base_url=mock_server.base_url, model="nope")
    err = info.value
    assert err.status == 400
    assert "model 'nope' does not exist" in str(err)
    assert f"{mock_server.base_url}/chat/completions" in str(err)
    assert err.server_message == "model 'nope' does not exist"
    assert mock_server.stats()["requests"] == 1


async def test_invalid_request_is_refused_by_mock_with_400(
    client: LLMClient, mock_server: MockServer
) -> None:
    with pytest.raises(LLMHTTPError, match="non-empty array") as info:
        await client.chat([], base_url=mock_server.base_url, model="m")
    assert info.value.status == 400


async def test_retries_exhausted_names_endpoint_and_attempts(mock_server: MockServer) -> None:
    client = LLMClient(max_retries=2, backoff_base_s=0.001)
    try:
        mock_server.script([{"status": 500, "message": "boom"}] * 3)
        with pytest.raises(LLMError) as info:
            await client.chat(USER, base_url=mock_server.base_url, model="m")
    finally:
        await client.aclose()
    err = info.value
    assert isinstance(err, LLMHTTPError)
    assert err.status == 500 and err.attempts == 3
    message = str(err)
    assert f"{mock_server.base_url}/chat/completions" in message
    assert "boom" in message and "3 attempts" in message
    assert mock_server.stats()["requests"] == 3


async def test_unreachable_endpoint_raises_connection_error() -> None:
    server = await start_mock_server()
    dead_url = server.base_url
    await server.stop()
    client = LLMClient(max_retries=1, backoff_base_s=0.001)
    try:
        with pytest.raises(LLMConnectionError) as info:
            await client.chat(USER, base_url=dead_url, model="m")
        assert dead_url in str(info.value)
        assert info.value.attempts == 2
        assert await client.ping(dead_url) is False
    finally:
        await client.aclose()


async def test_unparsable_body_raises_response_error(
    client: LLMClient, mock_server: MockServer
) -> None:
    mock_server.script([{"status": 200, "body": "<html>gateway says hi</html>"}])
    with pytest.raises(LLMResponseError, match=r"not a JSON object.*gateway says hi"):
        await client.chat(USER, base_url=mock_server.base_url, model="m")
    mock_server.script([{"status": 200, "body": {"error": {"message": "quota gone"}}}])
    with pytest.raises(LLMResponseError, match="quota gone"):
        await client.chat(USER, base_url=mock_server.base_url, model="m")
    assert mock_server.stats()["requests"] == 2


async def test_scripted_content_overrides_the_reply(
    client: LLMClient, mock_server: MockServer
) -> None:
    mock_server.script([{"content": "exactly this"}])
    result = await client.chat(USER, base_url=mock_server.base_url, model="m")
    assert result.content == "exactly this"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://h:1/v1", "http://h:1/v1"),
        ("http://h:1/v1/", "http://h:1/v1"),
        ("http://h:1/v1/chat/completions", "http://h:1/v1"),
        ("  https://api.example.com/v1/chat/completions/ ", "https://api.example.com/v1"),
        ("http://h:1", "http://h:1"),
    ],
)
def test_normalize_base_url(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


def test_normalize_rejects_non_http() -> None:
    with pytest.raises(LLMError, match="invalid LLM base URL"):
        normalize_base_url("localhost:11434")


async def test_every_base_url_spelling_reaches_the_server_and_shares_a_limiter(
    client: LLMClient, mock_server: MockServer
) -> None:
    spellings = [
        mock_server.base_url,
        mock_server.base_url + "/",
        mock_server.base_url + "/chat/completions",
    ]
    for url in spellings:
        result = await client.chat(USER, base_url=url, model="m")
        assert "purple" in result.content
    limiters = {id(client.limiter_for(url)) for url in spellings}
    assert len(limiters) == 1
    assert mock_server.stats()["requests"] == 3


async def test_list_models_and_ping(client: LLMClient, mock_server: MockServer) -> None:
    models = await client.list_models(mock_server.base_url)
    assert "mock-model" in models
    assert await client.ping(mock_server.base_url) is True
    assert await client.ping(mock_server.base_url + "/chat/completions", "key") is True
    assert await client.ping("not a url") is False


async def test_500_concurrent_calls_share_a_bounded_pool(mock_server: MockServer) -> None:
    mock_server.state.latency_ms = 5
    client = LLMClient(max_concurrency=40, backoff_base_s=0.01)
    try:
        results = await asyncio.gather(
            *(
                client.chat(
                    [{"role": "user", "content": f"prompt number {i}"}],
                    base_url=mock_server.base_url,
                    model="m",
                )
                for i in range(500)
            )
        )
    finally:
        await client.aclose()
    assert all(f"prompt number {i}" in r.content for i, r in enumerate(results))
    stats = mock_server.stats()
    assert stats["requests"] == 500
    assert 1 < stats["max_in_flight"] <= 40
    assert stats["connections"] <= 40


async def test_cancelling_a_call_releases_its_slot(mock_server: MockServer) -> None:
    client = LLMClient(max_concurrency=1, backoff_base_s=0.01)
    try:
        mock_server.script([{"delay_ms": 2000}])
        task = asyncio.create_task(client.chat(USER, base_url=mock_server.base_url, model="m"))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        limiter = client.limiter_for(mock_server.base_url)
        assert limiter.in_flight == 0
        result = await asyncio.wait_for(
            client.chat(USER, base_url=mock_server.base_url, model="m"), 1
        )
        assert result.attempts == 1
    finally:
        await client.aclose()


async def test_shared_client_is_one_per_loop(mock_server: MockServer) -> None:
    first = get_shared_client(max_concurrency=8)
    assert get_shared_client() is first
    assert first.max_concurrency == 8
    result = await first.chat(USER, base_url=mock_server.base_url, model="m")
    assert result.attempts == 1

    def in_other_loop() -> LLMClient:
        async def grab() -> LLMClient:
            client = get_shared_client()
            await client.chat(USER, base_url=mock_server_url, model="m")
            await client.aclose()
            return client

        return asyncio.run(grab())

    mock_server_url = mock_server.base_url
    other = await asyncio.to_thread(in_other_loop)
    assert other is not first
    await first.aclose()
    # a closed client reopens its session lazily
    assert (await first.chat(USER, base_url=mock_server.base_url, model="m")).attempts == 1
    await first.aclose()


def test_errors_survive_pickling_for_process_executors() -> None:
    error = LLMHTTPError("boom at url", url="http://h/v1", status=429, server_message="slow")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is LLMHTTPError
    assert (str(copy), copy.status, copy.url, copy.server_message) == (
        "boom at url",
        429,
        "http://h/v1",
        "slow",
    )
    timeout = pickle.loads(pickle.dumps(LLMTimeoutError("late", url="u", attempts=3)))
    assert isinstance(timeout, LLMError) and timeout.attempts == 3 and timeout.status is None
