"""The residents' site: joining the panel, answering a survey through a personal link,
answering a call for volunteers or an invitation to a workshop, unsubscribing, the privacy
notice, and a resident's own data.

Server-rendered pages that work without JavaScript, Bokmål by default and English by choice.
Every route that reads a link hands it to the store, which says what it opens or why not; a
link that opens nothing gets a friendly page with the status code that fits, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mail.compose import event_mail, resident_emails, session_when
from store.answering import (
    AnswersInvalid,
    LinkState,
    LinkUnusable,
    open_sheet,
    problems_in,
    save_draft,
    submit,
)
from store.db import Database
from store.errors import Invalid, NotFound
from store.events import CALENDAR_FILE, SessionFacts
from store.publishing import published, report
from store.residents import Choice, choose, member
from store.rsvp import (
    CallView,
    RsvpOutcome,
    RsvpView,
    answer_call,
    answer_invite,
    call_view,
    rsvp_calendar,
    rsvp_view,
)
from store.secrets import ServerKey
from store.sending import Mailing
from store.signup import (
    CONFIRM_DAYS,
    Holder,
    LinkOutcome,
    SignupForm,
    SignupInvalid,
    confirm,
    confirmable,
    erase_mine,
    my_data,
    request_access,
    sign_up,
    signup_choices,
)

from .config import WebConfig
from .forms import page_asking, page_of, read_page, resume_page, step
from .i18n import COOKIE, LANGUAGES, negotiate, translations
from .security import (
    CSRF_FIELD,
    BodyTooLarge,
    Guard,
    RateLimiter,
    cross_site,
    csrf_ok,
    csrf_token,
)

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
MAX_FIELDS = 500  # form fields in one post: far more than any page has
LOCAL_TIME = ZoneInfo("Europe/Oslo")
# How an outcome of a resident's link (confirm, my data) is answered when it opens nothing.
OUTCOME_STATUS = {LinkOutcome.expired: 410, LinkOutcome.unknown: 404}

# The status code of each reason a link opens nothing.
LINK_STATUS = {
    LinkState.unknown: 404,
    LinkState.answered: 410,
    LinkState.closed: 410,
    LinkState.not_open: 403,
}


class Site:
    """The routes, with what they share: the database, the key, the templates, the limits."""

    def __init__(self, db: Database, key: ServerKey, config: WebConfig) -> None:
        self.db, self.key, self.config = db, key, config
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["moment"] = _moment
        self.env.filters["day"] = _day
        self.env.filters["decimal"] = _decimal
        self.per_client = RateLimiter(config.posts_per_minute_per_client)
        self.per_link = RateLimiter(config.posts_per_minute_per_link)
        self.emails = {
            language: resident_emails(
                language,
                municipality=config.municipality,
                mail_from=config.mail_from,
                base_url=config.base_url,
            )
            for language in LANGUAGES
        }
        self.event_mail = event_mail(mail_from=config.mail_from, base_url=config.base_url)

    # Rendering --------------------------------------------------------------------------------

    def language(self, request: Request) -> str:
        return negotiate(
            request.query_params.get("lang") or request.cookies.get(COOKIE),
            request.headers.get("accept-language"),
            self.config.language,
        )

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        language = context.pop("language", None) or self.language(request)
        translation = translations(language)
        self.env.install_gettext_translations(translation, newstyle=True)  # type: ignore[attr-defined]
        other = "en" if language == "nb" else "nb"
        html = self.env.get_template(name).render(
            lang=language,
            other_lang=other,
            switch_url=f"{request.url.path}?lang={other}",
            csrf_field=CSRF_FIELD,
            csrf=csrf_token(self.key, request.url.path),
            municipality=self.config.municipality,
            **context,
        )
        response = HTMLResponse(html, status_code=status)
        response.headers["cache-control"] = "no-store"
        chosen = request.query_params.get("lang")
        if chosen in LANGUAGES:
            response.set_cookie(
                COOKIE,
                chosen,
                max_age=365 * 86400,
                httponly=True,
                samesite="lax",
                secure=self.config.base_url.startswith("https"),
            )
        return response

    def link_page(self, request: Request, problem: LinkUnusable, language: str | None = None):
        return self.render(
            request,
            "link.html",
            LINK_STATUS[problem.state],
            state=problem.state.value,
            title_text=problem.title,
            opens_on=problem.opens_on,
            language=language,
        )

    # Posting ----------------------------------------------------------------------------------

    def limited(self, request: Request, limiter: RateLimiter, key: str) -> Response | None:
        """The 429 for one post too many under `limiter` for `key`, if it is."""
        wait = limiter.allow(key)
        if not wait:
            return None
        response = self.render(request, "error.html", 429, reason="rate")
        response.headers["retry-after"] = str(int(wait) + 1)
        return response

    async def read_form(self, request: Request, *, limit_key: str | None) -> FormData | Response:
        """The posted form, or the response that refuses it: too many posts from this address
        or for this link (429), too big (413), not a form (400). Without a `limit_key` the
        caller limits by what the form holds (an email address)."""
        client = request.client.host if request.client else "?"
        if refused := self.limited(request, self.per_client, client):
            return refused
        if limit_key and (refused := self.limited(request, self.per_link, limit_key)):
            return refused
        try:
            return await request.form(max_files=0, max_fields=MAX_FIELDS)
        except BodyTooLarge:
            return self.render(request, "error.html", 413, reason="too_large")
        except Exception:  # a body that is not a form at all
            return self.render(request, "error.html", 400, reason="bad_form")

    def forged(self, request: Request, form: FormData) -> Response | None:
        """The 403 for a post from another site or without this page's CSRF field, if it is."""
        token = form.get(CSRF_FIELD)
        if cross_site(request.headers, self.config.origin) or not csrf_ok(
            self.key, request.url.path, token if isinstance(token, str) else None
        ):
            return self.render(request, "error.html", 403, reason="csrf")
        return None

    async def store(self, function, *args):
        """Run a store call off the event loop."""
        return await asyncio.to_thread(function, *args)

    # Routes -----------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return self.render(request, "home.html")

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def survey(self, request: Request) -> Response:
        token = request.path_params["token"]
        try:
            sheet = await self.store(open_sheet, self.db, self.key, token)
        except LinkUnusable as problem:
            if problem.state == LinkState.answered and request.query_params.get("sendt"):
                return self.render(
                    request, "thanks.html", thanks=problem.thanks, title_text=problem.title
                )
            return self.link_page(request, problem)
        language = _theirs(request, sheet.language)
        if request.method == "GET":
            number = _int(request.query_params.get("side"), resume_page(sheet.spec, sheet.draft))
            page = page_of(sheet.spec, sheet.draft, number)
            return self.render(
                request,
                "survey.html",
                **_survey_context(sheet, page, sheet.draft),
                language=language,
            )
        form = await self.read_form(request, limit_key=f"link:{token}")
        if isinstance(form, Response):
            return form
        if refused := self.forged(request, form):
            return refused
        number = _int(form.get("side"), 0)
        page = page_of(sheet.spec, sheet.draft, number)
        given = read_page(page.questions, form)
        answers = {**sheet.draft, **given}
        action = form.get("action")
        if action == "back":
            await self._save(token, answers)
            return _see(token, max(0, step(sheet.spec, answers, page.number, -1)))
        page = page_of(sheet.spec, answers, number)  # conditions within it are met already
        errors = problems_in(sheet.spec, answers, {q.key for q in page.questions})
        if errors:
            return self.render(
                request,
                "survey.html",
                400,
                language=language,
                **_survey_context(sheet, page, answers, errors),
            )
        following = step(sheet.spec, answers, page.number, +1)
        if action != "submit" or following != -1:
            await self._save(token, answers)
            return _see(token, following if following != -1 else page.number)
        try:
            await self.store(submit, self.db, self.key, token, answers)
        except AnswersInvalid as invalid:  # on another page: show the first such page
            await self._save(token, answers)
            page = page_of(
                sheet.spec, answers, page_asking(sheet.spec, next(iter(invalid.problems)))
            )
            return self.render(
                request,
                "survey.html",
                400,
                language=language,
                **_survey_context(sheet, page, answers, invalid.problems),
            )
        except LinkUnusable as problem:
            if problem.state != LinkState.answered:
                return self.link_page(request, problem, language)
        return RedirectResponse(f"/s/{token}?sendt=1", status_code=303)

    async def _save(self, token: str, answers: dict) -> None:
        await self.store(save_draft, self.db, self.key, token, answers)

    async def unsubscribe(self, request: Request) -> Response:
        participant_id = _int(request.path_params["participant"], 0)
        code = request.path_params["code"]
        try:
            who = await self.store(member, self.db, self.key, participant_id, code)
        except LinkUnusable as problem:
            return self.link_page(request, problem)
        language = _theirs(request, who.language)
        if request.method == "GET":
            return self.render(request, "unsubscribe.html", member=who, language=language)
        form = await self.read_form(request, limit_key=f"member:{participant_id}")
        if isinstance(form, Response):
            return form
        if form.get("List-Unsubscribe") == "One-Click" and CSRF_FIELD not in form:
            # RFC 8058: a mail client's POST, with no page before it; the link is the proof.
            await self.store(choose, self.db, self.key, participant_id, code, Choice.leave)
            return PlainTextResponse("Unsubscribed.")
        if refused := self.forged(request, form):
            return refused
        try:
            choice = Choice(str(form.get("choice", "")))
        except ValueError:
            return self.render(
                request, "unsubscribe.html", 400, member=who, language=language, missing=True
            )
        if choice == Choice.erase and form.get("confirm") != "yes":
            return self.render(
                request,
                "unsubscribe.html",
                400,
                member=who,
                language=language,
                chosen="erase",
                unconfirmed=True,
            )
        await self.store(choose, self.db, self.key, participant_id, code, choice)
        return self.render(request, "unsubscribed.html", choice=choice.value, language=language)

    # Joining --------------------------------------------------------------------------------

    async def signup(self, request: Request) -> Response:
        choices = await self.store(signup_choices, self.db)
        if request.method == "GET":
            source = request.query_params.get("kilde", "")
            known = source in {code for code, _label in choices.sources}
            return self.render(
                request,
                "signup.html",
                choices=choices,
                values=SignupForm(source=source if known else ""),
                errors={},
            )
        form = await self.read_form(request, limit_key=None)
        if isinstance(form, Response):
            return form
        if refused := self.forged(request, form):
            return refused
        language = self.language(request)
        given = SignupForm(
            name=_text(form, "name"),
            email=_text(form, "email"),
            gender=_text(form, "gender"),
            birth_year=_text(form, "birth_year"),
            district=_text(form, "district"),
            interests=tuple(v for v in form.getlist("interests") if isinstance(v, str))[:100],
            source=_text(form, "source"),
            consent=form.get("consent") == "yes",
            language=language,
        )
        if _text(form, "website"):  # the field people never see: a robot filled it in
            return RedirectResponse("/bli-med/sendt", status_code=303)
        email_key = given.email.strip().casefold()[:320]
        if email_key and (refused := self.limited(request, self.per_link, f"email:{email_key}")):
            return refused
        try:
            await self.store(self._sign_up, given, language)
        except SignupInvalid as invalid:
            return self.render(
                request,
                "signup.html",
                400,
                choices=choices,
                values=given,
                errors=invalid.problems,
            )
        return RedirectResponse("/bli-med/sendt", status_code=303)

    def _sign_up(self, given: SignupForm, language: str) -> None:
        sign_up(
            self.db,
            self.key,
            given,
            notice_version=self.config.privacy_version,
            emails=self.emails[language],
        )

    async def signup_sent(self, request: Request) -> Response:
        return self.render(request, "signup_sent.html", days=CONFIRM_DAYS)

    async def confirm(self, request: Request) -> Response:
        token = request.path_params["token"]
        if request.method == "GET":
            outcome = await self.store(confirmable, self.db, self.key, token)
            return self._outcome(request, "confirm.html", outcome)
        form = await self.read_form(request, limit_key=f"confirm:{token[:64]}")
        if isinstance(form, Response):
            return form
        if refused := self.forged(request, form):
            return refused
        outcome = await self.store(self._confirm, token)
        return self._outcome(request, "confirm.html", outcome, done=True)

    def _confirm(self, token: str) -> LinkOutcome:
        return confirm(self.db, self.key, token, notice_version=self.config.privacy_version)

    def _outcome(self, request: Request, page: str, outcome: LinkOutcome, **context) -> Response:
        status = OUTCOME_STATUS.get(outcome, 200)
        return self.render(request, page, status, outcome=outcome.value, **context)

    async def privacy(self, request: Request) -> Response:
        config = self.config
        return self.render(
            request, "privacy.html", version=config.privacy_version, contact=config.contact
        )

    # My data ----------------------------------------------------------------------------------

    async def my_data_request(self, request: Request) -> Response:
        if request.method == "GET":
            sent = bool(request.query_params.get("sendt"))
            return self.render(request, "mydata_request.html", sent=sent, email="")
        form = await self.read_form(request, limit_key=None)
        if isinstance(form, Response):
            return form
        if refused := self.forged(request, form):
            return refused
        email = _text(form, "email")
        if email.strip() and (
            refused := self.limited(request, self.per_link, f"email:{email.strip().casefold()}")
        ):
            return refused
        emails = self.emails[self.language(request)]
        try:
            await self.store(lambda: request_access(self.db, self.key, email, emails=emails))
        except Invalid as problem:
            error = "missing" if problem.reason == "is missing" else "invalid"
            return self.render(request, "mydata_request.html", 400, error=error, email=email)
        return RedirectResponse("/mine-data?sendt=1", status_code=303)

    async def my_data(self, request: Request) -> Response:
        token = request.path_params["token"]
        if request.method == "POST":
            return await self._erase(request, token)
        found = await self.store(my_data, self.db, self.key, token)
        if not isinstance(found, Holder):
            return self._outcome(request, "confirm.html", found)
        return self._data_page(request, token, found)

    async def my_data_download(self, request: Request) -> Response:
        """Everything held, as a JSON file (GDPR article 20)."""
        found = await self.store(my_data, self.db, self.key, request.path_params["token"])
        if not isinstance(found, Holder):
            return self._outcome(request, "confirm.html", found)
        return Response(
            json.dumps(found.data, ensure_ascii=False, indent=2),
            media_type="application/json; charset=utf-8",
            headers={
                "content-disposition": 'attachment; filename="mine-data.json"',
                "cache-control": "no-store",
            },
        )

    def _data_page(self, request: Request, token: str, found: Holder, status: int = 200, **more):
        return self.render(
            request,
            "mydata.html",
            status,
            data=found.data,
            json_url=f"/mine-data/{token}/data.json",
            language=_theirs(request, found.language),
            **more,
        )

    async def _erase(self, request: Request, token: str) -> Response:
        form = await self.read_form(request, limit_key=f"access:{token[:64]}")
        if isinstance(form, Response):
            return form
        if refused := self.forged(request, form):
            return refused
        if form.get("confirm") != "yes":
            found = await self.store(my_data, self.db, self.key, token)
            if not isinstance(found, Holder):
                return self._outcome(request, "confirm.html", found)
            return self._data_page(request, token, found, 400, unconfirmed=True)
        erased = await self.store(erase_mine, self.db, self.key, token)
        if isinstance(erased, LinkOutcome):
            return self._outcome(request, "confirm.html", erased)
        return self.render(request, "mydata_erased.html")

    # Workshops ------------------------------------------------------------------------------

    async def rsvp(self, request: Request) -> Response:
        """An invitation to a workshop: a place in a session, or no."""
        token = request.path_params["token"]
        view = await self.store(rsvp_view, self.db, self.key, token)
        if view is None:
            return self.render(request, "link.html", 404, state="unknown")
        language = _theirs(request, view.language) or self.language(request)
        if request.method == "GET":
            outcome = request.query_params.get("svar")
            return self._rsvp_page(request, token, view, language, outcome=outcome)
        form = await self.read_form(request, limit_key=f"event:{token}")
        if isinstance(form, Response):
            return form
        if refused := self.forged(request, form):
            return refused
        if view.closed:  # nothing to change: the page says so
            return RedirectResponse(f"/delta/{token}?svar={RsvpOutcome.closed}", status_code=303)
        choice = _session_choice(form)
        if isinstance(choice, str):
            return self._rsvp_page(request, token, view, language, 400, error=choice)
        try:
            answered = await self.store(self._answer_invite, token, choice)
        except (Invalid, NotFound):  # another event's session, or none at all
            return self._rsvp_page(request, token, view, language, 400, error="invalid")
        if answered is None:  # withdrawn while the resident was on the page
            return self.render(request, "link.html", 404, state="unknown", language=language)
        outcome, _view = answered
        return RedirectResponse(f"/delta/{token}?svar={outcome.value}", status_code=303)

    def _answer_invite(self, token: str, session_id: int | None):
        return answer_invite(self.db, self.key, token, session_id=session_id, mail=self.event_mail)

    def _rsvp_page(
        self,
        request: Request,
        token: str,
        view: RsvpView,
        language: str,
        status: int = 200,
        *,
        outcome: str | None = None,
        error: str | None = None,
    ) -> Response:
        sessions = [
            {**_session_words(c.session, language), "free": c.free, "started": c.started}
            for c in view.choices
        ]
        mine = next((s for s in sessions if s["id"] == view.session_id), None)
        checked = ""
        if error is None and view.state in ("accepted", "waitlisted") and mine:
            checked = str(mine["id"])
        elif error is None and view.state == "declined":
            checked = "no"
        return self.render(
            request,
            "rsvp.html",
            status,
            language=language,
            event=view.event,
            sessions=sessions,
            mine=mine,
            state=view.state,
            position=view.waitlist_position,
            closed=view.closed,
            outcome=outcome if _outcome_fits(outcome, view, mine) else None,
            error=error,
            checked=checked,
            calendar_url=f"/delta/{token}/kalender.ics",
            calendar=view.state == "accepted" or not view.closed,  # else an empty file
        )

    async def rsvp_calendar(self, request: Request) -> Response:
        """The invitation as a calendar file: the session with a place, else every one to come."""
        mailing = Mailing(mail_from=self.config.mail_from, base_url=self.config.base_url)
        text = await self.store(
            rsvp_calendar, self.db, self.key, request.path_params["token"], mailing
        )
        if text is None:
            return self.render(request, "link.html", 404, state="unknown")
        return Response(
            text,
            media_type="text/calendar; charset=utf-8",
            headers={
                "content-disposition": f'attachment; filename="{CALENDAR_FILE}"',
                "cache-control": "no-store",
            },
        )

    async def volunteer(self, request: Request) -> Response:
        """A call for volunteers: yes or no, either changed while the event is open."""
        token = request.path_params["token"]
        view = await self.store(call_view, self.db, self.key, token)
        if view is None:
            return self.render(request, "link.html", 404, state="unknown")
        language = _theirs(request, view.language) or self.language(request)
        if request.method == "GET":
            return self._call_page(request, view, language)
        form = await self.read_form(request, limit_key=f"event:{token}")
        if isinstance(form, Response):
            return form
        if refused := self.forged(request, form):
            return refused
        answers = [v for v in form.getlist("answer") if isinstance(v, str)]
        if len(answers) != 1 or answers[0] not in ("yes", "no"):
            return self._call_page(request, view, language, 400, error=True)
        if not view.closed:
            answered = await self.store(
                lambda: answer_call(self.db, self.key, token, yes=answers[0] == "yes")
            )
            if answered is None:
                return self.render(request, "link.html", 404, state="unknown", language=language)
        return RedirectResponse(f"/frivillig/{token}", status_code=303)

    def _call_page(
        self, request: Request, view: CallView, language: str, status: int = 200, error=False
    ) -> Response:
        return self.render(
            request,
            "volunteer.html",
            status,
            language=language,
            event=view.event,
            sessions=[_session_words(s, language) for s in view.event.sessions],
            answer=view.answer,
            closed=view.closed,
            error=error,
        )

    # Results ------------------------------------------------------------------------------

    async def results_list(self, request: Request) -> Response:
        k = self.config.results_min_group
        reports = await self.store(lambda: published(self.db, k=k))
        return self.render(request, "results_list.html", reports=reports)

    async def results_report(self, request: Request) -> Response:
        survey_id, k = _int(request.path_params["survey"], 0), self.config.results_min_group
        found = await self.store(lambda: report(self.db, survey_id, k=k))
        if found is None:
            return self.render(request, "link.html", 404, state="unknown")
        return self.render(request, "results_report.html", report=found)

    async def not_found(self, request: Request, exc: Exception) -> Response:
        return self.render(request, "link.html", 404, state="unknown")

    async def server_error(self, request: Request, exc: Exception) -> Response:
        log.exception("error on %s", request.url.path, exc_info=exc)
        return self.render(request, "error.html", 500, reason="server")

    async def too_large(self, scope: dict) -> bytes:
        request = Request(scope)
        return bytes(self.render(request, "error.html", 413, reason="too_large").body)


def _theirs(request: Request, language: str) -> str | None:
    """The resident's own language from the panel, unless they chose one on the site."""
    return None if request.query_params.get("lang") or request.cookies.get(COOKIE) else language


def _text(form: FormData, name: str, limit: int = 1000) -> str:
    """One text field of a form, cut to `limit` characters; "" if missing or a file."""
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _moment(value: str | None) -> str:
    """An ISO time from the store as residents read it: day and time in Norway."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return moment.strftime("%d.%m.%Y")
    return moment.astimezone(LOCAL_TIME).strftime("%d.%m.%Y %H:%M")


def _day(value: datetime | None) -> str:
    return value.astimezone(LOCAL_TIME).strftime("%d.%m.%Y") if value else ""


def _decimal(value: float | None, language: str = "nb") -> str:
    if value is None:
        return "–"
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", ",") if language == "nb" else text


def _session_choice(form: FormData) -> int | str | None:
    """The session an invitation's form chose (None: "I cannot come"), or what is wrong with
    the form ("missing", "invalid")."""
    values = [v for v in form.getlist("choice") if isinstance(v, str)]
    if len(values) != 1:
        return "invalid" if values else "missing"
    value = values[0]
    if value == "no":
        return None
    if value.isascii() and value.isdigit() and _int(value, 0) > 0:
        return int(value)
    return "invalid"


def _outcome_fits(outcome: str | None, view: RsvpView, mine: dict | None) -> bool:
    """An outcome in the address is shown only if it says what the store says now (the page
    can be reloaded later, or the address typed)."""
    if outcome in (RsvpOutcome.unchanged, RsvpOutcome.closed):
        return True
    if outcome == RsvpOutcome.accepted:
        return view.state == "accepted" and mine is not None
    if outcome == RsvpOutcome.waitlisted:
        return view.state == "waitlisted" and mine is not None and bool(view.waitlist_position)
    return outcome == RsvpOutcome.declined and view.state == "declined"


def _session_words(session: SessionFacts, language: str) -> dict[str, Any]:
    """A session as the workshop pages name it: its label, if any, and when it is."""
    when = session_when(session, language)
    return {
        "id": session.id,
        "when": when,
        "name": f"{session.label}: {when}" if session.label else when,
        "location": session.location,
    }


def _survey_context(sheet, page, answers: dict, errors: dict | None = None) -> dict[str, Any]:
    return {
        "spec": sheet.spec,
        "page": page,
        "answers": answers,
        "errors": errors or {},
    }


def _see(token: str, number: int) -> RedirectResponse:
    return RedirectResponse(f"/s/{token}?side={number}", status_code=303)


def _int(value: Any, default: int) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return default
    return number if 0 <= number < 2**31 else default


def create_app(db: Database, key: ServerKey, config: WebConfig) -> Guard:
    site = Site(db, key, config)
    app = Starlette(
        routes=[
            Route("/", site.home),
            Route("/healthz", site.health),
            Route("/s/{token}", site.survey, methods=["GET", "POST"]),
            Route("/u/{participant}/{code}", site.unsubscribe, methods=["GET", "POST"]),
            Route("/bli-med", site.signup, methods=["GET", "POST"]),
            Route("/bli-med/sendt", site.signup_sent),
            Route("/bekreft/{token}", site.confirm, methods=["GET", "POST"]),
            Route("/personvern", site.privacy),
            Route("/resultater", site.results_list),
            Route("/resultater/{survey}", site.results_report),
            Route("/mine-data", site.my_data_request, methods=["GET", "POST"]),
            Route("/mine-data/{token}", site.my_data, methods=["GET", "POST"]),
            Route("/mine-data/{token}/data.json", site.my_data_download),
            Route("/delta/{token}", site.rsvp, methods=["GET", "POST"]),
            Route("/delta/{token}/kalender.ics", site.rsvp_calendar),
            Route("/frivillig/{token}", site.volunteer, methods=["GET", "POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        exception_handlers={404: site.not_found, 405: site.not_found, 500: site.server_error},
    )
    return Guard(app, max_body=config.max_body_bytes, too_large=site.too_large)
