"""What the residents' site is told at start: the entry point (`panel web`) reads the settings
and passes this down; web/ reads no settings of its own."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WebConfig:
    base_url: str  # the public address, as links in email give it
    language: str = "nb"  # the default, when neither the resident nor the browser chooses
    max_body_bytes: int = 64 * 1024  # a request body larger than this is refused (413)
    # Form posts a minute: from one address, and for one personal link or email address.
    posts_per_minute_per_client: int = 300  # many residents may share one address (NAT)
    posts_per_minute_per_link: int = 20
    municipality: str = "Bærum kommune"
    mail_from: str = "Innbyggerpanelet <innbyggerpanel@localhost>"  # confirmations and links
    privacy_version: str = "2026-11"  # of the privacy notice residents consent to
    results_min_group: int = 5  # published results hide counts from fewer people than this

    @property
    def contact(self) -> str:
        """The address residents may write to: the sender's."""
        from email.utils import parseaddr

        return parseaddr(self.mail_from)[1]

    @property
    def origin(self) -> str:
        """scheme://host[:port] of `base_url`: what a browser sends as Origin."""
        scheme, _, rest = self.base_url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"
