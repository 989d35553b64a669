"""The gettext catalogues stay complete: every marked string has an nb translation, the
placeholders match, and the committed .mo files are compiled from the current .po files.

When a test here fails after the source changed, refresh the catalogues with the commands in
tui/locale/README.md.
"""

from __future__ import annotations

import gettext
import re
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tui.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, _, use_language

TUI_DIR = Path(__file__).resolve().parent.parent / "tui"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# `{name}`, `{name!r}`, `{name:>5}`; an escaped `{{` is not a placeholder.
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w*)(?:[!:][^{}]*)?\}")


def _po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read_catalog(language: str) -> Catalog:
    with _po_path(language).open("rb") as file:
        return read_po(file, locale=language)


def _source_strings() -> dict[str, tuple[str, ...]]:
    """Each marked string's msgid (the singular for plurals) -> all its English forms."""
    found: dict[str, tuple[str, ...]] = {}
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        TUI_DIR, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()
    ):
        forms = (message,) if isinstance(message, str) else tuple(message)
        found[forms[0]] = forms
    return found


def _forms(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_source_has_strings() -> None:
    strings = _source_strings()
    assert len(strings) > 50, "extraction found suspiciously few strings"
    assert "Log in" in strings


def test_every_source_string_has_an_nb_translation() -> None:
    catalog = _read_catalog("nb")
    missing = []
    for msgid in sorted(_source_strings()):
        message = catalog.get(msgid)
        if message is None or not all(_forms(message.string)):
            missing.append(msgid)
    assert not missing, (
        "Not translated in nb/LC_MESSAGES/panel.po (see tui/locale/README.md):\n"
        + ("\n".join(f"  {msgid!r}" for msgid in missing))
    )


def test_nb_has_no_fuzzy_entries() -> None:
    catalog = _read_catalog("nb")
    assert not catalog.fuzzy, "the nb catalogue's header is marked fuzzy"
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
    assert not fuzzy, "Fuzzy in nb/LC_MESSAGES/panel.po, review them and drop the flag:\n" + (
        "\n".join(f"  {msgid!r}" for msgid in fuzzy)
    )


def test_nb_placeholders_match_the_english() -> None:
    catalog = _read_catalog("nb")
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        expected: set[str] = set()
        for source in _forms(message.id):
            expected |= _placeholders(source)
        for translation in _forms(message.string):
            if translation and _placeholders(translation) != expected:
                wrong.append(
                    f"  {message.id!r}: expects {sorted(expected)}, "
                    f"{translation!r} has {sorted(_placeholders(translation))}"
                )
    assert not wrong, "Placeholders differ in nb/LC_MESSAGES/panel.po:\n" + "\n".join(wrong)


def test_committed_mo_files_match_the_po_files() -> None:
    stale = []
    for language in LANGUAGES:
        compiled = BytesIO()
        write_mo(compiled, _read_catalog(language))
        compiled.seek(0)
        expected = gettext.GNUTranslations(compiled)._catalog
        with _po_path(language).with_suffix(".mo").open("rb") as file:
            committed = gettext.GNUTranslations(file)._catalog
        if committed != expected:
            stale.append(language)
    assert not stale, (
        f"panel.mo is out of date for {stale}: run "
        "`uv run pybabel compile -d tui/locale -D panel` (see tui/locale/README.md)"
    )


def test_runtime_lookup_uses_the_chosen_language() -> None:
    try:
        use_language("nb")
        assert _("Log in") == "Logg inn"
        use_language("en")
        assert _("Log in") == "Log in"
    finally:
        use_language("en")
