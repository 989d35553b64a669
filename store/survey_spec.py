"""A survey as staff write it: plain data, checked by rules that name the question and field.

The editor, the YAML files and the database all meet here. A `SurveySpec` holds no database
session; `store.surveys` saves and loads it, `store.survey_files` reads and writes it as YAML.
The same rules decide which questions a resident is asked (`visible`) and whether an answer
will do (`answer_problem`), in the app's preview and on the residents' pages alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from .errors import PanelError

KINDS = ("single", "multiple", "scale", "text", "number")
CHOICE_KINDS = ("single", "multiple")
CONDITION_KINDS = ("single", "multiple", "scale")  # whose answers a show_if can test
KEY_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
TITLE_MAX = 200
TEXT_MAX = 2000  # a question's wording, an introduction, a thank-you
REMIND_AFTER_DAYS = (1, 60)  # the interval a scheduled reminder may have
MAX_REMINDERS = 5  # more than this is no longer a reminder but a nuisance
DEFAULT_TEXT_LIMIT = 2000  # characters a free-text answer may hold unless the question says
TEXT_LIMIT_MAX = 10_000
SCALE_STEPS_MAX = 11  # 0 to 10 is the widest scale


@dataclass
class OptionSpec:
    label: str
    id: int | None = None  # the database row, once saved; keeps answers tied to it


@dataclass
class QuestionSpec:
    key: str
    kind: str
    text: str
    required: bool = False
    options: list[OptionSpec] = field(default_factory=list)
    min_value: int | None = None
    max_value: int | None = None
    min_label: str | None = None
    max_label: str | None = None
    max_length: int | None = None
    # Ask only when the earlier question `key` was answered with one of these values.
    show_if: dict[str, list[str]] | None = None
    id: int | None = None

    @property
    def labels(self) -> list[str]:
        return [option.label for option in self.options]

    def values(self) -> list[str]:
        """What a show_if on this question may test for: option labels, or scale points."""
        if self.kind == "scale" and self.min_value is not None and self.max_value is not None:
            return [str(v) for v in range(self.min_value, self.max_value + 1)]
        return self.labels

    def copy(self, key: str) -> QuestionSpec:
        """The same question under a new key, not yet saved."""
        options = [OptionSpec(o.label) for o in self.options]
        show_if = {k: list(v) for k, v in self.show_if.items()} if self.show_if else None
        return replace(self, key=key, id=None, options=options, show_if=show_if)


@dataclass
class SurveySpec:
    title: str
    intro: str = ""
    thanks: str = ""
    anonymous: bool = True
    opens_on: date | None = None
    closes_on: date | None = None
    questions: list[QuestionSpec] = field(default_factory=list)
    # Scheduled reminders: this many days after the invitation (or the last reminder), to those
    # who have not answered, at most `max_reminders` each. None: reminders only by hand.
    remind_after_days: int | None = None
    max_reminders: int = 1

    def question(self, key: str) -> QuestionSpec | None:
        return next((q for q in self.questions if q.key == key), None)

    def new_key(self) -> str:
        """A key no question has yet: q1, q2, …"""
        taken = {q.key for q in self.questions}
        n = len(self.questions) + 1
        while f"q{n}" in taken:
            n += 1
        return f"q{n}"


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (the survey, or "question 3 (worry)"), which field, and why."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}, {self.field}: {self.message}"


class SurveyInvalid(PanelError):
    """A survey that breaks rules; `problems` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def where(index: int, question: QuestionSpec) -> str:
    return f"question {index + 1} ({question.key})" if question.key else f"question {index + 1}"


def problems(spec: SurveySpec) -> list[Problem]:
    """Every rule the survey breaks, in the order a reader meets them."""
    found: list[Problem] = []

    def add(place: str, name: str, message: str) -> None:
        found.append(Problem(place, name, message))

    title = spec.title.strip()
    if not title:
        add("survey", "title", "is missing")
    elif len(title) > TITLE_MAX:
        add("survey", "title", f"is longer than {TITLE_MAX} characters")
    for name in ("intro", "thanks"):
        if len(getattr(spec, name)) > TEXT_MAX:
            add("survey", name, f"is longer than {TEXT_MAX} characters")
    if spec.opens_on and spec.closes_on and spec.closes_on < spec.opens_on:
        add("survey", "closes", "is before the survey opens")
    low, high = REMIND_AFTER_DAYS
    if spec.remind_after_days is not None and not low <= spec.remind_after_days <= high:
        add("survey", "remind_after_days", f"must be from {low} to {high} days")
    if not 0 <= spec.max_reminders <= MAX_REMINDERS:
        add("survey", "max_reminders", f"must be from 0 to {MAX_REMINDERS}")
    seen: dict[str, int] = {}
    for index, question in enumerate(spec.questions):
        place = where(index, question)
        for name, message in _question_problems(question):
            add(place, name, message)
        if question.key in seen:
            add(place, "id", f"is already used by question {seen[question.key] + 1}")
        seen.setdefault(question.key, index)
        for name, message in _condition_problems(spec, index, question):
            add(place, name, message)
    return found


def check(spec: SurveySpec) -> None:
    """Raise `SurveyInvalid` naming every problem, if there is any."""
    found = problems(spec)
    if found:
        raise SurveyInvalid(found)


def _question_problems(q: QuestionSpec) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if not KEY_PATTERN.match(q.key or ""):
        found.append(("id", "must start with a letter and hold only letters, digits, - and _"))
    if q.kind not in KINDS:
        found.append(("kind", f"must be one of {', '.join(KINDS)}"))
        return found
    if not q.text.strip():
        found.append(("text", "is missing"))
    elif len(q.text) > TEXT_MAX:
        found.append(("text", f"is longer than {TEXT_MAX} characters"))
    if q.kind in CHOICE_KINDS:
        labels = [label.strip() for label in q.labels]
        if len(labels) < 2:
            found.append(("options", "a choice needs at least two options"))
        if any(not label for label in labels):
            found.append(("options", "an option has no text"))
        folded = [label.casefold() for label in labels if label]
        if len(set(folded)) != len(folded):
            found.append(("options", "two options have the same text"))
    elif q.options:
        found.append(("options", f"a {q.kind} question has no options"))
    if q.kind == "scale":
        if q.min_value is None or q.max_value is None:
            found.append(("min", "a scale needs both min and max"))
        elif q.max_value <= q.min_value:
            found.append(("max", "must be greater than min"))
        elif q.max_value - q.min_value + 1 > SCALE_STEPS_MAX:
            found.append(("max", f"a scale has at most {SCALE_STEPS_MAX} points"))
    elif q.kind == "number":
        if q.min_value is not None and q.max_value is not None and q.max_value < q.min_value:
            found.append(("max", "must not be less than min"))
    elif q.min_value is not None or q.max_value is not None:
        found.append(("min", f"a {q.kind} question has no min or max"))
    if q.kind != "scale" and (q.min_label or q.max_label):
        found.append(("labels", "only a scale has end labels"))
    if q.max_length is not None:
        if q.kind != "text":
            found.append(("max_length", "only a free-text question has a length limit"))
        elif not 1 <= q.max_length <= TEXT_LIMIT_MAX:
            found.append(("max_length", f"must be between 1 and {TEXT_LIMIT_MAX}"))
    return found


def _condition_problems(spec: SurveySpec, index: int, q: QuestionSpec) -> list[tuple[str, str]]:
    if not q.show_if:
        return []
    found: list[tuple[str, str]] = []
    earlier = {other.key: other for other in spec.questions[:index]}
    for key, values in q.show_if.items():
        target = earlier.get(key)
        if target is None:
            later = any(other.key == key for other in spec.questions[index:])
            reason = "is this question or a later one" if later else "is no question"
            found.append(("show_if", f"{key!r} {reason}; a condition looks back only"))
            continue
        if target.kind not in CONDITION_KINDS:
            found.append(("show_if", f"{key!r} is a {target.kind} question; test a choice"))
            continue
        if not values:
            found.append(("show_if", f"names no answer of {key!r}"))
        allowed = {value.strip() for value in target.values()}
        for value in values:
            if value.strip() not in allowed:
                found.append(("show_if", f"{key!r} has no answer {value!r}"))
    return found


# What a resident meets -------------------------------------------------------------------------

Answers = dict[str, Any]  # question key → option label, list of labels, number or text


def _as_values(answer: Any) -> list[str]:
    if answer is None or answer == "" or answer == []:
        return []
    if isinstance(answer, list):
        return [str(a) for a in answer]
    if isinstance(answer, float) and answer.is_integer():
        answer = int(answer)
    return [str(answer)]


def shown(question: QuestionSpec, answers: Answers, asked: set[str]) -> bool:
    """Whether `question` is asked, given the answers to questions already asked."""
    if not question.show_if:
        return True
    for key, wanted in question.show_if.items():
        if key not in asked:
            return False
        if not set(_as_values(answers.get(key))) & set(wanted):
            return False
    return True


def visible(spec: SurveySpec, answers: Answers) -> list[QuestionSpec]:
    """The questions asked, in order, given the answers so far; conditions looking back only."""
    asked: set[str] = set()
    result = []
    for question in spec.questions:
        if shown(question, answers, asked):
            asked.add(question.key)
            result.append(question)
    return result


def answer_problem(question: QuestionSpec, answer: Any) -> tuple[str, int | None] | None:
    """Why `answer` will not do for `question`, or None if it will.

    The reason is a code with an optional figure, for each front end to word in the resident's
    language: required, choose_one, choose_among, too_long (limit), not_a_number, scale,
    too_low (min), too_high (max).
    """
    values = _as_values(answer)
    if not values:
        return ("required", None) if question.required else None
    if question.kind == "single":
        return None if len(values) == 1 and values[0] in question.labels else ("choose_one", None)
    if question.kind == "multiple":
        return None if set(values) <= set(question.labels) else ("choose_among", None)
    if question.kind == "text":
        limit = question.max_length or DEFAULT_TEXT_LIMIT
        return None if len(str(answer)) <= limit else ("too_long", limit)
    number = parse_number(answer)
    if number is None:
        return ("not_a_number", None)
    if question.kind == "scale":
        return (
            None
            if str(int(number)) in question.values() and number.is_integer()
            else (
                "scale",
                None,
            )
        )
    if question.min_value is not None and number < question.min_value:
        return ("too_low", question.min_value)
    if question.max_value is not None and number > question.max_value:
        return ("too_high", question.max_value)
    return None


def parse_number(answer: Any) -> float | None:
    """A number as a Norwegian might write it: "1 234,5" as well as "1234.5"."""
    if isinstance(answer, int | float) and not isinstance(answer, bool):
        return float(answer)
    text = str(answer).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None
