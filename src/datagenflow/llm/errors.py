"""Client errors; each message names the endpoint so a failed record explains itself."""

from __future__ import annotations

from typing import Any

_EXCERPT_CHARS = 300


class LLMError(Exception):
    """Base of every client failure; `status` is the HTTP status when the server answered."""

    def __init__(
        self,
        message: str,
        *,
        url: str = "",
        status: int | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.status = status
        self.attempts = attempts

    def __reduce__(self) -> tuple[Any, ...]:
        """Keyword-only fields defeat Exception's default pickling, which process pools need."""
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


def _rebuild(cls: type[LLMError], args: tuple[Any, ...], state: dict[str, Any]) -> LLMError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class LLMHTTPError(LLMError):
    """The server answered with an error status; `server_message` is its own explanation."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status: int,
        server_message: str,
        attempts: int = 1,
    ) -> None:
        super().__init__(message, url=url, status=status, attempts=attempts)
        self.server_message = server_message


class LLMTimeoutError(LLMError):
    """No complete answer within the timeout; retried, since slow servers often recover."""


class LLMConnectionError(LLMError):
    """The endpoint could not be reached or dropped the connection."""


class LLMResponseError(LLMError):
    """The server answered 2xx but with a body that is not a chat completion we can read."""


def excerpt(text: str, limit: int = _EXCERPT_CHARS) -> str:
    """Error bodies can be whole HTML pages; keep messages one readable line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def attempts_suffix(attempts: int) -> str:
    return f" (after {attempts} attempts)" if attempts > 1 else ""
