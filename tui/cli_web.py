"""`panel web`: the residents' pages, served by uvicorn."""

from __future__ import annotations

import argparse
import asyncio
import socket
import threading

from .i18n import _
from .settings import Settings


def add_commands(commands: argparse._SubParsersAction) -> None:
    web = commands.add_parser(
        "web",
        help="serve the residents' pages",
        description=(
            "Serve the residents' pages (joining, answering surveys, unsubscribing, my data) over "
            "HTTP, behind a TLS reverse proxy. Forwarded headers are believed only from "
            "PANEL_WEB_TRUSTED_PROXIES."
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
        mail_from=settings.mail_from,
        privacy_version=settings.privacy_notice_version,
        municipality=settings.municipality,
        results_min_group=settings.results_min_group,
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


class SiteThread:
    """The residents' pages served from a thread of this process, as the demo runs them: on
    `host:port`, or on a free port when that one is taken. `url` is where they answer."""

    def __init__(self, settings: Settings, host: str, port: int) -> None:
        self.settings, self.host = settings, host
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
        except OSError:  # taken: any free port will do for a demo
            self.socket.bind((host, 0))
        self.url = f"http://{host}:{self.socket.getsockname()[1]}"
        self.server = None
        self.thread: threading.Thread | None = None

    def start(self) -> SiteThread:
        import uvicorn

        from web.app import create_app

        from .backend import open_backend

        settings = self.settings.model_copy(update={"base_url": self.url})
        self.backend = open_backend(settings)
        app = create_app(self.backend.db, self.backend.key, web_config(settings))
        config = uvicorn.Config(app, log_level="critical", lifespan="off", server_header=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=lambda: asyncio.run(self.server.serve(sockets=[self.socket])),  # type: ignore[union-attr]
            name="residents-site",
            daemon=True,
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(10)
            self.backend.close()
        self.socket.close()
