"""One question's results as lines of text: a bar per option, the summary of numbers, and a
breakdown table cut into as many blocks of columns as the width needs."""

from __future__ import annotations

from dataclasses import replace
from math import ceil
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widget import Widget

from ..i18n import N_, _
from ..labels import label, thousands
from ..screens.surveys import KIND_LABELS

if TYPE_CHECKING:
    from datetime import date

    from store.results import Breakdown, NumberSummary, QuestionResult, Share
    from store.weighting import WeightedShare

EIGHTHS = " ▏▎▍▌▋▊▉"
SPARKS = "▁▂▃▄▅▆▇█"
DIMENSION_LABELS = {
    "gender": N_("gender"),
    "age_band": N_("age band"),
    "district": N_("district"),
    "interest": N_("interest"),
}
LABEL_WIDTH = 24  # the most an option's label takes beside its bar
HEADING_WIDTH = 10  # the most an option's label takes over a breakdown column
GROUP_WIDTH = 16
FALLBACK_WIDTH = 76


def hidden() -> str:
    """What a suppressed count shows: not "<k", for a count hidden beside a small one may be
    large."""
    return _("hidden")


def percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f} %"


def figure(value: float | None) -> str:
    if value is None:
        return "–"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def count_text(count: int | None) -> str:
    return hidden() if count is None else thousands(count)


def fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def bar(share: float, width: int) -> str:
    """A bar of `width` cells for 100 %, to an eighth of a cell."""
    full, part = divmod(round(max(0.0, min(share, 1.0)) * width * 8), 8)
    return "█" * full + (EIGHTHS[part] if part else "")


def group_label(dimension: str, group: str) -> str:
    if group == "–":
        return _("unknown")
    return label(group) if dimension == "gender" else group


def bar_lines(
    shares: list[Share], width: int, weighted: list[WeightedShare] | None = None
) -> list[str]:
    """Label, bar, count and percent of respondents for each option, within `width`; with
    `weighted`, the weighted percent beside, after a "w"."""
    if not shares:
        return []
    label_width = min(max(len(s.label) for s in shares), LABEL_WIDTH, max(width // 3, 8))
    count_width = max(6, len(hidden()))
    extra = 7 if weighted else 0
    bar_width = max(width - label_width - count_width - 5 - 3 - extra, 5)
    lines = []
    for n, share in enumerate(shares):
        shown = share.count is not None and share.share is not None
        drawn = bar(share.share or 0.0, bar_width) if shown else ""
        line = (
            f"{fit(share.label, label_width):<{label_width}} {drawn:<{bar_width}} "
            f"{count_text(share.count):>{count_width}} {percent(share.share) if shown else '':>5}"
        )
        if weighted:
            value = weighted[n].share if n < len(weighted) else None
            line += f" w{percent(value) if value is not None else '–':>5}"
        lines.append(line)
    return lines


def summary_line(kind: str, summary: NumberSummary | None, k: int) -> str:
    if summary is None:
        return _("Too few answers for a mean or median (fewer than {k}).").format(k=k)
    text = _("mean {mean} · median {median} · 5th–95th percentile {low}–{high}").format(
        mean=f"{summary.mean:.1f}" if summary.mean is not None else "–",
        median=figure(summary.median),
        low=figure(summary.low),
        high=figure(summary.high),
    )
    return f"n {thousands(summary.n)} · {text}" if kind == "number" else text


def table_lines(table: Breakdown, width: int) -> list[str]:
    """Groups down, options across, each group's respondents last, then the column totals (one
    in several interests counts in each); the options run on in a further block below when they
    do not fit across. A group whose size is hidden shows no cell at all: its zeros would tell
    what its few members answered."""
    names = [group_label(table.dimension, g) for g in table.groups] + [_("Total")]
    rows = [[*cells, total] for cells, total in zip(table.cells, table.totals, strict=True)]
    rows.append(list(table.column_totals))
    rows = [row if row[-1] is not None else [None] * len(row) for row in rows]
    texts = [[count_text(cell) for cell in row] for row in rows]
    headings = [fit(name, HEADING_WIDTH) for name in table.labels] + ["n"]
    widths = [
        max(len(heading), *(len(row[c]) for row in texts)) for c, heading in enumerate(headings)
    ]
    name_width = min(max(len(n) for n in names), GROUP_WIDTH)
    last = len(headings) - 1
    room = max(width - name_width - widths[last] - 2, 1)
    blocks: list[list[int]] = [[]]
    used = 0
    for c in range(last):
        if blocks[-1] and used + widths[c] + 2 > room:
            blocks.append([])
            used = 0
        blocks[-1].append(c)
        used += widths[c] + 2
    lines: list[str] = []
    for block in blocks:
        columns = [*block, last]
        if lines:
            lines.append("")
        lines.append(" " * name_width + "".join(f"  {headings[c]:>{widths[c]}}" for c in columns))
        for name, row in zip(names, texts, strict=True):
            cells = "".join(f"  {row[c]:>{widths[c]}}" for c in columns)
            lines.append(f"{fit(name, name_width):<{name_width}}{cells}")
    return lines


def day_marks(per_day: list[tuple[date, int]], last: date | None, room: int) -> tuple[str, int]:
    """Responses a day as one line of block characters from the first day with answers to
    `last` (or the last such day), several days to a mark when there are more than `room`;
    the line and the days per mark."""
    if not per_day:
        return "", 1
    counts = dict(per_day)
    first = per_day[0][0]
    end = max(per_day[-1][0], last) if last else per_day[-1][0]
    days = [
        counts.get(first.fromordinal(n), 0) for n in range(first.toordinal(), end.toordinal() + 1)
    ]
    step = max(ceil(len(days) / max(room, 1)), 1)
    buckets = [sum(days[i : i + step]) for i in range(0, len(days), step)]
    most = max(buckets) or 1
    marks = "".join(
        " " if n == 0 else SPARKS[min(ceil(n / most * len(SPARKS)) - 1, len(SPARKS) - 1)]
        for n in buckets
    )
    return marks, step


class QuestionView(Widget, can_focus=True):
    """A question's results; ↑ and ↓ read on line by line, then move to the next question."""

    DEFAULT_CSS = """
    QuestionView {
        height: auto;
        padding: 0 1;
        margin-bottom: 1;
    }
    QuestionView:focus {
        background: $boost;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "step(1)", _("Read on"), id="results-down", show=False),
        Binding("up", "step(-1)", _("Read back"), id="results-up", show=False),
    ]

    def __init__(self, number: int, result: QuestionResult, *, k: int, reader: bool) -> None:
        super().__init__()
        self.number = number
        self.result = result
        self.table: Breakdown | None = None
        self.weighted: list[WeightedShare] | None = None  # shares weighted to the population
        self.k = k
        self.reader = reader  # may read the free-text answers themselves

    @property
    def key(self) -> str:
        return self.result.key

    def show(
        self,
        result: QuestionResult,
        table: Breakdown | None,
        k: int,
        weighted: list[WeightedShare] | None = None,
    ) -> None:
        self.result, self.table, self.k, self.weighted = result, table, k, weighted
        self.refresh(layout=True)

    def render(self) -> Text:
        width = self.content_size.width or FALLBACK_WIDTH
        text = Text()
        text.append(f"{self.number}. {self.result.text}\n", style="bold")
        text.append(self._subtitle(), style="dim")
        for line in self.lines(width):
            text.append("\n" + line)
        return text

    def _subtitle(self) -> str:
        result = self.result
        kind = _(KIND_LABELS.get(result.kind, result.kind))
        if result.respondents is None:
            return _("{kind} · answered by: {n}").format(kind=kind, n=hidden())
        return _("{kind} · answered by {n}").format(kind=kind, n=thousands(result.respondents))

    def lines(self, width: int) -> list[str]:
        """The question's figures, each line within `width`."""
        result = self.result
        if result.kind == "text":
            if self.reader:
                return [_("Enter or t: read the answers, and search them.")]
            return [
                _(
                    "The answers themselves are for admins and editors: a sentence can say "
                    "who wrote it."
                )
            ]
        shares = result.shares
        if result.respondents is None:  # its zeros would tell what the hidden few answered
            shares = [replace(share, count=None, share=None) for share in shares]
        lines = bar_lines(shares, width, self.weighted)
        if result.kind == "multiple" and lines:
            lines.append(_("Percent of those who answered; each could choose more than one."))
        if result.kind in ("scale", "number"):
            lines.append(summary_line(result.kind, result.summary, self.k))
        if self.table is not None:
            dimension = _(DIMENSION_LABELS.get(self.table.dimension, self.table.dimension))
            lines.append("")
            lines.append(_("By {dimension}:").format(dimension=dimension))
            lines += table_lines(self.table, width)
        return lines

    def has_hidden(self) -> bool:
        shares = any(share.count is None for share in self.result.shares)
        cells = self.table is not None and (
            any(c is None for row in self.table.cells for c in row)
            or None in self.table.totals
            or None in self.table.column_totals
        )
        return self.result.respondents is None or shares or cells

    # Reading by keyboard ---------------------------------------------------------------------

    def action_step(self, direction: int) -> None:
        """Scroll a line while this question runs past the edge; then go to the next one."""
        body = self.parent
        if not isinstance(body, Widget):
            return
        views = list(body.query_children(QuestionView))
        top, height = body.scroll_y, body.scrollable_content_region.height
        region = self.virtual_region_with_margin
        seen = [
            v for v in views if v.virtual_region.bottom > top and v.virtual_region.y < top + height
        ]
        if self not in seen and seen:
            (seen[0] if direction > 0 else seen[-1]).focus(scroll_visible=False)
            return
        if direction > 0 and region.bottom > top + height:
            body.scroll_to(y=top + 1, animate=False)
            return
        if direction < 0 and region.y < top:
            body.scroll_to(y=top - 1, animate=False)
            return
        index = views.index(self) + direction
        if not 0 <= index < len(views):
            return
        target = views[index]
        target.focus(scroll_visible=False)
        area = target.virtual_region_with_margin
        if area.height <= height:
            body.scroll_to_widget(target, animate=False)
        elif direction > 0:
            body.scroll_to(y=area.y, animate=False)
        else:
            body.scroll_to(y=area.bottom - height, animate=False)
