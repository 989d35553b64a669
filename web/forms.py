"""A survey as pages of a form, and a posted page read back into answers.

Conditions work without JavaScript by pages: a page ends before any question whose condition
looks at a question on the same page, so by the time a question is shown, every answer it
depends on has been given and saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from store.survey_spec import QuestionSpec, SurveySpec, visible

FIELD_PREFIX = "q-"
TEXT_FIELD_MAX = 20_000  # characters read from any one field; the rules then say what fits


def pages(spec: SurveySpec) -> list[list[QuestionSpec]]:
    result: list[list[QuestionSpec]] = [[]]
    for question in spec.questions:
        on_page = {q.key for q in result[-1]}
        if question.show_if and on_page & set(question.show_if):
            result.append([])
        result[-1].append(question)
    return [page for page in result if page]


@dataclass(frozen=True)
class Page:
    number: int  # from 0
    count: int
    questions: list[QuestionSpec]  # those asked, given the answers so far

    @property
    def last(self) -> bool:
        return self.number == self.count - 1


def page_of(spec: SurveySpec, answers: dict[str, Any], number: int) -> Page:
    """Page `number` (clamped) with the questions asked on it."""
    every = pages(spec)
    number = max(0, min(number, len(every) - 1)) if every else 0
    asked = {q.key for q in visible(spec, answers)}
    questions = [q for q in every[number] if q.key in asked] if every else []
    return Page(number, len(every), questions)


def page_asking(spec: SurveySpec, key: str) -> int:
    """The number of the page that holds question `key`."""
    return next((n for n, page in enumerate(pages(spec)) if key in {q.key for q in page}), 0)


def step(spec: SurveySpec, answers: dict[str, Any], number: int, direction: int) -> int:
    """The next page in `direction` (+1 or -1) with anything to ask; -1 past the end."""
    every = pages(spec)
    asked = {q.key for q in visible(spec, answers)}
    number += direction
    while 0 <= number < len(every):
        if any(q.key in asked for q in every[number]):
            return number
        number += direction
    return -1 if direction > 0 else 0


def resume_page(spec: SurveySpec, answers: dict[str, Any]) -> int:
    """Where a returning resident goes on: the first page with a question not yet answered."""
    every = pages(spec)
    asked = {q.key for q in visible(spec, answers)}
    for number, page in enumerate(every):
        if any(q.key in asked and q.key not in answers for q in page):
            return number
    return max(0, len(every) - 1)


def read_page(questions: list[QuestionSpec], form: Any) -> dict[str, Any]:
    """The answers a posted page holds, by question key; empty fields give None."""
    answers: dict[str, Any] = {}
    for question in questions:
        name = FIELD_PREFIX + question.key
        if question.kind == "multiple":
            chosen = [v[:TEXT_FIELD_MAX] for v in form.getlist(name) if isinstance(v, str)]
            answers[question.key] = [_label(question, v) for v in dict.fromkeys(chosen)] or None
            continue
        values = [v for v in form.getlist(name) if isinstance(v, str)]
        if len(values) > 1 and question.kind == "single":
            answers[question.key] = [_label(question, v) for v in values]  # will not do
            continue
        value = values[0][:TEXT_FIELD_MAX] if values else ""
        if question.kind == "single":
            answers[question.key] = _label(question, value) if value else None
        elif question.kind == "text":
            text = value.replace("\r\n", "\n").strip()
            answers[question.key] = text or None
        else:
            answers[question.key] = value.strip() or None
    return answers


def _label(question: QuestionSpec, value: str) -> str:
    """Options are posted by position (short, and the same whatever the label's characters)."""
    labels = question.labels
    if value.isdigit() and int(value) < len(labels):
        return labels[int(value)]
    return "\x00" + value  # no label starts so: the rules refuse it
