"""`panel web`: the residents' pages, served by uvicorn."""

from __future__ import annotations

import argparse

from .i18n import _
from .settings import Settings


def add_commands(commands: argparse._SubParsersAction) -> None:
    web = commands.add_parser(
        "web",
        help="serve the residents' pages",
        description=(
            "Serve the residents' pages (answering surveys, unsubscribing) over HTTP, behind a "
            "TLS reverse proxy. Forwarded headers are believed only from PANEL_WEB_TRUSTED_PROXIES."
        ),
    )
    web.add_argument("--host", help="the address to listen on (default: PANEL_WEB_HOST)")
    web.add_argument("--port", type=int, help="the port (default: PANEL_WEB_PORT)")
    web.set_defaults(handler=cmd_web)


def web_config(settings: Settings):
    from web.config import WebConfig

    return WebConfig(
        base_url=settings.base_url,
        language=settings.language,
        max_body_bytes=settings.web_max_body_bytes,
    )


def cmd_web(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from web.app import create_app

    from .backend import open_backend

    backend = open_backend(settings)
    host, port = args.host or settings.web_host, args.port or settings.web_port
    print(_("Serving the residents' pages on http://{host}:{port}/").format(host=host, port=port),
          flush=True)  # fmt: skip
    try:
        uvicorn.run(
            create_app(backend.db, backend.key, web_config(settings)),
            host=host,
            port=port,
            proxy_headers=bool(settings.web_trusted_proxies),
            forwarded_allow_ips=settings.web_trusted_proxies or None,
            server_header=False,
            log_level="warning",
        )
    finally:
        backend.close()
    return 0
