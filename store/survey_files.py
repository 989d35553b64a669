"""Surveys as YAML files: read with every problem tied to its line, written in a fixed form.

A file is read with PyYAML's safe loader only (plain mappings, lists, text, numbers and dates;
never an object that a tag names), through a subclass that remembers where each mapping, key and
list item sits. What cannot be a survey is refused whole: every problem becomes one line of text
such as `line 12: question 2 (worry), max: must be greater than min`, with the same rules the
editor applies (`survey_spec.problems`). Writing gives the same file back for the same survey:
keys in a fixed order, defaults left out, Norwegian letters as they are, and no database ids.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .actors import Actor
from .db import Database
from .errors import PanelError
from .survey_spec import KINDS, OptionSpec, QuestionSpec, SurveySpec, problems, where
from .surveys import get_survey

SURVEY_KEYS = ("title", "intro", "thanks", "anonymous", "opens", "closes", "remind_after_days",
               "max_reminders", "questions")  # fmt: skip
QUESTION_KEYS = (
    "id",
    "kind",
    "text",
    "required",
    "options",
    "min",
    "max",
    "labels",
    "max_length",
    "show_if",
)
FILE_BYTES_MAX = 1_000_000  # a survey of a hundred long questions is a few tens of kilobytes
BINARY_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG", b"\x1f\x8b")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
WHOLE_NUMBER = re.compile(r"^-?[1-9][0-9]*$|^0$")
ODD_BREAKS = "\r\x85\u2028\u2029"  # line breaks to YAML 1.1 besides \n
FLOW_WIDTH = 70  # options and labels shorter than this are written on one line, in brackets


@dataclass(frozen=True)
class FileProblem:
    """One thing wrong with a survey file, and the line it is on when that is known."""

    line: int | None
    text: str  # "question 2 (worry), max: must be greater than min"

    def __str__(self) -> str:
        return f"line {self.line}: {self.text}" if self.line else self.text


class SurveyFileError(PanelError):
    """A survey file that cannot be read or breaks rules; nothing was imported.

    `problems` holds every problem as a full line of text; `details` the same as `FileProblem`s,
    for a caller that prints the line its own way (`FILE:LINE: ...`).
    """

    def __init__(self, details: list[FileProblem], file_name: str | None = None) -> None:
        self.details = details
        self.problems = [str(problem) for problem in details]
        self.file_name = file_name
        text = "; ".join(self.problems)
        super().__init__(f"{file_name}: {text}" if file_name else text)


# Reading -----------------------------------------------------------------------------------


def read_survey_file(path: str | Path) -> SurveySpec:
    """The survey a YAML file describes; `SurveyFileError` if the file will not do."""
    path = Path(path)
    name = path.name

    def refuse(text: str, line: int | None = None) -> SurveyFileError:
        return SurveyFileError([FileProblem(line, text)], name)

    try:
        with path.open("rb") as file:
            data = file.read(FILE_BYTES_MAX + 1)
    except FileNotFoundError:
        raise refuse("the file does not exist") from None
    except IsADirectoryError:
        raise refuse("the path is a folder, not a file") from None
    except OSError as exc:
        raise refuse(f"the file cannot be read: {exc.strerror or exc}") from None
    if len(data) > FILE_BYTES_MAX:
        raise refuse(
            f"the file is larger than {FILE_BYTES_MAX // 1_000_000} MB, too large for a survey"
        )
    if not data.strip():
        raise refuse("the file is empty")
    if data.startswith(UTF16_BOMS):
        raise refuse("the file is UTF-16 text; save it as UTF-8")
    if data.startswith(BINARY_MAGIC) or b"\x00" in data:
        raise refuse("the file is binary (a document or an archive?), not YAML text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise refuse(
            "the file is not UTF-8 text (perhaps Latin-1 or Windows-1252); save it as UTF-8",
            line,
        ) from None
    try:
        return load_survey_yaml(text)
    except SurveyFileError as exc:
        raise SurveyFileError(exc.details, name) from None


def load_survey_yaml(text: str) -> SurveySpec:
    """The survey YAML text describes; `SurveyFileError` naming every problem and its line."""
    data = _parse(text)
    reader = _Reader()
    spec = reader.survey(data)
    reader.check(spec)
    if reader.found:
        raise SurveyFileError(sorted(reader.found, key=lambda p: p.line or 0))
    return spec


class _Map(dict):
    """A mapping from the file, with the line it starts on and those of its keys."""

    line: int
    key_lines: dict[Any, int]
    raw: dict[Any, str]  # a plain scalar value as written, e.g. `yes` (which YAML reads as true)
    raw_keys: dict[Any, str]
    repeated: list[tuple[Any, int, int]]  # (key, line, first line)


class _List(list):
    """A list from the file, with the line of each item and each plain scalar as written."""

    line: int
    item_lines: list[int]
    raw: list[str | None]


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _plain(node: Node) -> str | None:
    return node.value if isinstance(node, ScalarNode) and node.style is None else None


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, building `_Map` and `_List` so that problems can name lines."""


def _construct_map(loader: _Loader, node: MappingNode) -> Iterator[_Map]:
    data = _Map()
    data.line = _line(node)
    data.key_lines, data.raw, data.raw_keys, data.repeated = {}, {}, {}, []
    yield data
    given = sum(1 for key_node, _v in node.value if key_node.tag != "tag:yaml.org,2002:merge")
    loader.flatten_mapping(node)  # `<<: *anchor` merges come first; the mapping's own keys win
    merged = len(node.value) - given
    own: dict[Any, int] = {}  # key → the line it is first given on in this mapping itself
    for position, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node)
        try:
            hash(key)
        except TypeError:
            raise ConstructorError(
                None, None, "a key must be a word, not a list or mapping", key_node.start_mark
            ) from None
        if position >= merged:
            if key in own:
                data.repeated.append((key, _line(key_node), own[key]))
            own.setdefault(key, _line(key_node))
        data[key] = loader.construct_object(value_node)
        data.key_lines[key] = _line(key_node) if position >= merged else data.line
        data.raw_keys.pop(key, None)
        data.raw.pop(key, None)
        raw_key, raw_value = _plain(key_node), _plain(value_node)
        if raw_key is not None:
            data.raw_keys[key] = raw_key
        if raw_value is not None:
            data.raw[key] = raw_value


def _construct_list(loader: _Loader, node: SequenceNode) -> Iterator[_List]:
    data = _List()
    data.line = _line(node)
    yield data
    data.extend(loader.construct_sequence(node))
    data.item_lines = [_line(item) for item in node.value]
    data.raw = [_plain(item) for item in node.value]


def _construct_timestamp(loader: _Loader, node: ScalarNode) -> Any:
    """A date, or the text as written if it is no real date (2019-02-30): the field says so."""
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return node.value


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_list)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _parse(text: str) -> Any:
    """The file's one document, built by the safe loader; YAML errors with their line."""
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # checks that every character may appear in YAML
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = exc.problem or exc.context or "cannot be read"
        line = mark.line + 1 if mark else None
        raise SurveyFileError([FileProblem(line, f"not valid YAML: {reason}")]) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        reason = (
            f"the character U+{exc.character:04X} is not allowed in a YAML file"
            if isinstance(exc.character, int)
            else str(exc.reason)
        )
        raise SurveyFileError([FileProblem(line, f"not valid YAML: {reason}")]) from None
    except yaml.YAMLError as exc:
        raise SurveyFileError([FileProblem(None, f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise SurveyFileError([FileProblem(None, "not valid YAML: nested too deeply")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, bytes):
        return "binary data"
    if isinstance(value, datetime):
        return f"a date and time ({value.isoformat(sep=' ')})"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"a {type(value).__name__}"


def _as_text(value: Any, raw: str | None) -> str | None:
    """Text as written: a plain `4` or `yes` is the text "4" or "yes"; None if not text at all."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if raw is not None and isinstance(value, int | float | date):
        return raw
    return None


class _Reader:
    """Turns the loaded file into a `SurveySpec`, collecting every problem on the way."""

    def __init__(self) -> None:
        self.found: list[FileProblem] = []
        self.top: _Map | None = None
        self.items: list[_Map | None] = []  # each question's mapping, None where it is not one
        self.reported: set[tuple[int | None, str]] = set()  # (question index, field)

    def add(
        self, line: int | None, place: str, field: str | None, message: str, index: int | None
    ) -> None:
        """One problem: `question 2 (worry), max: must be a whole number, not the text 'fem'`."""
        text = f"{place}, {field}: {message}" if field else f"{place} {message}"
        self.found.append(FileProblem(line, text))
        # The rules would only say again what this says of a field; not so of show_if and labels,
        # whose broken parts are left out and whose rules then look at the rest.
        if field and field not in ("show_if", "labels"):
            self.reported.add((index, field))
            if field in ("min", "max"):  # a scale with either missing is one problem
                self.reported.update({(index, "min"), (index, "max")})

    # The survey ---------------------------------------------------------------------------

    def survey(self, data: Any) -> SurveySpec:
        if data is None:
            self.add(None, "the file", None, "is empty (or only comments)", None)
            return SurveySpec(title="")
        if not isinstance(data, _Map):
            self.add(
                getattr(data, "line", 1),
                "the file",
                None,
                f"must be a mapping with title, intro, questions and so on, not {_describe(data)}",
                None,
            )
            return SurveySpec(title="")
        self.top = data
        self._keys(data, SURVEY_KEYS, "survey", None)
        field = _Field(self, data, "survey", None)
        spec = SurveySpec(
            title=field.text("title") or "",
            # Trimmed, as the store keeps them; the line breaks inside are kept as written.
            intro=(field.text("intro") or "").strip(),
            thanks=(field.text("thanks") or "").strip(),
            anonymous=field.boolean("anonymous", default=True),
            opens_on=field.day("opens"),
            closes_on=field.day("closes"),
            remind_after_days=field.number("remind_after_days"),
        )
        if (reminders := field.number("max_reminders")) is not None:
            spec.max_reminders = reminders
        questions = data.get("questions")
        if questions is None:
            return spec
        if not isinstance(questions, _List):
            self.add(
                data.key_lines["questions"],
                "survey",
                "questions",
                f"must be a list of questions, not {_describe(questions)}",
                None,
            )
            return spec
        for index, item in enumerate(questions):
            spec.questions.append(self.question(index, item, questions.item_lines[index]))
        return spec

    def _keys(self, data: _Map, allowed: tuple[str, ...], place: str, index: int | None) -> None:
        for key in data:
            name = data.raw_keys.get(key, str(key))
            line = data.key_lines[key]
            if key not in allowed:
                close = difflib.get_close_matches(name.lower(), allowed, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(allowed)}"
                self.add(line, place, name, f"unknown key; {hint}", index)
        for key, line, first in data.repeated:
            name = data.raw_keys.get(key, str(key))
            self.add(line, place, name, f"is given twice (first on line {first})", index)

    # A question ---------------------------------------------------------------------------

    def question(self, index: int, item: Any, line: int) -> QuestionSpec:
        if not isinstance(item, _Map):
            self.items.append(None)
            self.add(
                line,
                f"question {index + 1}",
                None,
                f"must be a mapping with id, kind and text (and so on), not {_describe(item)}",
                index,
            )
            return QuestionSpec(key="", kind="text", text="")
        self.items.append(item)
        field = _Field(self, item, f"question {index + 1}", index)
        key = field.text("id")
        if key:
            field.place = where(index, QuestionSpec(key=key, kind="", text=""))
        elif key is None and (index, "id") not in self.reported:
            field.problem("id", "is missing")
        self._keys(item, QUESTION_KEYS, field.place, index)
        kind = field.text("kind")
        if kind is None and (index, "kind") not in self.reported:
            field.problem("kind", f"is missing; one of {', '.join(KINDS)}")
        question = QuestionSpec(
            key=key or "",
            kind=kind or "",
            text=field.text("text") or "",
            required=field.boolean("required", default=False),
            options=[OptionSpec(label) for label in field.texts("options")],
            min_value=field.number("min"),
            max_value=field.number("max"),
            max_length=field.number("max_length"),
            show_if=field.condition("show_if"),
        )
        field.labels(question)
        return question

    # After the structure: the rules every survey follows ----------------------------------

    def check(self, spec: SurveySpec) -> None:
        if self.top is None:
            return  # not a survey at all: said so already
        places = {where(index, q): index for index, q in enumerate(spec.questions)}
        for problem in problems(spec):
            index = places.get(problem.where)
            if (index, problem.field) in self.reported:
                continue
            if index is None:
                data = self.top
            else:
                data = self.items[index] if index < len(self.items) else None
                if data is None:
                    continue  # not a mapping: said so already
            line = None
            if data is not None:
                line = data.key_lines.get(problem.field, None if index is None else data.line)
            self.found.append(FileProblem(line, str(problem)))


class _Field:
    """Reads the fields of one mapping (the survey, or a question), each as its right type."""

    def __init__(self, reader: _Reader, data: _Map, place: str, index: int | None) -> None:
        self.reader = reader
        self.data = data
        self.place = place
        self.index = index

    def problem(self, field: str, message: str, *, line: int | None = None) -> None:
        line = line or self.data.key_lines.get(field, self.data.line)
        self.reader.add(line, self.place, field, message, self.index)

    def text(self, name: str) -> str | None:
        """Text, or None when missing or empty; a number or yes/no is taken as written."""
        value = self.data.get(name)
        if value is None:
            return None
        text = _as_text(value, self.data.raw.get(name))
        if text is None:
            self.problem(name, f"must be text, not {_describe(value)}")
        return text

    def boolean(self, name: str, *, default: bool) -> bool:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.problem(name, f"must be true or false, not {_describe(value)}")
        return default

    def number(self, name: str) -> int | None:
        value = self.data.get(name)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        self.problem(name, f"must be a whole number, not {_describe(value)}")
        return None

    def day(self, name: str) -> date | None:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and ISO_DATE.match(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                self.problem(name, f"{value.strip()} is not a real date")
                return None
        self.problem(name, f"must be a date like 2019-10-14, not {_describe(value)}")
        return None

    def texts(self, name: str) -> list[str]:
        """A list of texts (options); a missing or empty entry becomes "" for the rules to name."""
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, _List):
            self.problem(name, f"must be a list, like [Ja, Nei], not {_describe(value)}")
            return []
        result = []
        for number, (item, raw) in enumerate(zip(value, value.raw, strict=True), start=1):
            text = _as_text(item, raw)
            if text is not None:
                result.append(text.strip())  # as the store saves it, and conditions match it
            else:
                self.problem(
                    name,
                    f"option {number} must be text, not {_describe(item)}",
                    line=value.item_lines[number - 1],
                )
        return result

    def labels(self, question: QuestionSpec) -> None:
        """`labels: {1: Ikke bekymret, 5: Svært bekymret}`: the words at a scale's two ends."""
        value = self.data.get("labels")
        if value is None:
            return
        if not isinstance(value, _Map):
            self.problem(
                "labels",
                "must be a mapping of the scale's ends to their words, like "
                f"{{1: Ikke bekymret, 5: Svært bekymret}}, not {_describe(value)}",
            )
            return
        if question.kind in KINDS and question.kind != "scale":
            self.problem("labels", "only a scale has end labels")
            return
        for key, label in value.items():
            line = value.key_lines[key]
            point = key if isinstance(key, int) and not isinstance(key, bool) else None
            if isinstance(key, str) and WHOLE_NUMBER.match(key.strip()):
                point = int(key)
            if point is None:
                written = value.raw_keys.get(key, str(key))
                self.problem("labels", f"{written!r} is not a point of the scale", line=line)
                continue
            text = _as_text(label, value.raw.get(key))
            if text is None:
                self.problem("labels", f"{point}: must be text, not {_describe(label)}", line=line)
                continue
            if question.min_value is None or question.max_value is None:
                continue  # the rules say that a scale needs both
            if point == question.min_value:
                question.min_label = text or None
            elif point == question.max_value:
                question.max_label = text or None
            else:
                self.problem(
                    "labels",
                    f"{point} is neither min ({question.min_value}) nor max ({question.max_value})",
                    line=line,
                )

    def condition(self, name: str) -> dict[str, list[str]] | None:
        """`show_if: {aware: Ja}` or `{worry: [4, 5]}`: each value as text, as it was written."""
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, _Map):
            self.problem(
                name,
                "must be a mapping of an earlier question's id to an answer, like "
                f"{{aware: Ja}}, not {_describe(value)}",
            )
            return None
        for key, line, first in value.repeated:
            self.problem(name, f"{key!r} is given twice (first on line {first})", line=line)
        result: dict[str, list[str]] = {}
        for key, wanted in value.items():
            line = value.key_lines[key]
            target = key if isinstance(key, str) else value.raw_keys.get(key, str(key))
            if isinstance(wanted, _List):
                items = list(zip(wanted, wanted.raw, strict=True))
            else:
                items = [(wanted, value.raw.get(key))] if wanted is not None else []
            answers = []
            for item, raw in items:
                text = _as_text(item, raw)
                if text is not None:
                    answers.append(text.strip())
                else:
                    message = f"{target!r}: an answer must be text, not {_describe(item)}"
                    self.problem(name, message, line=line)
            if answers or not items:  # an empty one is for the rules to name
                result[target] = answers
        return result or None


# Writing -----------------------------------------------------------------------------------


class _Flow(list):
    """Written on one line, in brackets: `[Ja, Nei, Usikker]`."""


class _FlowMap(dict):
    """Written on one line, in braces: `{1: Ikke bekymret, 5: Svært bekymret}`."""


class _Dumper(yaml.SafeDumper):
    """Block style with the list of questions indented under its key, as people write it."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _represent_text(dumper: _Dumper, value: str) -> ScalarNode:
    style = "|" if "\n" in value else None
    if any(char in value for char in ODD_BREAKS):
        style = '"'  # escaped: PyYAML would fold them in any other style
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_flow(dumper: _Dumper, value: _Flow) -> SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


def _represent_flow_map(dumper: _Dumper, value: _FlowMap) -> MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True)


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(_FlowMap, _represent_flow_map)


def dump_survey_yaml(spec: SurveySpec) -> str:
    """The survey as a YAML file, in the form `load_survey_yaml` reads; no database ids."""
    data: dict[str, Any] = {"title": spec.title}
    if spec.intro:
        data["intro"] = spec.intro
    if spec.thanks:
        data["thanks"] = spec.thanks
    data["anonymous"] = spec.anonymous
    if spec.opens_on:
        data["opens"] = spec.opens_on
    if spec.closes_on:
        data["closes"] = spec.closes_on
    if spec.remind_after_days is not None:
        data["remind_after_days"] = spec.remind_after_days
    if spec.max_reminders != SurveySpec.max_reminders:
        data["max_reminders"] = spec.max_reminders
    data["questions"] = [_question_data(spec, q) for q in spec.questions]
    return yaml.dump(
        data,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=100,
    )


def _question_data(spec: SurveySpec, q: QuestionSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"id": q.key, "kind": q.kind, "text": q.text, "required": q.required}
    if q.options:
        data["options"] = _short(q.labels)
    if q.min_value is not None:
        data["min"] = q.min_value
    if q.max_value is not None:
        data["max"] = q.max_value
    labels = {}
    if q.min_label and q.min_value is not None:
        labels[q.min_value] = q.min_label
    if q.max_label and q.max_value is not None:
        labels[q.max_value] = q.max_label
    if labels:
        short = sum(len(str(k)) + len(v) + 4 for k, v in labels.items()) <= FLOW_WIDTH
        data["labels"] = _FlowMap(labels) if short and _one_line(labels.values()) else labels
    if q.max_length is not None:
        data["max_length"] = q.max_length
    if q.show_if:
        condition: dict[str, Any] = {}
        for key, values in q.show_if.items():
            target = spec.question(key)
            if target is not None and target.kind == "scale":
                written: list[Any] = [int(v) if WHOLE_NUMBER.match(v) else v for v in values]
            else:
                written = list(values)
            condition[key] = written[0] if len(written) == 1 else _short(written)
        data["show_if"] = _FlowMap(condition) if _fits(condition) else condition
    return data


def _one_line(texts: Any) -> bool:
    return not any("\n" in str(text) for text in texts)


def _short(values: list[Any]) -> list[Any]:
    """A flow list if it fits on a line, else one item a line."""
    fits = sum(len(str(v)) + 2 for v in values) <= FLOW_WIDTH and _one_line(values)
    return _Flow(values) if fits else list(values)


def _fits(condition: dict[str, Any]) -> bool:
    size = 0
    for key, value in condition.items():
        if isinstance(value, list) and not isinstance(value, _Flow):
            return False
        values = value if isinstance(value, list) else [value]
        if not _one_line(values):
            return False
        size += len(key) + 2 + sum(len(str(v)) + 2 for v in values)
    return size <= FLOW_WIDTH


def export_survey_file(db: Database, *, actor: Actor, survey_id: int, path: Path) -> None:
    """Write the survey as YAML to `path`, readable by the owner only; whole or not at all.

    An existing file is replaced. `NotFound` for an unknown survey, `PanelError` if the file
    cannot be written.
    """
    text = dump_survey_yaml(get_survey(db, actor=actor, survey_id=survey_id).spec)
    try:
        write_private(path, text)
    except OSError as exc:
        raise PanelError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600 through a temporary file beside it, then rename."""
    if path.is_dir():
        raise IsADirectoryError(21, "it is a folder", str(path))
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
