"""The panel's emails, written once per language from Jinja2 templates.

Each kind of email has a plain-text template per language (`mail/templates/KIND.LANG.txt.j2`):
its first line is the subject, blank lines part the paragraphs, the paragraph holding
`[[link]]` becomes the button of the HTML part, and the one holding `[[unsubscribe]]` its
footer. So the wording lives in one place and both parts always say the same. The letters keep
the placeholders `[[name]]`, `[[link]]` and `[[unsubscribe]]`: the store fills in the name as
it queues each email, and the dispatcher the links as it sends. No images, no tracking.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parseaddr
from functools import cache
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from store.events import EventFacts, EventMail, SessionFacts
from store.sealing import LINK, UNSUBSCRIBE
from store.sending import Letter, Mailing
from store.signup import ACCESS_HOURS, CONFIRM_DAYS, Emails

LANGUAGES = ("nb", "en")
KINDS = ("invitation", "reminder", "follow-up", "confirmation", "member-notice", "access",
         "event-call", "event-invitation", "event-place", "event-reminder")  # fmt: skip
WEEKDAYS_NB = ["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"]
WEEKDAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]  # fmt: skip
LOCAL = ZoneInfo("Europe/Oslo")
LINK_HINT = {
    "nb": "Virker ikke knappen? Kopier denne lenken til nettleseren:",
    "en": "If the button does not work, copy this link into your browser:",
}
MONTHS_NB = [
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
]


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("mail", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def long_date(day: date, language: str) -> str:
    if language == "nb":
        return f"{day.day}. {MONTHS_NB[day.month - 1]} {day.year}"
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def sender_name(mail_from: str) -> str:
    name, address = parseaddr(mail_from)
    return name or address


def letter(kind: str, language: str, **context) -> Letter:
    """One email of `kind` in `language`; `context` fills the template."""
    text = _environment().get_template(f"{kind}.{language}.txt.j2").render(**context)
    subject, _newline, body = text.partition("\n")
    body = body.strip("\n") + "\n"
    blocks, footer = [], ""
    for paragraph in re.split(r"\n\s*\n", body.strip()):
        lines = paragraph.splitlines()
        if UNSUBSCRIBE in paragraph:
            footer = paragraph.replace(UNSUBSCRIBE, "").strip()
        elif LINK in paragraph:
            label = paragraph.replace(LINK, "").strip().rstrip(":").strip()
            blocks.append({"button": label, "lines": []})
        else:
            blocks.append({"button": None, "lines": lines})
    html = (
        _environment()
        .get_template("letter.html.j2")
        .render(
            lang=language,
            subject=subject.strip(),
            blocks=blocks,
            footer=footer,
            link_hint=LINK_HINT[language],
        )
    )
    return Letter(subject=subject.strip(), text=body, html=html)


def survey_letters(
    kind: str,
    *,
    title: str,
    intro: str,
    anonymous: bool,
    closes_on: date | None,
    mail_from: str,
) -> dict[str, Letter]:
    """An invitation or a reminder for a survey, in every language residents may have."""
    return {
        language: letter(
            kind,
            language,
            title=title,
            intro=intro,
            anonymous=anonymous,
            closes_on=long_date(closes_on, language) if closes_on else None,
            sender=sender_name(mail_from),
        )
        for language in LANGUAGES
    }


def resident_emails(language: str, *, municipality: str, mail_from: str, base_url: str) -> Emails:
    """The emails the residents' site sends one at a time (confirm a sign-up, a notice to a
    member, a "my data" link), in `language`."""
    words = {
        "municipality": municipality,
        "sender": sender_name(mail_from),
        "days": CONFIRM_DAYS,
        "hours": ACCESS_HOURS,
    }
    return Emails(
        confirmation=letter("confirmation", language, **words),
        member_notice=letter("member-notice", language, **words),
        access=letter("access", language, **words),
        mail_from=mail_from,
        base_url=base_url,
    )


def follow_up_letters(*, title: str, mail_from: str, anonymous: bool = False) -> dict[str, Letter]:
    """The email that tells those who took part what came of a survey, in every language; for
    an anonymous survey it goes to all invited, and says so rather than thanking them."""
    return {
        language: letter(
            "follow-up", language, title=title, sender=sender_name(mail_from), anonymous=anonymous
        )
        for language in LANGUAGES
    }


def session_when(session: SessionFacts, language: str) -> str:
    """When a session is, in Norwegian time: "torsdag 10. desember 2026 kl. 18.00–20.00", or
    "Thursday 10 December 2026, 18:00–20:00"; a session over midnight names both days."""
    start, end = session.starts_at.astimezone(LOCAL), session.ends_at.astimezone(LOCAL)
    weekdays = WEEKDAYS_NB if language == "nb" else WEEKDAYS_EN

    def day(moment: datetime) -> str:
        return f"{weekdays[moment.weekday()]} {long_date(moment.date(), language)}"

    def clock(moment: datetime) -> str:
        return f"{moment:%H.%M}" if language == "nb" else f"{moment:%H:%M}"

    joint = " kl. " if language == "nb" else ", "
    if start.date() == end.date():
        return f"{day(start)}{joint}{clock(start)}–{clock(end)}"
    return f"{day(start)}{joint}{clock(start)} – {day(end)}{joint}{clock(end)}"


def _session_words(session: SessionFacts, language: str) -> dict[str, str]:
    return {
        "name": f"{session.label}: " if session.label else "",
        "when": session_when(session, language),
        "place": session.location,
    }


def event_letter(kind: str, language: str, facts: EventFacts, *, mail_from: str) -> Letter:
    """An email about a workshop: the call for volunteers, the invitation, a place (or the
    waiting list) and the reminder the day before."""
    return letter(
        kind,
        language,
        title=facts.title,
        description=facts.description,
        sessions=[_session_words(s, language) for s in facts.sessions],
        session=_session_words(facts.session, language) if facts.session else None,
        state=facts.state or "",
        sender=sender_name(mail_from),
    )


def event_mail(*, mail_from: str, base_url: str) -> EventMail:
    """What the store needs to write event emails, for a sender and a site."""
    return EventMail(
        write=lambda kind, language, facts: event_letter(kind, language, facts,
                                                         mail_from=mail_from),
        mailing=Mailing(mail_from=mail_from, base_url=base_url),
    )  # fmt: skip
