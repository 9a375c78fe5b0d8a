"""OpenAI-compatible chat client built for throughput.

One pooled session per client (keep-alive connections are most of the speed), an adaptive
concurrency limit per endpoint, and retries with full-jitter backoff for what is transient:
connection failures, timeouts, 5xx and 429.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from datagenflow.llm.endpoints import normalize_base_url
from datagenflow.llm.errors import (
    LLMConnectionError,
    LLMError,
    LLMHTTPError,
    LLMResponseError,
    LLMTimeoutError,
    attempts_suffix,
    excerpt,
)
from datagenflow.llm.ratelimit import AdaptiveLimiter
from datagenflow.llm.types import ChatResult, Usage

_USER_AGENT = "datagenflow-llm/0.1"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_loads = json.loads


class _Endpoint:
    """Per base-URL constants, computed once so the hot path does no string work."""

    __slots__ = ("base", "chat_url", "limiter", "models_url")

    def __init__(self, base: str, limiter: AdaptiveLimiter) -> None:
        self.base = base
        self.chat_url = base + "/chat/completions"
        self.models_url = base + "/models"
        self.limiter = limiter


class LLMClient:
    """Chat completions against any OpenAI-compatible server.

    The session is created lazily on the running loop (and again if used from another loop),
    so a client can be built at import or configuration time without a loop.
    """

    def __init__(
        self,
        *,
        max_concurrency: int = 64,
        timeout_s: float = 120,
        max_retries: int = 5,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.max_concurrency = max_concurrency
        self.timeout_s = timeout_s
        self.max_retries = max(0, max_retries)
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._endpoints: dict[str, _Endpoint] = {}
        self._limiters: dict[str, AdaptiveLimiter] = {}
        self._headers: dict[tuple[str, bool], dict[str, str]] = {}
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

    async def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        base_url: str,
        model: str,
        api_key: str = "",
        temperature: float | None = None,
        max_tokens: int | None = None,
        response_format: dict[str, Any] | None = None,
        timeout_s: float | None = None,
        extra: dict[str, Any] | None = None,
    ) -> ChatResult:
        started = time.perf_counter()
        endpoint = self._endpoints.get(base_url) or self._add_endpoint(base_url)
        payload: dict[str, Any] = {"model": model, "messages": messages}
        if temperature is not None:
            payload["temperature"] = temperature
        if max_tokens is not None:
            payload["max_tokens"] = max_tokens
        if response_format is not None:
            payload["response_format"] = response_format
        if extra:
            payload.update(extra)
        body, attempts = await self._send(
            "POST", endpoint, endpoint.chat_url, _dumps(payload).encode(), api_key, timeout_s
        )
        data = _parse_json(body, endpoint.chat_url, attempts)
        content = _content_of(data, endpoint.chat_url, attempts)
        reply_model = data.get("model")
        return ChatResult(
            content,
            Usage.from_response(data.get("usage")),
            reply_model if isinstance(reply_model, str) and reply_model else model,
            data,
            attempts,
            (time.perf_counter() - started) * 1000.0,
        )

    async def list_models(
        self, base_url: str, api_key: str = "", *, timeout_s: float | None = None
    ) -> list[str]:
        endpoint = self._endpoints.get(base_url) or self._add_endpoint(base_url)
        body, attempts = await self._send(
            "GET", endpoint, endpoint.models_url, None, api_key, timeout_s
        )
        data = _parse_json(body, endpoint.models_url, attempts)
        entries = data.get("data")
        if not isinstance(entries, list):
            entries = data.get("models")
        if not isinstance(entries, list):
            raise LLMResponseError(
                f"LLM endpoint {endpoint.models_url} returned no model list: "
                f"{excerpt(body.decode('utf-8', 'replace'))}",
                url=endpoint.models_url,
                attempts=attempts,
            )
        names: list[str] = []
        for entry in entries:
            if isinstance(entry, dict):
                name = entry.get("id") or entry.get("name")
                if isinstance(name, str):
                    names.append(name)
            elif isinstance(entry, str):
                names.append(entry)
        return names

    async def ping(self, base_url: str, api_key: str = "", timeout_s: float = 2) -> bool:
        """One quick GET of the model list, outside the limiter so a busy job cannot starve it."""
        try:
            endpoint = self._endpoints.get(base_url) or self._add_endpoint(base_url)
            session = self._session_for_loop()
            async with session.get(
                endpoint.models_url,
                headers=self._headers_for(api_key, False),
                timeout=self._timeout_for(timeout_s),
            ) as resp:
                await resp.read()
                return 200 <= resp.status < 300
        except (aiohttp.ClientError, TimeoutError, LLMError, ValueError):
            return False

    def limiter_for(self, base_url: str) -> AdaptiveLimiter:
        return (self._endpoints.get(base_url) or self._add_endpoint(base_url)).limiter

    async def aclose(self) -> None:
        session, self._session = self._session, None
        loop, self._loop = self._loop, None
        if session is None or session.closed:
            return
        if loop is asyncio.get_running_loop():
            await session.close()

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _send(
        self,
        method: str,
        endpoint: _Endpoint,
        url: str,
        body: bytes | None,
        api_key: str,
        timeout_s: float | None,
    ) -> tuple[bytes, int]:
        session = self._session_for_loop()
        headers = self._headers_for(api_key, body is not None)
        timeout = self._timeout_for(timeout_s)
        limiter = endpoint.limiter
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            try:
                async with (
                    limiter as epoch,
                    session.request(
                        method, url, data=body, headers=headers, timeout=timeout
                    ) as resp,
                ):
                    status = resp.status
                    payload = await resp.read()
                    if 200 <= status < 300:
                        limiter.on_success()
                        return payload, attempt
                    if status == 429:
                        limiter.on_throttle(epoch)
                    if status == 429 or status >= 500:
                        retry_after = _retry_after(resp.headers)
                error: LLMError = _http_error(url, status, payload, attempt)
                if status != 429 and status < 500:
                    raise error
            except TimeoutError:
                seconds = timeout.total
                error = LLMTimeoutError(
                    f"LLM endpoint {url} did not answer within {seconds:g} s"
                    f"{attempts_suffix(attempt)}",
                    url=url,
                    attempts=attempt,
                )
            except aiohttp.ClientError as exc:
                error = LLMConnectionError(
                    f"cannot reach LLM endpoint {url}: {exc or type(exc).__name__}"
                    f"{attempts_suffix(attempt)}",
                    url=url,
                    attempts=attempt,
                )
            if attempt > self.max_retries:
                raise error
            await asyncio.sleep(self._backoff(attempt, retry_after))

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.backoff_max_s)
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2 ** (attempt - 1)))
        return random.uniform(0.0, ceiling)

    def _add_endpoint(self, base_url: str) -> _Endpoint:
        base = normalize_base_url(base_url)
        limiter = self._limiters.get(base)
        if limiter is None:
            limiter = self._limiters[base] = AdaptiveLimiter(self.max_concurrency)
        endpoint = self._endpoints[base_url] = _Endpoint(base, limiter)
        return endpoint

    def _session_for_loop(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None and self._loop is loop and not session.closed:
            return session
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, keepalive_timeout=60)
        session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout_for(None),
            headers={"User-Agent": _USER_AGENT},
        )
        self._session, self._loop = session, loop
        return session

    def _headers_for(self, api_key: str, has_body: bool) -> dict[str, str]:
        key = (api_key, has_body)
        headers = self._headers.get(key)
        if headers is None:
            headers = {"Accept": "application/json"}
            if has_body:
                headers["Content-Type"] = "application/json"
            if api_key:
                headers["Authorization"] = f"Bearer {api_key}"
            self._headers[key] = headers
        return headers

    def _timeout_for(self, timeout_s: float | None) -> aiohttp.ClientTimeout:
        seconds = self.timeout_s if timeout_s is None else timeout_s
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            timeout = self._timeouts[seconds] = aiohttp.ClientTimeout(total=seconds)
        return timeout


def _http_error(url: str, status: int, payload: bytes, attempts: int) -> LLMHTTPError:
    server_message = _server_message(payload)
    return LLMHTTPError(
        f"LLM endpoint {url} answered HTTP {status}: {server_message}{attempts_suffix(attempts)}",
        url=url,
        status=status,
        server_message=server_message,
        attempts=attempts,
    )


def _server_message(payload: bytes) -> str:
    """OpenAI, vLLM, Ollama and proxies each nest their error text differently."""
    text = payload.decode("utf-8", "replace").strip()
    if not text:
        return "(empty body)"
    try:
        data = _loads(text)
    except ValueError:
        return excerpt(text)
    message: Any = None
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict):
            message = err.get("message") or err.get("msg")
        elif isinstance(err, str):
            message = err
        if not message:
            message = data.get("message") or data.get("detail")
    return excerpt(message if isinstance(message, str) else json.dumps(message or data))


def _retry_after(headers: Any) -> float | None:
    """Seconds to wait per the server (`retry-after-ms`, `Retry-After` seconds or HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _parse_json(body: bytes, url: str, attempts: int) -> dict[str, Any]:
    try:
        data = _loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise LLMResponseError(
            f"LLM endpoint {url} returned a body that is not a JSON object: "
            f"{excerpt(body.decode('utf-8', 'replace')) or '(empty body)'}",
            url=url,
            attempts=attempts,
        )
    return data


def _content_of(data: dict[str, Any], url: str, attempts: int) -> str:
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        detail = _server_message(_dumps(data).encode()) if "error" in data else "no choices"
        raise LLMResponseError(
            f"LLM endpoint {url} returned no completion: {detail}", url=url, attempts=attempts
        )
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)
