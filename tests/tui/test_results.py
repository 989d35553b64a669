"""The results screen through Pilot at 80×24: figures against an independent count of the
generated answers, hidden small counts, breakdowns, the filter, free text and who may read it."""

from __future__ import annotations

import statistics
from collections import Counter

from sqlmodel import select
from textual.widgets import Input, OptionList, Select, Static

from store.actors import Actor
from store.models import Invitation, Participant
from store.publishing import MAX_QUOTES, mark_quote
from store.results import Breakdown, text_answers
from tests.store.test_results import generate
from tui.screens import results as results_module
from tui.screens.results import ResultsScreen
from tui.screens.results_filter import ResultsFilter
from tui.screens.surveys import SurveysScreen
from tui.screens.text_answers import TextAnswersScreen
from tui.widgets.question_result import QuestionView, table_lines

from .conftest import log_in, open_section, settle
from .test_shell import palette

SIZE = (80, 24)
OPTIONS = ("Ja", "Nei", "Vet ikke")


def answers(world, count: int) -> list[dict]:
    """`generate`'s survey and responses; the fixture's four participants make way for its
    email addresses first."""
    with world.backend.db.write() as session:
        for person in session.exec(select(Participant)):
            person.email_key = f"world-{person.id}@x.no"
    _survey_id, rows = generate(world.backend.db, count)
    return rows


async def open_results(pilot, enrolment) -> ResultsScreen:
    await open_section(pilot, enrolment, "f4")
    await pilot.press("R")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ResultsScreen)
    return screen


def summary(screen) -> str:
    return str(screen.query_one("#results-summary", Static).render())


def text_of(view: QuestionView) -> str:
    return str(view.render())


def line_of(view: QuestionView, option: str) -> str:
    """The bar line of an option (its label, padded, then the bar)."""
    found = [line for line in text_of(view).splitlines() if line.startswith(option + " ")]
    assert len(found) == 1, text_of(view)
    return found[0]


def figures(line: str) -> list[str]:
    """A bar line's count and percent."""
    return line.split()[-3:]


def pct(count: int, of: int) -> str:
    return f"{count / of * 100:.0f}"


async def test_the_header_and_bars_match_an_independent_count(world):
    rows = answers(world, 400)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, world.admin)
        head = summary(screen)
        assert f"Responses: {len(rows)} · showing everyone" in head
        assert "Invited 400 · delivered 400 · undeliverable 0" in head
        assert f"completed {len(rows)}" in head
        assert f"Answers from {pct(len(rows), 400)} % of those reached." in head
        assert "Per day from " in head and "(most " in head

        aware = Counter(r["aware"] for r in rows)
        view = screen.views["aware"]
        for option in OPTIONS:
            assert figures(line_of(view, option)) == [
                str(aware[option]),
                pct(aware[option], len(rows)),
                "%",
            ]
        bars = {option: line_of(view, option).count("█") for option in OPTIONS}
        assert bars["Ja"] > bars["Nei"] > 0  # "Ja" was drawn twice as often

        chose = [r for r in rows if r["modes"]]
        buss = sum("Buss" in r["modes"] for r in chose)
        assert figures(line_of(screen.views["modes"], "Buss")) == [
            str(buss),
            pct(buss, len(chose)),
            "%",
        ]

        worries = [r["worry"] for r in rows if r["worry"] is not None]
        worry = text_of(screen.views["worry"])
        assert f"mean {statistics.mean(worries):.1f} · median {statistics.median(worries):g}" in (
            worry
        )
        ages = [r["age"] for r in rows if r["age"] is not None]
        assert f"n {len(ages)} · mean {statistics.mean(ages):.1f}" in text_of(screen.views["age"])
        ideas = sum(1 for r in rows if r["ideas"])
        assert f"free text · answered by {ideas}" in text_of(screen.views["ideas"])
        assert not screen.query_one("#results-note").display  # nothing hidden in 400

        # Every line fits the screen's width.
        for view in screen.views.values():
            width = view.content_size.width
            assert 0 < width <= 80
            assert all(len(line) <= width for line in view.lines(width))

        await pilot.press("escape")
        assert isinstance(pilot.app.screen, SurveysScreen)


async def test_small_counts_are_hidden_and_said_why(world):
    rows = answers(world, 20)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, world.analyst)
        assert f"Responses: {len(rows)}" in summary(screen)
        small = 0
        for key, options in (("aware", OPTIONS), ("worry", [1, 2, 3, 4, 5])):
            counts = Counter(r[key] for r in rows)
            for option in options:
                line = line_of(screen.views[key], str(option))
                if 0 < counts[option] < 5:
                    small += 1
                    assert figures(line)[-1] == "hidden"
                    assert "█" not in line and "%" not in line
                elif "hidden" not in line:  # a larger count may be hidden beside a small one
                    assert figures(line)[0] == str(counts[option])
        assert small  # the draw of 18 has small counts to hide
        note = screen.query_one("#results-note", Static)
        assert note.display
        assert "“hidden”: fewer than 5 answers" in str(note.render())


async def test_the_keys_read_down_to_the_free_text_which_analysts_may_not_open(world):
    rows = answers(world, 60)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, world.analyst)
        body = screen.query_one("#results-body")
        assert screen.focused is screen.views["aware"]
        for _ in range(80):
            if screen.focused is screen.views["ideas"]:
                break
            await pilot.press("down")
        assert screen.focused is screen.views["ideas"]
        assert body.scroll_y > 0  # the questions did not all fit: the body scrolled
        assert "for admins and editors" in text_of(screen.views["ideas"])
        assert f"answered by {sum(1 for r in rows if r['ideas'])}" in (
            text_of(screen.views["ideas"])
        )
        await pilot.press("t")
        await settle(pilot)
        assert pilot.app.screen is screen  # no list of answers, and no crash
        messages = [str(n.message) for n in pilot.app._notifications]
        assert any("admins and editors only" in m for m in messages)
        await pilot.press("up")
        assert screen.focused is not screen.views["ideas"]


async def test_an_admin_reads_and_searches_the_free_text(world):
    rows = answers(world, 60)
    ideas = [r["ideas"] for r in rows if r["ideas"]]
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, world.admin)
        screen.views["ideas"].focus()
        await pilot.press("enter")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, TextAnswersScreen)
        count = str(dialog.query_one("#text-count", Static).render())
        assert count == f"{len(ideas)} answers, newest first"
        await pilot.press(*"buss")
        await settle(pilot)
        count = str(dialog.query_one("#text-count", Static).render())
        assert count == f"{ideas.count('Bedre buss')} answers containing “buss”"
        shown = listed(dialog)
        assert len(shown) == ideas.count("Bedre buss")
        assert set(shown) == {"  Bedre buss"}  # none quoted yet
        await pilot.press("escape")
        assert pilot.app.screen is screen


def listed(dialog) -> list[str]:
    """The answers the dialog lists, each with its mark."""
    options = dialog.query_one("#text-list", OptionList)
    return [str(option.prompt) for option in options.options]


def quoted_ids(world, survey_id: int) -> set[int]:
    found = text_answers(
        world.backend.db, actor=Actor.operator(), survey_id=survey_id, question="ideas"
    )
    return {answer.id for answer in found if answer.quoted}


async def open_text_answers(pilot, world) -> TextAnswersScreen:
    screen = await open_results(pilot, world.admin)
    screen.views["ideas"].focus()
    await pilot.press("t")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, TextAnswersScreen)
    return dialog


async def test_space_quotes_an_answer_and_unquotes_it(world):
    answers(world, 60)
    survey_id = results_survey(world)
    async with world.app().run_test(size=SIZE) as pilot:
        dialog = await open_text_answers(pilot, world)
        search = dialog.query_one("#text-search", Input)
        options = dialog.query_one("#text-list", OptionList)
        assert dialog.focused is search
        await pilot.press("space", "q")  # in the search they are typed, not keys
        assert search.value == " q"
        assert not quoted_ids(world, survey_id)
        search.value = ""
        await settle(pilot)

        await pilot.press("down")  # from the search into the list
        assert dialog.focused is options and options.highlighted == 0
        first = options.options[0].id
        await pilot.press("down")
        second = options.options[1].id
        await pilot.press("space")
        await settle(pilot)
        assert quoted_ids(world, survey_id) == {int(second)}
        assert listed(dialog)[1].startswith("★ ") and listed(dialog)[0].startswith("  ")
        assert "1 quoted" in str(dialog.query_one("#text-count", Static).render())

        await pilot.press("up", "q")
        await settle(pilot)
        assert quoted_ids(world, survey_id) == {int(first), int(second)}
        await pilot.press("space")  # again: no longer quoted
        await settle(pilot)
        assert quoted_ids(world, survey_id) == {int(second)}
        assert not listed(dialog)[0].startswith("★")

        # A fresh search keeps the marks, read back from the store.
        await pilot.press("slash")
        assert dialog.focused is search
        await pilot.press(*"e")
        await settle(pilot)
        assert sum(line.startswith("★ ") for line in listed(dialog)) == 1
        await pilot.press("tab")
        assert dialog.focused is options


async def test_the_store_refuses_a_quote_beyond_the_most_and_says_so(world):
    answers(world, 60)
    survey_id = results_survey(world)
    ids = sorted(all_ids(world, survey_id))
    for answer_id in ids[:MAX_QUOTES]:
        mark_quote(world.backend.db, actor=Actor.operator(), answer_id=answer_id, quoted=True)
    async with world.app().run_test(size=SIZE) as pilot:
        dialog = await open_text_answers(pilot, world)
        options = dialog.query_one("#text-list", OptionList)
        options.focus()
        await pilot.pause()
        assert not listed(dialog)[0].startswith("★")  # newest first: the last ids are unquoted
        await pilot.press("space")
        await settle(pilot)
        assert pilot.app.screen is dialog
        assert len(quoted_ids(world, survey_id)) == MAX_QUOTES
        assert not listed(dialog)[0].startswith("★")
        messages = [str(n.message) for n in pilot.app._notifications]
        assert any(f"at most {MAX_QUOTES} quotes" in m for m in messages)


def all_ids(world, survey_id: int) -> set[int]:
    found = text_answers(
        world.backend.db, actor=Actor.operator(), survey_id=survey_id, question="ideas"
    )
    return {answer.id for answer in found}


async def test_b_steps_through_the_breakdowns(world):
    rows = answers(world, 400)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, world.analyst)
        assert "By " not in text_of(screen.views["aware"])
        await pilot.press("b")
        await settle(pilot)
        assert "Broken down by gender" in summary(screen)
        aware = text_of(screen.views["aware"])
        assert "By gender:" in aware
        women = [r for r in rows if r["gender"] == "female"]
        expected = [sum(r["aware"] == option for r in women) for option in OPTIONS]
        assert min(expected) >= 5  # nothing to hide in these
        line = next(line for line in aware.splitlines() if line.startswith("female "))
        assert line.split()[1:] == [*map(str, expected), str(len(women))]
        assert "By gender:" not in text_of(screen.views["ideas"])

        for dimension in ("age band", "district", "interest"):
            await pilot.press("b")
            await settle(pilot)
            assert f"Broken down by {dimension}" in summary(screen)
            assert f"By {dimension}:" in text_of(screen.views["worry"])
        klima = next(
            line for line in text_of(screen.views["aware"]).splitlines() if line.startswith("Klima")
        )
        assert klima.split()[-1] == str(sum(r["interest"] for r in rows))
        await pilot.press("b")
        await settle(pilot)
        assert "Broken down" not in summary(screen)
        assert "By " not in text_of(screen.views["aware"])


async def test_the_filter_narrows_the_answers_and_shift_f_clears_it(world):
    rows = answers(world, 400)
    jar = [r for r in rows if r["district"] == "Jar"]
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, world.admin)
        await pilot.press("f")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ResultsFilter)
        districts = dialog.query_one("#results-district", Select)
        assert [value for _text, value in districts._options[1:]] == ["Fornebu", "Jar", "Sandvika"]
        assert dialog.query("#results-interest")  # identified: interest is offered
        districts.value = "Jar"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert f"Responses: {len(jar)} · showing district Jar" in summary(screen)
        ja = sum(r["aware"] == "Ja" for r in jar)
        assert figures(line_of(screen.views["aware"], "Ja")) == [str(ja), pct(ja, len(jar)), "%"]

        await pilot.press("F")
        await settle(pilot)
        assert f"Responses: {len(rows)} · showing everyone" in summary(screen)


async def test_a_subgroup_under_k_shows_no_count(world):
    rows = answers(world, 400)
    few = [r for r in rows if r["district"] == "Fornebu" and r["age_band"] == "16–24"]
    assert len(few) < 5
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, world.analyst)
        await pilot.press("f")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ResultsFilter)
        dialog.query_one("#results-district", Select).value = "Fornebu"
        dialog.query_one("#results-age_band", Select).value = "16–24"
        await pilot.press("ctrl+s")
        await settle(pilot)
        head = summary(screen)
        assert "Responses: fewer than 5 · showing age band 16–24, district Fornebu" in head
        assert all(
            figures(line_of(screen.views["aware"], option))[-1] == "hidden" for option in OPTIONS
        )


async def test_r_and_the_timer_refresh_an_open_survey(world, monkeypatch):
    answers(world, 30)
    monkeypatch.setattr(results_module, "REFRESH_SECONDS", 0.3)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, world.admin)
        assert "Invited 30 ·" in summary(screen)
        assert "updates every 0.3 s" in summary(screen)
        invite(world, "late-1")
        await pilot.press("r")
        await settle(pilot)
        assert "Invited 31 ·" in summary(screen)
        invite(world, "late-2")
        await pilot.pause(0.8)
        await settle(pilot)
        assert "Invited 32 ·" in summary(screen)


def invite(world, name: str) -> None:
    survey_id = results_survey(world)
    with world.backend.db.write() as session:
        person = Participant(name=name, email_key=f"{name}@x.no", status="active")
        session.add(person)
        session.flush()
        session.add(Invitation(survey_id=survey_id, participant_id=person.id, token_hash=name))


def results_survey(world) -> int:
    with world.backend.db.read() as session:
        return session.exec(select(Invitation.survey_id)).first()


async def test_results_are_in_the_command_palette(world):
    answers(world, 20)
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.analyst)
        await palette(pilot, "Surveys: Results")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ResultsScreen)
        assert "Results: Klima" in str(screen.query_one(".screen-title", Static).render())


def test_a_wide_breakdown_runs_on_in_blocks_that_fit():
    labels = [f"Option number {n}" for n in range(6)]
    table = Breakdown(
        question="q",
        dimension="district",
        groups=["Bærums Verk", "–"],
        labels=labels,
        totals=[120, None],
        cells=[[20, 20, 20, 20, 20, 20], [None, 0, 0, 0, 0, None]],
        column_totals=[22, 20, 20, 20, 20, 23, 124],
        k=5,
    )
    lines = table_lines(table, 40)
    assert all(len(line) <= 40 for line in lines)
    headers = [line for line in lines if line.strip().endswith(" n")]
    assert len(headers) > 1  # six columns of ten do not fit across forty
    assert sum(line.count("Option nu…") for line in headers) == len(labels)
    unknown = [line.split()[1:] for line in lines if line.startswith("unknown")]
    assert len(unknown) == len(headers)
    # Its size is hidden, so its zeros are too: they would say what its few answered.
    assert {cell for line in unknown for cell in line} == {"hidden"}
    everyone = [line.split()[1:] for line in lines if line.startswith("Total")]
    assert [cell for line in everyone for cell in line[:-1]] == list(
        map(str, [22, 20, 20, 20, 20, 23])
    )


async def test_x_exports_the_results_to_the_file_named(world, tmp_path):
    from textual.widgets import Footer, Input

    rows = answers(world, 60)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, world.admin)
        shown = [key for key, b in screen.active_bindings.items() if b.binding.show]
        assert "x" in shown and screen.query_one(Footer)  # in the footer
        for name in ("report.md", "answers.xlsx", "wrong.txt"):
            await pilot.press("x")
            await settle(pilot)
            pilot.app.screen.query_one("#path", Input).value = str(tmp_path / name)
            await pilot.press("enter")
            await settle(pilot)
        assert pilot.app.screen is screen
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# Klima") and f"{len(rows)} responses" in report
    assert (tmp_path / "answers.xlsx").read_bytes()[:2] == b"PK"
    assert not (tmp_path / "wrong.txt").exists()


async def test_w_puts_the_weighted_shares_beside(world):
    from store.actors import Actor
    from store.weighting import survey_weighting, weighted_shares
    from tests.store.test_weighting import load_population
    from tui.widgets.question_result import percent

    answers(world, 200)
    db = world.backend.db
    async with world.app().run_test(size=(100, 40)) as pilot:
        screen = await open_results(pilot, world.admin)
        await pilot.press("w")
        await settle(pilot)
        assert "Nothing to weight to" in summary(screen)
        load_population(db)
        await pilot.press("r")
        await settle(pilot)
        actor, survey_id = Actor.operator(), screen.survey_id
        weighting = survey_weighting(db, actor=actor, survey_id=survey_id)
        assert f"worth {round(weighting.effective_n)} unweighted" in summary(screen)
        shares = weighted_shares(db, actor=actor, survey_id=survey_id, weighting=weighting)
        ja = line_of(screen.views["aware"], "Ja")
        assert ja.endswith(f"w{percent(shares['aware'][0].share):>5}"), ja
        await pilot.press("w")
        await settle(pilot)
        assert " w" not in line_of(screen.views["aware"], "Ja")
