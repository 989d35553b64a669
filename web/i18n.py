"""Residents' pages in Norwegian Bokmål (the default) or English, by gettext (domain "web").

The language is the one the resident chose (`?lang=`, then kept in a cookie), else the first
of theirs the browser's Accept-Language names, else the site's default.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

LANGUAGES = ("nb", "en")
LOCALE_DIR = Path(__file__).parent / "locale"
COOKIE = "lang"
# Browsers say "no" or "nn" for Norwegian as often as "nb"; Bokmål is what we have.
_ALIASES = {"nb": "nb", "no": "nb", "nn": "nb", "en": "en"}


@cache
def translations(language: str) -> gettext.NullTranslations:
    return gettext.translation("web", LOCALE_DIR, languages=[language], fallback=True)


def negotiate(chosen: str | None, accept_language: str | None, default: str) -> str:
    if chosen in LANGUAGES:
        return chosen
    weighted = []
    for n, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in _ALIASES and weight > 0:
            weighted.append((-weight, n, _ALIASES[primary]))
    return min(weighted)[2] if weighted else default
