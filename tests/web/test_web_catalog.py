"""Every string of the residents' pages has its Bokmål translation, compiled."""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "web"
OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}


def source_strings() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        WEB,
        method_map=[("**.py", "python"), ("templates/**.html", "jinja2")],
        options_map={"templates/**.html": OPTIONS},
        comment_tags=(),
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_string_is_translated_and_compiled() -> None:
    strings = source_strings()
    assert "Send my answers" in strings and len(strings) > 40
    with open(WEB / "locale/nb/LC_MESSAGES/web.po", "rb") as file:
        catalog = read_po(file, locale="nb")
    compiled = gettext.translation("web", WEB / "locale", languages=["nb"])
    missing = []
    for msgid in sorted(strings):
        message = catalog.get(msgid)
        forms = [message.string] if message and isinstance(message.string, str) else []
        if message is not None and not isinstance(message.string, str):
            forms = list(message.string)
        if not forms or not all(forms) or compiled.gettext(msgid) != forms[0]:
            missing.append(msgid)
    assert not missing, "untranslated or not compiled (pybabel compile -d web/locale -D web):\n" + (
        "\n".join(missing)
    )
