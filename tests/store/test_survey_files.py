"""Survey files: what is written reads back the same, and every problem names its line and field."""

from __future__ import annotations

import re
import stat
import string
from datetime import date
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store.actors import Actor
from store.demo import SURVEY_FILES
from store.errors import NotFound, PanelError
from store.survey_files import (
    QUESTION_KEYS,
    SURVEY_KEYS,
    SurveyFileError,
    dump_survey_yaml,
    export_survey_file,
    load_survey_yaml,
    read_survey_file,
)
from store.survey_spec import KINDS, OptionSpec, QuestionSpec, SurveySpec
from store.surveys import create_survey, get_survey

# Letters with Norwegian ones, and the punctuation that makes YAML quote a string.
ALPHABET = string.ascii_letters + "æøåÆØÅéü" + string.digits + " .,:;!?-–'\"#&*|>%@()[]{}/~"


def words(max_size: int = 30) -> st.SearchStrategy[str]:
    """A label or a question's wording: trimmed, not empty (the store trims them)."""
    return st.text(ALPHABET, min_size=1, max_size=max_size).map(str.strip).filter(bool)


# An introduction or a thank-you: line breaks and spaces kept as written inside, trimmed at the
# ends (the store and the file reader trim them).
paragraphs = st.text(ALPHABET + "\n", max_size=80).map(str.strip)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
keys = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,11}", fullmatch=True)


@st.composite
def survey_files(draw) -> dict[str, Any]:
    """A valid survey in the form `dump_survey_yaml` writes it, as the data YAML reads as."""
    data: dict[str, Any] = {"title": draw(words(60))}
    for name in ("intro", "thanks"):
        text = draw(paragraphs)
        if text:
            data[name] = text
    data["anonymous"] = draw(st.booleans())
    opens, closes = draw(st.none() | days), draw(st.none() | days)
    if opens and closes and closes < opens:
        opens, closes = closes, opens
    if opens:
        data["opens"] = opens
    if closes:
        data["closes"] = closes
    if (remind := draw(st.none() | st.integers(1, 60))) is not None:
        data["remind_after_days"] = remind
    if (most := draw(st.integers(0, 5))) != 1:
        data["max_reminders"] = most
    answers: list[tuple[str, list[Any]]] = []  # earlier questions a condition may test
    data["questions"] = []
    for key in draw(st.lists(keys, min_size=1, max_size=6, unique=True)):
        kind = draw(st.sampled_from(KINDS))
        question: dict[str, Any] = {
            "id": key,
            "kind": kind,
            "text": draw(words(80)),
            "required": draw(st.booleans()),
        }
        if kind in ("single", "multiple"):
            options = draw(st.lists(words(20), min_size=2, max_size=5, unique_by=str.casefold))
            question["options"] = options
            answers.append((key, options))
        elif kind == "scale":
            low = draw(st.integers(-5, 5))
            high = draw(st.integers(low + 1, low + 10))
            question["min"], question["max"] = low, high
            labels = {}
            for point in (low, high):
                label = draw(st.none() | words(30))
                if label:
                    labels[point] = label
            if labels:
                question["labels"] = labels
            answers.append((key, list(range(low, high + 1))))
        elif kind == "number":
            low = draw(st.none() | st.integers(-1000, 1000))
            high = draw(st.none() | st.integers(low if low is not None else -1000, 100_000))
            if low is not None:
                question["min"] = low
            if high is not None:
                question["max"] = high
        else:
            limit = draw(st.none() | st.integers(1, 10_000))
            if limit is not None:
                question["max_length"] = limit
        earlier = answers[:-1] if answers and answers[-1][0] == key else answers
        if earlier and draw(st.booleans()):
            targets = draw(
                st.lists(st.sampled_from(earlier), min_size=1, max_size=2, unique_by=lambda t: t[0])
            )
            condition = {}
            for target, values in targets:
                chosen = draw(
                    st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True)
                )
                condition[target] = chosen[0] if len(chosen) == 1 else chosen
            question["show_if"] = condition
        data["questions"].append(question)
    return data


def _in_order(data: dict[str, Any]) -> None:
    """Keys come in the fixed order: the survey's, then each question's."""
    assert list(data) == [key for key in SURVEY_KEYS if key in data]
    for question in data["questions"]:
        assert list(question) == [key for key in QUESTION_KEYS if key in question]


@settings(max_examples=150, deadline=None)
@given(survey_files())
def test_what_is_written_reads_back_the_same(data):
    written = dump_survey_yaml(load_survey_yaml(yaml.safe_dump(data, allow_unicode=True)))
    again = yaml.safe_load(written)
    assert again == data
    _in_order(again)
    # Plain YAML: no tags at all (no !!python, no !!binary), whatever the text holds.
    assert not any(isinstance(token, yaml.TagToken) for token in yaml.scan(written))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=survey_files())
def test_a_survey_saved_and_loaded_writes_the_same_file(db, data):
    spec = load_survey_yaml(yaml.safe_dump(data, allow_unicode=True))
    actor = Actor.operator()
    survey_id = create_survey(db, actor=actor, spec=spec)
    saved = get_survey(db, actor=actor, survey_id=survey_id).spec
    assert saved.questions[0].id is not None
    written = dump_survey_yaml(saved)
    assert written == dump_survey_yaml(spec)
    assert not re.search(r"^\s*(- )?id: \d+$", written, re.MULTILINE)  # no database ids


def test_export_to_a_file_is_private_and_replaces_what_was_there(db, tmp_path):
    actor = Actor.operator()
    path = SURVEY_FILES[0]
    survey_id = create_survey(db, actor=actor, spec=read_survey_file(path))
    out = tmp_path / "out" / "survey.yaml"
    out.parent.mkdir()
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o644)
    export_survey_file(db, actor=actor, survey_id=survey_id, path=out)
    assert out.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in out.parent.iterdir()] == ["survey.yaml"]  # no temporary file left
    with pytest.raises(NotFound):
        export_survey_file(db, actor=actor, survey_id=survey_id + 1, path=out)
    with pytest.raises(PanelError, match=r"cannot write .*nowhere"):
        export_survey_file(db, actor=actor, survey_id=survey_id, path=tmp_path / "nowhere" / "x")
    with pytest.raises(PanelError, match="cannot write"):
        export_survey_file(db, actor=actor, survey_id=survey_id, path=out.parent)


def test_the_designs_example_reads_as_the_design_says():
    spec = load_survey_yaml(
        """\
title: Klima i Bærum
intro: Vi vil gjerne høre hva du mener om kommunens klimaarbeid.
anonymous: true
questions:
  - id: aware
    kind: single            # single | multiple | scale | text | number
    text: Kjenner du til kommunens klimastrategi?
    required: true
    options: [Ja, Nei, Usikker]
  - id: worry
    kind: scale
    text: Hvor bekymret er du for klimaendringene?
    min: 1
    max: 5
    labels: {1: Ikke bekymret, 5: Svært bekymret}
  - id: ideas
    kind: text
    text: Hva bør kommunen gjøre mer av?
    show_if: {aware: Ja}
  - id: fears
    kind: text
    text: Hva bekymrer deg mest?
    show_if: {worry: 4}
"""
    )
    aware, worry, ideas, fears = spec.questions
    assert spec.anonymous and spec.opens_on is None
    assert (aware.key, aware.kind, aware.required, aware.labels) == (
        "aware",
        "single",
        True,
        ["Ja", "Nei", "Usikker"],
    )
    assert (worry.min_value, worry.max_value) == (1, 5)
    assert (worry.min_label, worry.max_label) == ("Ikke bekymret", "Svært bekymret")
    assert worry.required is False
    assert ideas.show_if == {"aware": ["Ja"]}
    assert fears.show_if == {"worry": ["4"]}


def test_export_is_tidy():
    spec = SurveySpec(
        title="Våre nettsider",
        intro="Hei!\n\nVi jobber med nettsidene.\n",
        anonymous=False,
        opens_on=date(2019, 9, 9),
        questions=[
            QuestionSpec(
                key="found",
                kind="single",
                text="Fant du det du lette etter?",
                options=[OptionSpec("Ja", id=17), OptionSpec("Nei", id=18)],
                id=5,
            ),
            QuestionSpec(
                key="why",
                kind="text",
                text="Hva manglet?",
                max_length=500,
                show_if={"found": ["Nei"]},
                id=6,
            ),
        ],
    )
    assert dump_survey_yaml(spec) == (
        "title: Våre nettsider\n"
        "intro: |\n"
        "  Hei!\n"
        "\n"
        "  Vi jobber med nettsidene.\n"
        "anonymous: false\n"
        "opens: 2019-09-09\n"
        "questions:\n"
        "  - id: found\n"
        "    kind: single\n"
        "    text: Fant du det du lette etter?\n"
        "    required: false\n"
        "    options: [Ja, Nei]\n"
        "  - id: why\n"
        "    kind: text\n"
        "    text: Hva manglet?\n"
        "    required: false\n"
        "    max_length: 500\n"
        "    show_if: {found: Nei}\n"
    )


@pytest.mark.parametrize("path", SURVEY_FILES, ids=lambda path: path.name)
def test_the_demo_files_are_written_as_export_writes_them(path):
    spec = read_survey_file(path)
    assert 5 <= len(spec.questions) <= 8
    assert dump_survey_yaml(spec) == path.read_text(encoding="utf-8")


def test_the_demo_files_use_every_kind_of_question():
    kinds = {q.kind for path in SURVEY_FILES for q in read_survey_file(path).questions}
    assert kinds == set(KINDS)


# Problems --------------------------------------------------------------------------------------


def problems(text: str) -> list[str]:
    with pytest.raises(SurveyFileError) as caught:
        load_survey_yaml(text)
    return caught.value.problems


KLIMA = """\
title: Klima i Bærum
questions:
  - id: aware
    kind: single
    text: Kjenner du til kommunens klimastrategi?
    options: [Ja, Nei, Usikker]
"""


def test_an_unknown_key_is_named_with_its_line_and_a_suggestion():
    assert problems(
        """\
titel: Klima i Bærum
questions:
  - id: worry
    kind: scale
    text: Hvor bekymret er du?
    min: 1
    max: 5
    lables: {1: Ikke bekymret, 5: Svært bekymret}
    colour: green
"""
    ) == [
        "survey, title: is missing",
        "line 1: survey, titel: unknown key; did you mean title?",
        "line 8: question 1 (worry), lables: unknown key; did you mean labels?",
        "line 9: question 1 (worry), colour: unknown key; known: " + ", ".join(QUESTION_KEYS),
    ]


def test_a_condition_on_a_later_question():
    assert problems(
        """\
title: Klima
questions:
  - id: ideas
    kind: text
    text: Hva bør kommunen gjøre mer av?
    show_if: {aware: Ja}
  - id: aware
    kind: single
    text: Kjenner du til kommunens klimastrategi?
    options: [Ja, Nei]
"""
    ) == [
        "line 6: question 1 (ideas), show_if: 'aware' is this question or a later one; "
        "a condition looks back only"
    ]


def test_a_condition_on_an_answer_that_is_not_there():
    found = problems(
        KLIMA
        + """\
  - id: ideas
    kind: text
    text: Hva bør kommunen gjøre mer av?
    show_if:
      aware: [Ja, Kanskje]
"""
    )
    assert found == ["line 10: question 2 (ideas), show_if: 'aware' has no answer 'Kanskje'"]


def test_a_question_conditioned_on_itself():
    found = problems(
        KLIMA
        + """\
  - id: loop
    kind: single
    text: Er dette en sløyfe?
    options: [Ja, Nei]
    show_if: {loop: Ja}
"""
    )
    assert found == [
        "line 11: question 2 (loop), show_if: 'loop' is this question or a later one; "
        "a condition looks back only"
    ]


@pytest.mark.parametrize("top", [5, 1])
def test_a_scale_whose_max_is_not_above_its_min(top):
    found = problems(
        KLIMA
        + f"""\
  - id: worry
    kind: scale
    text: Hvor bekymret er du?
    min: 5
    max: {top}
"""
    )
    assert found == ["line 11: question 2 (worry), max: must be greater than min"]


WORRY = KLIMA + "  - id: worry\n    kind: scale\n    text: Hvor?\n    min: {min}\n    max: 5\n"


WRONG_TYPES = [
    ("fem", "", "line 10: min: must be a whole number, not the text 'fem'"),
    ("1.5", "", "line 10: min: must be a whole number, not the number 1.5"),
    ("1", "required: kanskje", "line 12: required: must be true or false, not the text 'kanskje'"),
    (
        "1",
        "options: Ja, Nei",
        "line 12: options: must be a list, like [Ja, Nei], not the text 'Ja, Nei'",
    ),
    (
        "1",
        "labels: [Lite, Mye]",
        "line 12: labels: must be a mapping of the scale's ends to their words, "
        "like {1: Ikke bekymret, 5: Svært bekymret}, not a list",
    ),
    ("1", "labels: {1: Lite, 3: Middels}", "line 12: labels: 3 is neither min (1) nor max (5)"),
    (
        "1",
        "show_if: aware",
        "line 12: show_if: must be a mapping of an earlier question's id to an answer, "
        "like {aware: Ja}, not the text 'aware'",
    ),
    (
        "1",
        "show_if: {aware: [[Ja]]}",
        "line 12: show_if: 'aware': an answer must be text, not a list",
    ),
    ("1", "max_length: 200", "line 12: max_length: only a free-text question has a length limit"),
    ("1", "max_length: mange", "line 12: max_length: must be a whole number, not the text 'mange'"),
]


@pytest.mark.parametrize(("low", "extra", "expected"), WRONG_TYPES)
def test_a_value_of_the_wrong_type_names_question_and_field(low, extra, expected):
    text = WORRY.format(min=low) + (f"    {extra}\n" if extra else "")
    line, message = expected.split(": ", 1)
    assert problems(text) == [f"{line}: question 2 (worry), {message}"]


def test_text_of_the_wrong_type():
    assert problems("title: [Klima, Bærum]\nintro: {a: b}\n") == [
        "line 1: survey, title: must be text, not a list",
        "line 2: survey, intro: must be text, not a mapping",
    ]


def test_a_number_or_yes_is_text_as_written():
    spec = load_survey_yaml(
        KLIMA.replace("[Ja, Nei, Usikker]", "[yes, no, 2019, 1.50]")
        + "  - id: why\n    kind: text\n    text: 42\n    show_if: {aware: 2019}\n"
    )
    assert spec.questions[0].labels == ["yes", "no", "2019", "1.50"]
    assert spec.questions[1].text == "42"
    assert spec.questions[1].show_if == {"aware": ["2019"]}


def test_options_and_the_answers_a_condition_names_are_trimmed_alike():
    spec = load_survey_yaml(
        KLIMA.replace("[Ja, Nei, Usikker]", "['Ja ', ' Nei']")
        + "  - id: why\n    kind: text\n    text: Hvorfor?\n    show_if: {aware: ' Ja'}\n"
    )
    assert spec.questions[0].labels == ["Ja", "Nei"]
    assert spec.questions[1].show_if == {"aware": ["Ja"]}


def test_an_empty_file(tmp_path):
    empty = tmp_path / "tom.yaml"
    empty.write_bytes(b"")
    with pytest.raises(SurveyFileError) as caught:
        read_survey_file(empty)
    assert caught.value.problems == ["the file is empty"]
    assert [p.line for p in caught.value.details] == [None]
    assert str(caught.value) == "tom.yaml: the file is empty"
    assert problems("# only a comment\n\n") == ["the file is empty (or only comments)"]


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", b"title: Klima\x00\x01\x02\n"],
    ids=["zip", "nul"],
)
def test_a_binary_file(tmp_path, content):
    path = tmp_path / "klima.xlsx"
    path.write_bytes(content)
    with pytest.raises(SurveyFileError) as caught:
        read_survey_file(path)
    assert caught.value.problems == [
        "the file is binary (a document or an archive?), not YAML text"
    ]


def test_a_latin_1_file_names_the_first_line_that_is_not_utf_8(tmp_path):
    path = tmp_path / "klima.yaml"
    path.write_bytes("title: Klima\nintro: Hva mener du om Bærum?\n".encode("latin-1"))
    with pytest.raises(SurveyFileError) as caught:
        read_survey_file(path)
    assert caught.value.problems == [
        "line 2: the file is not UTF-8 text (perhaps Latin-1 or Windows-1252); save it as UTF-8"
    ]
    assert str(caught.value).startswith("klima.yaml: line 2: ")


def test_a_missing_file(tmp_path):
    with pytest.raises(SurveyFileError) as caught:
        read_survey_file(tmp_path / "nowhere.yaml")
    assert caught.value.problems == ["the file does not exist"]


def test_utf_8_with_a_bom_is_fine(tmp_path):
    path = tmp_path / "klima.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + KLIMA.encode())
    assert read_survey_file(path).title == "Klima i Bærum"


@pytest.mark.parametrize(
    ("text", "what"),
    [("- Klima\n- Bærum\n", "a list"), ("Klima i Bærum\n", "the text 'Klima i Bærum'")],
)
def test_a_file_that_is_not_a_mapping(text, what):
    assert problems(text) == [
        f"line 1: the file must be a mapping with title, intro, questions and so on, not {what}"
    ]


def test_questions_that_are_not_a_list_or_not_mappings():
    assert problems("title: Klima\nquestions: {aware: Ja}\n") == [
        "line 2: survey, questions: must be a list of questions, not a mapping"
    ]
    assert problems(KLIMA + "  - Hva bør kommunen gjøre?\n") == [
        "line 7: question 2 must be a mapping with id, kind and text (and so on), "
        "not the text 'Hva bør kommunen gjøre?'"
    ]


def test_duplicate_ids():
    found = problems(KLIMA + KLIMA.split("questions:\n")[1].replace("[Ja, Nei, Usikker]", "[A, B]"))
    assert found == ["line 7: question 2 (aware), id: is already used by question 1"]


def test_a_key_given_twice_in_one_question():
    found = problems(KLIMA + "    text: Noe annet?\n")
    assert found == ["line 7: question 1 (aware), text: is given twice (first on line 5)"]


def test_missing_id_kind_and_text():
    assert problems("title: Klima\nquestions:\n  - required: true\n") == [
        "line 3: question 1, id: is missing",
        "line 3: question 1, kind: is missing; one of single, multiple, scale, text, number",
    ]
    assert problems("title: Klima\nquestions:\n  - id: a\n    kind: single\n") == [
        "line 3: question 1 (a), text: is missing",
        "line 3: question 1 (a), options: a choice needs at least two options",
    ]


def test_yaml_that_cannot_be_parsed_names_its_line():
    found = problems("title: Klima\nquestions:\n  - id: a\n    text: [unclosed\n")
    assert len(found) == 1 and found[0].startswith("line 5: not valid YAML: ")
    found = problems("title: Klima\nintro: a\x07b\n")
    assert found == ["line 2: not valid YAML: the character U+0007 is not allowed in a YAML file"]


def test_dates():
    spec = load_survey_yaml("title: Klima\nopens: 2019-10-14\ncloses: '2019-11-01'\n")
    assert (spec.opens_on, spec.closes_on) == (date(2019, 10, 14), date(2019, 11, 1))
    assert problems("title: Klima\nopens: 2019-02-30\ncloses: 2019-01-01\n") == [
        "line 2: survey, opens: 2019-02-30 is not a real date"
    ]
    assert problems("title: Klima\nopens: 2019-10-14\ncloses: 2019-10-01\n") == [
        "line 3: survey, closes: is before the survey opens"
    ]
    assert problems("title: Klima\nopens: 2019-10-14 12:00:00\n") == [
        "line 2: survey, opens: must be a date like 2019-10-14, not a date and time "
        "(2019-10-14 12:00:00)"
    ]


def test_every_problem_is_reported_at_once_in_line_order():
    found = problems(
        """\
title: Klima
anonymous: kanskje
questions:
  - id: worry
    kind: scale
    text: Hvor bekymret?
    min: 3
    max: 2
  - id: ideas
    kind: text
    text: Hva bør vi gjøre?
    show_if: {worry: 9}
"""
    )
    assert found == [
        "line 2: survey, anonymous: must be true or false, not the text 'kanskje'",
        "line 8: question 1 (worry), max: must be greater than min",
        "line 12: question 2 (ideas), show_if: 'worry' has no answer '9'",
    ]


def test_scheduled_reminders():
    spec = load_survey_yaml("title: Klima\nremind_after_days: 7\nmax_reminders: 2\n")
    assert (spec.remind_after_days, spec.max_reminders) == (7, 2)
    assert "remind_after_days: 7\nmax_reminders: 2\n" in dump_survey_yaml(spec)
    plain = load_survey_yaml("title: Klima\n")
    assert (plain.remind_after_days, plain.max_reminders) == (None, 1)
    assert "remind" not in dump_survey_yaml(plain)
    assert problems("title: Klima\nremind_after_days: 0\nmax_reminders: 9\n") == [
        "line 2: survey, remind_after_days: must be from 1 to 60 days",
        "line 3: survey, max_reminders: must be from 0 to 5",
    ]
    assert problems("title: Klima\nremind_after_days: a week\n") == [
        "line 2: survey, remind_after_days: must be a whole number, not the text 'a week'"
    ]
