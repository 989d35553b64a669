"""A survey's results as files: a Markdown report to publish, XLSX with a summary sheet (and the
responses, for editors), and CSV with one row per response and a codebook beside it.

Every figure in the report and the summary is the protected one from `store.results`. Rows of
responses carry no name, address or id: the answers, the day, and the coarse groups an
anonymous response keeps anyway. They are raw answers all the same, so only admins and editors
get them; analysts get aggregates only. Each export is in the audit log; files are written
readable by the owner only, and appear whole or not at all.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from . import audit
from .actors import Actor
from .db import Database
from .errors import Invalid, PanelError
from .models import Answer, Option, Question, Response
from .results import DEFAULT_K, QuestionResult, Results, survey_results
from .roles import Role
from .weighting import WeightedShare, Weighting, survey_weighting, weighted_shares

FORMATS = ("md", "csv", "xlsx")
LOCAL = ZoneInfo("Europe/Oslo")
KIND_WORDS = {"single": "single choice", "multiple": "multiple choice", "scale": "scale",
              "number": "number", "text": "free text"}  # fmt: skip
WORDS = {
    "nb": {
        "answers": "Svar", "count": "Antall", "share": "Andel", "hidden": "færre enn {k}",
        "responses": "{n} svar", "rate": "svar fra {rate} av dem som fikk invitasjonen",
        "fewer": "færre enn {k} svar", "mean": "Gjennomsnitt {mean}, median {median}",
        "range": "{n} svar; gjennomsnitt {mean}, median {median}, de fleste mellom {low} og "
                 "{high}",
        "texts": "{n} svar i fritekst.",
        "note": "Tall fra færre enn {k} personer er skjult («færre enn {k}»), sammen med så mange "
                "andre at de ikke kan regnes ut, slik at ingen kan kjennes igjen.",
        "multiple": "Flere svar mulig: andelene er av dem som svarte på spørsmålet.",
        "weighted": "Vektet",
        "weights": "«Vektet» viser andelene slik de ville vært om de som svarte, hadde fordelt seg "
                   "på alder, kjønn og bosted som innbyggerne i kommunen (effektivt utvalg: {n}).",
    },
    "en": {
        "answers": "Answer", "count": "Count", "share": "Share", "hidden": "fewer than {k}",
        "responses": "{n} responses", "rate": "answers from {rate} of those invited",
        "fewer": "fewer than {k} responses", "mean": "Mean {mean}, median {median}",
        "range": "{n} answers; mean {mean}, median {median}, most between {low} and {high}",
        "texts": "{n} free-text answers.",
        "note": "Figures from fewer than {k} people are hidden (“fewer than {k}”), with enough "
                "others that they cannot be worked out, so that no one can be recognised.",
        "multiple": "More than one answer possible: shares are of those who answered.",
        "weighted": "Weighted",
        "weights": "“Weighted” gives the shares as they would be if those who answered were spread "
                   "over age, gender and district as the municipality's residents are (effective "
                   "sample: {n}).",
    },
}  # fmt: skip


def export_results(
    db: Database,
    *,
    actor: Actor,
    survey_id: int,
    fmt: str,
    path: Path | None = None,
    k: int = DEFAULT_K,
    language: str = "nb",
) -> str | None:
    """Write the results in `fmt` to `path`; with no path (Markdown and CSV only) return the
    text instead. CSV also writes `NAME.codebook.csv` beside the file."""
    if fmt not in FORMATS:
        raise Invalid("format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    if language not in WORDS:
        raise Invalid("language", f"{language!r} is not nb or en")
    if fmt in ("csv",) or (fmt == "xlsx" and actor.role != Role.analyst):
        actor.require(Role.admin, Role.editor)  # the responses themselves
    results = survey_results(db, actor=actor, survey_id=survey_id, k=k)
    weighting = survey_weighting(db, actor=actor, survey_id=survey_id)
    weighted = (
        weighted_shares(db, actor=actor, survey_id=survey_id, weighting=weighting, k=k)
        if weighting is not None and weighting.raked
        else {}
    )
    text: str | None = None
    if fmt == "md":
        text = markdown_report(results, language, weighted, weighting)
        if path is not None:
            _write(path, text.encode("utf-8"))
    elif fmt == "csv":
        header, rows = _response_rows(db, survey_id)
        text = _csv([header, *rows])
        if path is not None:
            _write(path, text.encode("utf-8-sig"))
            _write(codebook_path(path), _csv(_codebook(results)).encode("utf-8-sig"))
    else:
        if path is None:
            raise Invalid("output", "an XLSX file needs a name (-o FILE)")
        with_data = actor.role != Role.analyst
        data = _response_rows(db, survey_id) if with_data else None
        _write(path, _xlsx(results, data, language))
    with db.write() as session:
        audit.record(
            session,
            actor=actor,
            action="survey.results_exported",
            target_kind="survey",
            target_id=survey_id,
            detail={"format": fmt, "k": k, "file": path.name if path else None},
        )
    return text if path is None else None


def codebook_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.codebook.csv")


# Markdown -------------------------------------------------------------------------------------


def markdown_report(
    results: Results,
    language: str = "nb",
    weighted: dict[str, list[WeightedShare]] | None = None,
    weighting: Weighting | None = None,
) -> str:
    """The report as published: the response rate, then each question's protected figures,
    with the shares weighted to the population beside them when there are weights."""
    words = WORDS[language]
    weighted = weighted or {}
    lines = [f"# {results.title}", ""]
    progress = results.progress
    if results.responses is None:
        lines.append(words["fewer"].format(k=results.k) + ".")
    else:
        summary = words["responses"].format(n=_number(results.responses, language))
        if progress.rate is not None:
            rate = words["rate"].format(rate=_percent(progress.rate, language))
            summary += f", {rate}"
        lines.append(summary[0].upper() + summary[1:] + ".")
    lines += ["", words["note"].format(k=results.k), ""]
    if weighted and weighting is not None:
        effective = _number(round(weighting.effective_n), language)
        lines += [words["weights"].format(n=effective), ""]
    for number, question in enumerate(results.questions, 1):
        lines += [f"## {number}. {question.text}", ""]
        lines += _question_lines(question, results.k, words, language, weighted.get(question.key))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _question_lines(
    question: QuestionResult,
    k: int,
    words: dict,
    language: str,
    weighted: list[WeightedShare] | None = None,
) -> list[str]:
    if question.respondents is None:
        return [words["fewer"].format(k=k) + "."]
    if question.kind == "text":
        return [words["texts"].format(n=_number(question.texts or 0, language))]
    lines = []
    if question.shares:
        heads = [words["answers"], words["count"], words["share"]]
        heads += [words["weighted"]] if weighted else []
        lines += ["| " + " | ".join(heads) + " |", "|---" + "|---:" * (len(heads) - 1) + "|"]
        for n, share in enumerate(question.shares):
            hidden = words["hidden"].format(k=k)
            count = hidden if share.count is None else _number(share.count, language)
            cells = [_cell(share.label), count, _share(share.share, language)]
            if weighted:
                cells.append(_share(weighted[n].share, language))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        if question.kind == "multiple":
            lines += [words["multiple"], ""]
    summary = question.summary
    if summary is not None and summary.mean is not None:
        figures = {
            "n": _number(summary.n, language),
            **{name: _decimal(getattr(summary, name), language)
               for name in ("mean", "median", "low", "high")},
        }  # fmt: skip
        template = words["mean"] if question.kind == "scale" else words["range"]
        lines.append(template.format(**figures) + ".")
    return lines or [words["fewer"].format(k=k) + "."]


def _share(share: float | None, language: str) -> str:
    return "–" if share is None else _percent(share, language)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _number(value: int, language: str) -> str:
    text = f"{value:,}"
    return text.replace(",", "\u202f") if language == "nb" else text


def _decimal(value: float | None, language: str) -> str:
    if value is None:
        return "–"
    text = f"{value:.1f}".removesuffix(".0")
    return text.replace(".", ",") if language == "nb" else text


def _percent(share: float, language: str) -> str:
    return f"{round(share * 100)}\u00a0%" if language == "nb" else f"{round(share * 100)}%"


# Responses ------------------------------------------------------------------------------------


def _response_rows(db: Database, survey_id: int) -> tuple[list[str], list[list[str]]]:
    """One row per response: a running number, the day, the groups, then each question."""
    with db.read() as session:
        questions = list(
            session.exec(  # type: ignore[call-overload]
                select(Question)
                .where(Question.survey_id == survey_id)
                .order_by(col(Question.position))
            ).scalars()
        )
        header = ["response", "date", "age_band", "gender", "district"]
        header += [q.key for q in questions]
        rows = list(_rows(session, survey_id, questions))
    return header, rows


def _rows(session: Session, survey_id: int, questions: list[Question]) -> Iterator[list[str]]:
    position = {q.id: i for i, q in enumerate(questions)}
    labels = dict(
        session.execute(
            select(Option.id, Option.label).where(
                col(Option.question_id).in_([q.id for q in questions])
            )
        ).all()
    )
    responses = session.execute(
        select(Response.id, Response.submitted_at, Response.age_band, Response.gender,
               Response.district)
        .where(Response.survey_id == survey_id)
        .order_by(col(Response.id))
    ).all()  # fmt: skip
    values: dict[int, list[list[str]]] = {r.id: [[] for _ in questions] for r in responses}
    answers = session.execute(
        select(Answer.response_id, Answer.question_id, Answer.option_id, Answer.number_value,
               Answer.text_value)
        .join(Response, col(Response.id) == Answer.response_id)
        .where(Response.survey_id == survey_id)
        .order_by(col(Answer.id))
    )  # fmt: skip
    for response_id, question_id, option_id, number, text in answers:
        if option_id is not None:
            value = labels.get(option_id, "")
        elif number is not None:
            value = f"{number:g}"
        else:
            value = text or ""
        values[response_id][position[question_id]].append(value)
    for n, response in enumerate(responses, 1):
        day = response.submitted_at.astimezone(LOCAL).date().isoformat()
        yield [str(n), day, response.age_band or "", response.gender or "",
               response.district or "", *("; ".join(v) for v in values[response.id])]  # fmt: skip


def _codebook(results: Results) -> list[list[str]]:
    rows = [["column", "question", "kind", "values"],
            ["response", "a running number, not the same in two exports", "", ""],
            ["date", "the day the response came in (Norwegian time)", "", "YYYY-MM-DD"],
            ["age_band", "age band at submission", "", ""],
            ["gender", "gender at submission", "", "female; male; other"],
            ["district", "district at submission", "", ""]]  # fmt: skip
    for question in results.questions:
        values = "; ".join(share.label for share in question.shares)
        if question.kind == "multiple":
            values += " (several, separated by “; ”)"
        rows.append([question.key, question.text, KIND_WORDS[question.kind], values])
    return rows


# Files ----------------------------------------------------------------------------------------


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _xlsx(results: Results, data: tuple[list[str], list[list[str]]] | None, language: str) -> bytes:
    from openpyxl import Workbook

    words = WORDS[language]
    book = Workbook(write_only=True)
    summary = book.create_sheet("Oppsummering" if language == "nb" else "Summary")
    summary.append([results.title])
    if results.responses is None:
        summary.append([words["fewer"].format(k=results.k)])
    else:
        summary.append([words["responses"].format(n=results.responses)])
    if results.progress.rate is not None:
        summary.append([words["rate"].format(rate=_percent(results.progress.rate, language))])
    summary.append([words["note"].format(k=results.k)])
    for question in results.questions:
        summary.append([])
        summary.append([question.text])
        if question.respondents is None:
            summary.append([words["fewer"].format(k=results.k)])
            continue
        for share in question.shares:
            count = share.count if share.count is not None else words["hidden"].format(k=results.k)
            part = round(share.share, 4) if share.share is not None else None
            summary.append([share.label, count, part])
        if question.summary is not None:
            s = question.summary
            summary.append(["n", s.n, None, "mean", s.mean, "median", s.median])
        if question.kind == "text":
            summary.append([words["texts"].format(n=question.texts or 0)])
    if data is not None:
        header, rows = data
        sheet = book.create_sheet("Svar" if language == "nb" else "Responses")
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        book_code = book.create_sheet("Kodebok" if language == "nb" else "Codebook")
        for row in _codebook(results):
            book_code.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write(path: Path, content: bytes) -> None:
    """Whole or not at all, readable by the owner only."""
    partial = path.with_name(path.name + ".partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise PanelError(f"cannot write {path}: {exc.strerror or exc}") from None
