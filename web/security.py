"""What keeps the residents' pages safe: headers on every response, a limit on request size,
CSRF protection that works for plain forms, and rate limits.

CSRF: every form carries a hidden field, an HMAC under the server key of the page's path and
the time it was made, accepted for a day. A post is refused too when the browser says it comes
from another site (Origin, or Sec-Fetch-Site). The one-click unsubscribe of RFC 8058 is the
exception by design: mail clients post it with no form, and its link is its own proof.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable

from store.secrets import ServerKey

CSRF_FIELD = "csrf"
CSRF_SECONDS = 24 * 3600

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def csrf_token(key: ServerKey, path: str, now: float | None = None) -> str:
    stamp = str(int(now if now is not None else time.time()))
    return f"{stamp}.{key.mac('csrf', f'{path}|{stamp}')[:32]}"


def csrf_ok(key: ServerKey, path: str, token: str | None, now: float | None = None) -> bool:
    stamp, _, mac = (token or "").partition(".")
    if not stamp.isdigit() or len(stamp) > 12:
        return False
    age = (now if now is not None else time.time()) - int(stamp)
    return 0 <= age <= CSRF_SECONDS and key.mac_ok("csrf", f"{path}|{stamp}", mac, length=32)


def cross_site(headers, origin: str) -> bool:
    """The browser says this request was made by another site.

    `Origin: null` says nothing: with `Referrer-Policy: no-referrer`, which these pages set,
    browsers send it for their own form posts. Sec-Fetch-Site then decides, where sent.
    """
    sent = headers.get("origin")
    if sent not in (None, "null") and sent.rstrip("/") != origin:
        return True
    return headers.get("sec-fetch-site") not in (None, "same-origin", "none")


class RateLimiter:
    """At most `limit` events per key in any `window` seconds (a sliding window, in memory:
    one web process; run one per machine, as the deployment notes say)."""

    def __init__(self, limit: int, window: float = 60.0, clock=time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[str, deque[float]] = {}

    def allow(self, key: str) -> float:
        """0 if allowed (and counted); else the seconds until it would be."""
        now = self.clock()
        times = self._seen.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return times[0] + self.window - now
        times.append(now)
        if len(self._seen) > 100_000:  # forget the quiet ones
            self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - self.window}
        return 0.0


ASGIApp = Callable[
    [dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]
]


class Guard:
    """ASGI middleware: security headers on every response; bodies over the limit refused."""

    def __init__(
        self, app: ASGIApp, *, max_body: int, too_large: Callable[[dict], Awaitable[bytes]]
    ) -> None:
        self.app, self.max_body, self.too_large = app, max_body, too_large

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in HEADERS if n not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await self._refuse(scope, send_with_headers)
            return
        received = 0

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge
            return message

        started = False

        async def tracking_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send_with_headers(message)

        try:
            await self.app(scope, counted, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send_with_headers)

    async def _refuse(self, scope: dict, send) -> None:
        body = await self.too_large(scope)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass
