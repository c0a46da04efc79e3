"""The scoring service's token check: an ASGI middleware asking every route but ``/health`` for
``Authorization: Bearer <token>`` (the ``LIFECYCLE_SERVE_TOKEN`` the service was started with),
compared in constant time."""
from __future__ import annotations

import hmac

from starlette.responses import JSONResponse

OPEN_ROUTES = ("/health",)


class BearerAuth:
    """ASGI middleware: every route but ``/health`` needs ``Authorization: Bearer <token>``."""

    def __init__(self, app, token: str):
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] not in OPEN_ROUTES:
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                response = JSONResponse({"error": "This service needs 'Authorization: Bearer <token>' "
                                                  "(the LIFECYCLE_SERVE_TOKEN it was started with)."},
                                        status_code=401, headers={"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

