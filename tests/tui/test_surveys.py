"""The survey editor through Pilot, by keyboard alone: write, save, conflict, refuse, preview."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from store.actors import Actor
from store.surveys import get_survey, list_surveys
from tui.screens.question_form import QuestionForm
from tui.screens.survey_editor import SurveyEditor
from tui.screens.survey_preview import SurveyPreview
from tui.screens.surveys import SurveysScreen

from .conftest import open_section, settle

SIZE = (100, 40)


async def write(pilot, text: str) -> None:
    """Type `text` key by key, as staff would."""
    await pilot.press(*("space" if ch == " " else ch for ch in text))


def focused_id(pilot) -> str | None:
    return pilot.app.focused.id if pilot.app.focused else None


async def tab_to(pilot, widget_id: str, *, limit: int = 30) -> None:
    for _ in range(limit):
        if focused_id(pilot) == widget_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"tab never reached #{widget_id}; focus is on {focused_id(pilot)}")


async def choose(pilot, select_id: str, steps: int) -> None:
    """Open a Select by keyboard and move `steps` down its list."""
    await tab_to(pilot, select_id)
    await pilot.press("enter", *["down"] * steps, "enter")


async def replace_text(pilot, field_id: str, text: str) -> None:
    await tab_to(pilot, field_id)
    await pilot.press("end", *["backspace"] * 12)
    await write(pilot, text)


async def add_question(pilot, *, kind_steps: int, key: str, text: str, **extra) -> None:
    """From the question list: a new question, filled in field by field, then Ctrl+S."""
    await pilot.press("a")
    await settle(pilot)
    assert isinstance(pilot.app.screen, QuestionForm)
    await write(pilot, text)
    if kind_steps:
        await pilot.press("shift+tab")
        await choose(pilot, "q-kind", kind_steps)
    await replace_text(pilot, "q-key", key)
    if extra.get("required"):
        await tab_to(pilot, "q-required")
        await pilot.press("space")
    for option in extra.get("options", []):
        await tab_to(pilot, "q-option")
        await write(pilot, option)
        await pilot.press("enter")
    for field, value in extra.get("fields", {}).items():
        await replace_text(pilot, field, value)
    if "show_if" in extra:
        await choose(pilot, "q-if-key", extra["show_if"])
        await tab_to(pilot, "q-if-values")
        await pilot.press("space")
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(pilot.app.screen, SurveyEditor), pilot.app.screen.query_one(
        "#q-error", Static
    ).render()


async def test_a_survey_with_every_kind_of_question_written_by_keyboard_alone(world) -> None:
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, world.admin, "f4")
        assert isinstance(app.screen, SurveysScreen)
        await pilot.press("n")
        await settle(pilot)
        assert focused_id(pilot) == "s-title"
        await write(pilot, "Klima i Bærum")
        await pilot.press("tab")
        await write(pilot, "Vi vil høre hva du mener.")
        await tab_to(pilot, "s-anonymous")
        await pilot.press("space")  # identified
        await replace_text(pilot, "s-closes", "2026-12-31")
        await replace_text(pilot, "s-remind-after", "7")
        await replace_text(pilot, "s-max-reminders", "2")
        await tab_to(pilot, "questions")
        await add_question(
            pilot,
            kind_steps=0,
            key="aware",
            text="Kjenner du til klimastrategien?",
            required=True,
            options=["Ja", "Nei", "Usikker"],
        )
        await add_question(
            pilot,
            kind_steps=2,
            key="worry",
            text="Hvor bekymret er du?",
            fields={"q-min-label": "Ikke bekymret", "q-max-label": "Svært bekymret"},
        )
        await add_question(
            pilot,
            kind_steps=1,
            key="measures",
            text="Hva er viktigst?",
            options=["Sykkel", "Buss"],
        )
        await add_question(
            pilot,
            kind_steps=3,
            key="ideas",
            text="Hva bør kommunen gjøre?",
            fields={"q-max-length": "500"},
            show_if=1,
        )
        await add_question(
            pilot,
            kind_steps=4,
            key="age",
            text="Hvor gammel er du?",
            fields={"q-min": "16", "q-max": "120"},
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen.query_one("#editor-error", Static).render().plain == ""
    [row] = list_surveys(world.backend.db, actor=Actor.operator())
    spec = get_survey(world.backend.db, actor=Actor.operator(), survey_id=row.id).spec
    assert (spec.title, spec.intro, spec.anonymous) == (
        "Klima i Bærum",
        "Vi vil høre hva du mener.",
        False,
    )
    assert spec.closes_on.isoformat() == "2026-12-31"
    assert (spec.remind_after_days, spec.max_reminders) == (7, 2)
    assert [(q.key, q.kind) for q in spec.questions] == [
        ("aware", "single"),
        ("worry", "scale"),
        ("measures", "multiple"),
        ("ideas", "text"),
        ("age", "number"),
    ]
    aware, worry, measures, ideas, age = spec.questions
    assert aware.required and aware.labels == ["Ja", "Nei", "Usikker"]
    assert (worry.min_value, worry.max_value, worry.min_label, worry.max_label) == (
        1,
        5,
        "Ikke bekymret",
        "Svært bekymret",
    )
    assert measures.labels == ["Sykkel", "Buss"] and not measures.required
    assert ideas.max_length == 500 and ideas.show_if == {"aware": ["Ja"]}
    assert (age.min_value, age.max_value) == (16, 120)


def climate_survey(world) -> int:
    from store.surveys import create_survey
    from tests.store.test_surveys import climate

    return create_survey(world.backend.db, actor=Actor.operator(), spec=climate())


async def editor_for(pilot, world, survey_id: int) -> SurveyEditor:
    await open_section(pilot, world.admin, "f4")
    table = pilot.app.screen.query_one("#surveys")
    table.move_cursor(row=table.get_row_index(str(survey_id)))
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SurveyEditor) and screen.version >= 1
    return screen


async def test_the_second_of_two_conflicting_saves_keeps_its_text_on_screen(world) -> None:
    from store.surveys import save_survey

    survey_id = climate_survey(world)
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        editor = await editor_for(pilot, world, survey_id)
        await pilot.press("end")
        await write(pilot, " 2027")
        # Meanwhile a colleague saves the same survey.
        other = get_survey(world.backend.db, actor=Actor.operator(), survey_id=survey_id)
        other.spec.intro = "Endret av en kollega."
        save_survey(
            world.backend.db, actor=Actor.operator(), survey_id=survey_id, spec=other.spec,
            version=other.version,
        )  # fmt: skip
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = editor.query_one("#editor-error", Static).render().plain
        assert "someone else saved this survey" in error and "Ctrl+R" in error
        assert editor.query_one("#s-title", Input).value == "Klima i Bærum 2027"
        saved = get_survey(world.backend.db, actor=Actor.operator(), survey_id=survey_id)
        assert saved.spec.title == "Klima i Bærum" and saved.version == 2
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert editor.query_one("#s-title", Input).value == "Klima i Bærum"
        assert editor.version == 2


async def test_deleting_a_question_with_answers_is_refused_with_the_reason(world) -> None:
    from store.surveys import set_survey_status
    from tests.store.test_surveys import answer

    survey_id = climate_survey(world)
    set_survey_status(world.backend.db, actor=Actor.operator(), survey_id=survey_id, status="open")
    answer(world.backend.db, survey_id, "aware", "Ja")
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        editor = await editor_for(pilot, world, survey_id)
        assert "1 answers" in editor.query_one("#editor-title", Static).render().plain
        await tab_to(pilot, "questions")
        await pilot.press("end", "x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert [q.key for q in editor.spec.questions][-1] == "ideas"
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = editor.query_one("#editor-error", Static).render().plain
        assert "the survey has answers, question 'age' cannot be deleted" in error
    kept = get_survey(world.backend.db, actor=Actor.operator(), survey_id=survey_id)
    assert kept.spec.questions[-1].key == "age" and kept.version == 2  # opened once, not saved


async def test_the_preview_applies_conditions_and_enforces_required_answers(world) -> None:
    climate_survey(world)
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, world.analyst, "f4")  # analysts may preview
        assert pilot.app.screen.query_one("#surveys").row_count == 1
        await pilot.press("v")
        await settle(pilot)
        preview = app.screen
        assert isinstance(preview, SurveyPreview)

        def progress() -> str:
            return preview.query_one("#preview-progress", Static).render().plain

        def error() -> str:
            return preview.query_one("#preview-error", Static).render().plain

        await pilot.press("ctrl+n")
        await settle(pilot)
        assert progress().startswith("Question 1 of 4") and "(required)" in progress()
        await pilot.press("ctrl+n")  # required, unanswered
        await settle(pilot)
        assert error() == "This question must be answered." and progress().startswith("Question 1")
        await pilot.press("down", "enter")  # Nei: the follow-up about ideas is not asked
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert progress() == "Question 2 of 4"
        await pilot.press("ctrl+b")
        await settle(pilot)
        await pilot.press("up", "enter")  # Ja, after all: now five questions
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert progress() == "Question 2 of 5"
        for _ in range(2):  # the scale and the multiple choice are optional
            await pilot.press("ctrl+n")
            await settle(pilot)
        assert progress() == "Question 4 of 5"
        await write(pilot, "Flere sykkelveier")
        await pilot.press("enter")
        await settle(pilot)
        assert progress() == "Question 5 of 5"
        await write(pilot, "12")
        await pilot.press("enter")
        await settle(pilot)
        assert error() == "The lowest allowed is 16."
        await pilot.press("backspace", "backspace")
        await write(pilot, "42")
        await pilot.press("enter")
        await settle(pilot)
        assert progress() == "Done"
        assert preview.answers == {
            "aware": "Ja", "worry": None, "measures": [], "ideas": "Flere sykkelveier",
            "age": "42",
        }  # fmt: skip


async def test_snapshots_of_the_editor_the_question_form_and_the_preview(world) -> None:
    from .snapshot import assert_snapshot

    survey_id = climate_survey(world)
    app = world.app()
    async with app.run_test(size=(100, 40)) as pilot:
        await editor_for(pilot, world, survey_id)
        await tab_to(pilot, "questions")
        await pilot.press("down")
        await settle(pilot)
        assert_snapshot(app, "survey_editor")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QuestionForm)
        assert_snapshot(app, "question_form_scale")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, SurveyPreview)
        await pilot.press("ctrl+n", "down", "enter", "ctrl+n")
        await settle(pilot)
        assert_snapshot(app, "survey_preview_scale")


async def test_export_and_import_a_survey_file_from_the_app(world, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    survey_id = climate_survey(world)
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, world.admin, "f4")
        await pilot.press("x")
        await settle(pilot)
        path = pilot.app.screen.query_one("#path", Input)
        assert path.value == str(tmp_path / f"survey-{survey_id}.yaml")
        await pilot.press("enter")
        await settle(pilot)
        written = tmp_path / f"survey-{survey_id}.yaml"
        assert "title: Klima i Bærum" in written.read_text(encoding="utf-8")
        assert written.stat().st_mode & 0o077 == 0
        await pilot.press("i")
        await settle(pilot)
        pilot.app.screen.query_one("#path", Input).value = str(written)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SurveysScreen)
        assert app.screen.query_one("#surveys").row_count == 2
        (tmp_path / "bad.yaml").write_text("title: x\nquestions:\n  - id: a\n    kind: maybe\n")
        await pilot.press("i")
        await settle(pilot)
        pilot.app.screen.query_one("#path", Input).value = str(tmp_path / "bad.yaml")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one("#surveys").row_count == 2  # nothing imported
    surveys = list_surveys(world.backend.db, actor=Actor.operator())
    copy = get_survey(world.backend.db, actor=Actor.operator(), survey_id=surveys[0].id).spec
    original = get_survey(world.backend.db, actor=Actor.operator(), survey_id=survey_id).spec
    assert [q.key for q in copy.questions] == [q.key for q in original.questions]


async def test_analysts_cannot_write_or_change_surveys(world) -> None:
    survey_id = climate_survey(world)
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, world.analyst, "f4")
        for key in ("n", "d", "o", "delete"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, SurveysScreen), key
        assert len(list_surveys(world.backend.db, actor=Actor.operator())) == 1
        assert get_survey(world.backend.db, actor=Actor.operator(), survey_id=survey_id).status == (
            "draft"
        )


async def test_leaving_an_unchanged_survey_asks_nothing(world) -> None:
    from store.survey_files import read_survey_file
    from store.surveys import create_survey

    spec = read_survey_file(Path(__file__).parents[2] / "store/data/surveys/klima.yaml")
    spec.intro += "\n"  # as a YAML block keeps it
    survey_id = create_survey(world.backend.db, actor=Actor.operator(), spec=spec)
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await editor_for(pilot, world, survey_id)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SurveysScreen)  # no "leave without saving?"
        await pilot.press("enter")
        await settle(pilot)
        await write(pilot, "!")  # the title changed: now it asks
        await pilot.press("escape")
        await settle(pilot)
        assert "Leave without saving?" in str(app.screen.query_one(".dialog-title").render())


async def test_o_then_y_opens_the_selected_survey(world) -> None:
    from store.surveys import create_survey
    from tests.store.test_results import SPEC

    survey_id = create_survey(world.backend.db, actor=Actor.operator(), spec=SPEC)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_section(pilot, world.admin, "f4")
        assert isinstance(screen, SurveysScreen)
        await pilot.press("o")
        await settle(pilot)
        assert "for answers?" in str(pilot.app.screen.query_one(Static).render())
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.screen is screen
    detail = get_survey(world.backend.db, actor=Actor.operator(), survey_id=survey_id)
    assert detail.status == "open"
