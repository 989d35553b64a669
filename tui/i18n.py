"""The staff app's strings, through gettext: English in the source, nb and en catalogues.

`_` looks the string up in the language chosen at start-up (`use_language`), so modules can
call it at run time without caring which language that is.
"""

from __future__ import annotations

import gettext
from pathlib import Path

DOMAIN = "panel"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("nb", "en")

_translation: gettext.NullTranslations = gettext.NullTranslations()


def use_language(language: str) -> None:
    global _translation
    _translation = gettext.translation(
        DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True
    )


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; `_` translates it where it is shown."""
    return message
