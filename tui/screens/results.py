"""One survey's results: progress and response rate, each question's answers as bars, broken
down by group or narrowed to one, and the free text for those who may read it.

Every figure comes protected from `store.results`: counts too small to show arrive as None and
are shown as hidden, with a word once on screen about why.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from store.reference import BAERUM_DISTRICTS
from store.results import CHOICE_KINDS, LOCAL, Subgroup
from store.roles import Role

from ..i18n import _, ngettext
from ..labels import label, thousands
from ..widgets.question_result import DIMENSION_LABELS, QuestionView, day_marks, hidden, percent
from .base import PanelScreen

if TYPE_CHECKING:
    from store.results import Breakdown, Results
    from store.weighting import WeightedShare, Weighting

    # The raking weights and each question's weighted shares, by question key.
    Weights = tuple[Weighting, dict[str, list[WeightedShare]]]
    Found = tuple[Results, str | None, dict[str, Breakdown], Weights | None]

REFRESH_SECONDS = 10.0
DAY_MARKS = 36  # the most marks the answers-per-day line takes


def _weights(backend, actor, survey_id: int, k: int) -> Weights | None:
    """Off the UI thread: the survey's raking weights and weighted shares, if there is a
    population table to weight to and someone to weight."""
    from store.weighting import survey_weighting, weighted_shares

    weighting = survey_weighting(backend.db, actor=actor, survey_id=survey_id)
    if weighting is None or not weighting.raked:
        return None
    shares = weighted_shares(backend.db, actor=actor, survey_id=survey_id, weighting=weighting, k=k)
    return weighting, shares


def subgroup_text(subgroup: Subgroup) -> str:
    if not subgroup:
        return _("everyone")
    parts = []
    for name, title in DIMENSION_LABELS.items():
        value = getattr(subgroup, name)
        if value:
            parts.append(f"{_(title)} {label(value) if name == 'gender' else value}")
    return ", ".join(parts)


class ResultsScreen(PanelScreen):
    DEFAULT_CSS = """
    ResultsScreen #results-summary {
        height: auto;
        padding: 0 1;
    }
    ResultsScreen #results-note {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    ResultsScreen #results-body {
        height: 1fr;
        border-top: solid $panel-lighten-2;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", _("Back"), id="results-back"),
        # Not in the footer, to leave room at 80 columns (an open survey refreshes itself); F1
        # lists it.
        Binding("r", "refresh", _("Refresh"), id="results-refresh", show=False),
        Binding("b", "breakdown", _("Breakdown"), id="results-breakdown"),
        Binding("f", "filter", _("Filter"), id="results-filter"),
        Binding("F", "everyone", _("Everyone"), id="results-everyone"),
        Binding("t,enter", "text_answers", _("Text answers"), id="results-text"),
        Binding("p", "publish", _("Publish"), id="results-publish"),
        Binding("x", "export", _("Export"), id="results-export"),
        Binding("w", "weights", _("Weights"), id="results-weights"),
    ]

    def __init__(
        self, survey_id: int, title: str, *, live: bool = False, publish: bool = False
    ) -> None:
        """`live`: the survey is open, so answers may arrive while it is shown. `publish`: open
        the publish dialog straight away (from the palette)."""
        super().__init__()
        self.survey_id = survey_id
        self.survey_title = title
        self.live = live
        self.publish_first = publish
        self.subgroup = Subgroup()
        self.weighing = False  # the shares weighted to the population shown beside (w)
        self.weights: Weights | None = None
        self.dimension: str | None = None
        self.results: Results | None = None
        self.views: dict[str, QuestionView] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            _("Results: {title}").format(title=self.survey_title),
            classes="screen-title",
            markup=False,
        )
        yield Static(_("Loading…"), id="results-summary", markup=False)
        yield Static("", id="results-note", markup=False)
        yield VerticalScroll(id="results-body")
        yield Footer()

    def on_mount(self) -> None:
        self.panel.seen.add("results")
        self.query_one("#results-note").display = False
        self.timer = self.set_interval(REFRESH_SECONDS, self.action_refresh, pause=not self.live)
        if self.publish_first:
            self.publish_first = False
            self.call_after_refresh(self.action_publish)

    def on_screen_resume(self) -> None:
        if self.live:
            self.timer.resume()
        self.action_refresh()

    def on_screen_suspend(self) -> None:
        self.timer.pause()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "everyone":
            return bool(self.subgroup)  # in the footer only when there is a filter to clear
        if action == "text_answers":
            return True if self._text_question() is not None else None
        if action == "publish":
            return self.actor.can(Role.admin, Role.editor)  # False: not in the footer
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    # Reading ----------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        from store.results import breakdown, survey_results

        actor, survey_id = self.actor, self.survey_id
        subgroup, dimension = self.subgroup, self.dimension

        weigh = self.weighing and not subgroup

        def read(backend) -> Found:
            k = backend.settings.results_min_group
            results = survey_results(
                backend.db, actor=actor, survey_id=survey_id, subgroup=subgroup, k=k
            )
            weights = _weights(backend, actor, survey_id, k) if weigh else None
            tables = {}
            if dimension is not None:
                tables = {
                    q.key: breakdown(
                        backend.db,
                        actor=actor,
                        survey_id=survey_id,
                        question=q.key,
                        dimension=dimension,
                        k=k,
                    )
                    for q in results.questions
                    if q.kind in CHOICE_KINDS
                }
            return results, dimension, tables, weights

        self.load(read, self._show)

    async def _show(self, found: Found) -> None:
        results, dimension, tables, self.weights = found
        self.results = results
        body = self.query_one("#results-body", VerticalScroll)
        keys = [q.key for q in results.questions]
        if keys != list(self.views):
            await body.remove_children()
            reader = self.actor.can(Role.admin, Role.editor)
            self.views = {
                q.key: QuestionView(n, q, k=results.k, reader=reader)
                for n, q in enumerate(results.questions, start=1)
            }
            if self.views:
                await body.mount_all(self.views.values())
            else:
                await body.mount(Static(_("This survey has no questions."), classes="hint"))
        weighted = self.weights[1] if self.weights else {}
        for question in results.questions:
            self.views[question.key].show(
                question, tables.get(question.key), results.k, weighted.get(question.key)
            )
        self.query_one("#results-summary", Static).update(self._summary(results, dimension))
        note = self.query_one("#results-note", Static)
        note.update(
            _(
                "“{hidden}”: fewer than {k} answers, or a figure that would give such a count "
                "away; so no one can be recognised."
            ).format(hidden=hidden(), k=results.k)
        )
        note.display = results.responses is None or any(v.has_hidden() for v in self.views.values())
        if self.views and not isinstance(self.focused, QuestionView):
            next(iter(self.views.values())).focus()
        self.refresh_bindings()

    def _summary(self, results: Results, dimension: str | None) -> str:
        progress = results.progress
        if results.responses is None:
            responses = _("fewer than {k}").format(k=results.k)
        else:
            responses = thousands(results.responses)
        lines = [
            _("Responses: {responses} · showing {who}").format(
                responses=responses, who=subgroup_text(results.subgroup)
            )
            + (
                " · " + _("updates every {n} s").format(n=f"{REFRESH_SECONDS:g}")
                if self.live
                else ""
            ),
            _(
                "Invited {invited} · delivered {delivered} · undeliverable {undeliverable} · "
                "started {started} · completed {completed}"
            ).format(
                invited=thousands(progress.invited),
                delivered=thousands(progress.delivered),
                undeliverable=thousands(progress.undeliverable),
                started=thousands(progress.started),
                completed=thousands(progress.completed),
            ),
        ]
        if progress.rate is None:
            reach = _("No invitation has been delivered yet.")
        else:
            reach = _("Answers from {rate} of those reached.").format(rate=percent(progress.rate))
        today = datetime.now(LOCAL).date() if self.live else None
        marks, step = day_marks(progress.per_day, today, DAY_MARKS)
        if marks:
            most = max(n for _day, n in progress.per_day)
            reach += " " + _("Per day from {first}: {marks} (most {most})").format(
                first=progress.per_day[0][0].isoformat(), marks=marks, most=thousands(most)
            )
            if step > 1:
                reach += " · " + _("a mark is {n} days").format(n=step)
        lines.append(reach)
        if dimension is not None:
            by = _("Broken down by {dimension} (b for the next).").format(
                dimension=_(DIMENSION_LABELS[dimension])
            )
            if results.subgroup:
                by += " " + _("The breakdowns count everyone: the filter does not apply to them.")
            lines.append(by)
        if self.weighing and self.weights is None:
            lines.append(_("Nothing to weight to: load the population table (panel population)."))
        elif self.weights is not None:
            weighting = self.weights[0]
            lines.append(
                _(
                    "w: weighted to the population by age band, gender and district; the "
                    "weighted answers are worth {n} unweighted ones."
                ).format(n=thousands(round(weighting.effective_n)))
            )
        return "\n".join(lines)

    # Acting -----------------------------------------------------------------------------------

    def action_close(self) -> None:
        self.app.pop_screen()

    def dimensions(self) -> tuple[str | None, ...]:
        """What `b` steps through: nothing, then each group; interest only when identified."""
        anonymous = self.results is None or self.results.anonymous
        return (None, *(d for d in DIMENSION_LABELS if d != "interest" or not anonymous))

    def action_breakdown(self) -> None:
        cycle = self.dimensions()
        at = cycle.index(self.dimension) if self.dimension in cycle else 0
        self.dimension = cycle[(at + 1) % len(cycle)]
        self.action_refresh()

    def action_filter(self) -> None:
        from store.results import breakdown

        from .results_filter import ResultsFilter

        results = self.results
        if results is None:
            return
        actor, survey_id = self.actor, self.survey_id
        first = next((q for q in results.questions if q.kind in CHOICE_KINDS), None)

        def groups(backend, dimension: str) -> list[str]:
            if first is None:
                return []
            table = breakdown(
                backend.db,
                actor=actor,
                survey_id=survey_id,
                question=first.key,
                dimension=dimension,
            )
            return [g for g in table.groups if g != "–"]

        def choices(backend) -> tuple[list[str], list[str] | None]:
            interests = None if results.anonymous else groups(backend, "interest")
            return groups(backend, "district") or list(BAERUM_DISTRICTS), interests

        def chosen(subgroup: Subgroup | None) -> None:
            if subgroup is not None:
                self.subgroup = subgroup
                self.action_refresh()

        def ask(found: tuple[list[str], list[str] | None]) -> None:
            districts, interests = found
            dialog = ResultsFilter(self.subgroup, districts=districts, interests=interests)
            self.app.push_screen(dialog, chosen)

        self.store(choices, ask)

    def action_everyone(self) -> None:
        if self.subgroup:
            self.subgroup = Subgroup()
            self.action_refresh()

    def _text_question(self) -> QuestionView | None:
        focused = self.focused
        if isinstance(focused, QuestionView) and focused.result.kind == "text":
            return focused
        return None

    def action_text_answers(self) -> None:
        from .text_answers import TextAnswersScreen

        view = self._text_question()
        if view is None:
            self.notify(_("Choose a free-text question first (↑ ↓)."), severity="warning")
            return
        if not self.actor.can(Role.admin, Role.editor):
            self.notify(
                _(
                    "Free-text answers are shown to admins and editors only: a sentence can say "
                    "who wrote it. Their number is shown here."
                ),
                severity="warning",
            )
            return
        self.app.push_screen(TextAnswersScreen(self.survey_id, view.key, view.result.text))

    def action_weights(self) -> None:
        """Show the shares weighted to the population beside the others, or stop."""
        if self.subgroup:
            self.notify(_("Weights are for everyone's answers: clear the filter first (F)."),
                        severity="warning")  # fmt: skip
            return
        self.weighing = not self.weighing
        self.action_refresh()

    def action_export(self) -> None:
        """The results to a file: .md a report to publish, .csv the responses with a codebook,
        .xlsx a summary (and, for editors, the responses); protected as on the screen."""
        from pathlib import Path

        from .path_prompt import PathPrompt

        actor, survey_id = self.actor, self.survey_id
        suffix = "md" if actor.role == Role.analyst else "xlsx"
        default = Path.home() / f"resultater-{survey_id}.{suffix}"

        def chosen(path: Path | None) -> None:
            if path is None:
                return
            from store.errors import Invalid
            from store.results_export import export_results

            fmt = path.suffix.lower().lstrip(".")

            def write(backend) -> Path:
                if fmt not in ("md", "csv", "xlsx"):
                    raise Invalid("file", "end the name with .md, .csv or .xlsx")
                language = backend.settings.language
                export_results(backend.db, actor=actor, survey_id=survey_id, fmt=fmt, path=path,
                               language=language, k=backend.settings.results_min_group)  # fmt: skip
                return path

            self.store(write, lambda done: self.notify(_("Written to {path}.").format(path=done)))

        self.app.push_screen(
            PathPrompt(
                _("Export the results"),
                _(
                    ".md: a report to publish · .csv: the responses and a codebook · .xlsx: a "
                    "summary and the responses"
                ),
                str(default),
            ),
            chosen,
        )

    def action_publish(self) -> None:
        from .publish_dialog import PUBLISHABLE, PublishDialog, publish_state

        if not self.actor.can(Role.admin, Role.editor):
            return
        actor, survey_id = self.actor, self.survey_id

        def ask(state) -> None:
            if state.status not in PUBLISHABLE:
                self.notify(
                    _(
                        "Close the survey before publishing its results: residents read them "
                        "once no more answers can come (c in the surveys)."
                    ),
                    title=_("Not yet"),
                    severity="warning",
                    timeout=8,
                )
                return
            self.app.push_screen(PublishDialog(state), self._published)

        self.store(lambda backend: publish_state(backend, actor=actor, survey_id=survey_id), ask)

    def _published(self, done) -> None:
        if done is None:
            return
        if done.first:
            where = _("The results are published at {address}.")
        else:
            where = _("The report at {address} is updated.")
        if done.queued:
            queued = ngettext(
                "{n} follow-up email queued; it goes out as the dispatcher sends it.",
                "{n} follow-up emails queued; they go out as the dispatcher sends them.",
                done.queued,
            ).format(n=thousands(done.queued))
        else:
            queued = _("No follow-up email queued: nobody who took part is left to tell.")
        self.notify(
            where.format(address=done.address) + " " + queued,
            title=_("Results published"),
            timeout=15,
        )
