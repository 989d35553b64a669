"""Unsaved work kept on the staff member's own account while they type, so that a dropped SSH
connection or a closed terminal loses at most a few seconds of it.

The survey editor keeps what is on its screen here every few seconds while it differs from the
saved survey, and removes it once saved or deliberately left. Opening that survey again (or a
new survey, for one never saved) brings it back as unsaved changes. The files live under
`$XDG_STATE_HOME/panel/unsaved` (`~/.local/state/panel/unsaved`) of the account running
`panel`, one per staff username, readable by their owner only: the text may hold what
residents would not want shared.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from store.survey_spec import OptionSpec, QuestionSpec, SurveySpec

from .settings import xdg_dir


@dataclass(frozen=True)
class Draft:
    survey_id: int | None  # None: a new survey, never saved
    version: int  # the survey's version the changes were made on
    title: str
    kept_at: datetime
    spec: SurveySpec


def directory() -> Path:
    return xdg_dir("XDG_STATE_HOME", ".local/state") / "unsaved"


def _path(username: str, survey_id: int | None) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in username)
    return directory() / f"{safe}.survey-{survey_id if survey_id is not None else 'new'}.json"


def keep(username: str, survey_id: int | None, version: int, spec: SurveySpec) -> None:
    """Write the draft whole (a temporary file renamed into place), owner-only."""
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {
        "survey_id": survey_id,
        "version": version,
        "kept_at": datetime.now(UTC).isoformat(),
        "spec": asdict(spec),
    }
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".draft-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(data, file, ensure_ascii=False, default=_plain)
        os.replace(temporary, _path(username, survey_id))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def kept(username: str, survey_id: int | None) -> Draft | None:
    """The draft kept for that survey, or None (also when the file cannot be read)."""
    try:
        data = json.loads(_path(username, survey_id).read_text(encoding="utf-8"))
        return _draft(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def all_kept(username: str) -> list[Draft]:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in username)
    drafts = []
    for path in sorted(directory().glob(f"{safe}.survey-*.json")):
        try:
            drafts.append(_draft(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return drafts


def drop(username: str, survey_id: int | None) -> None:
    _path(username, survey_id).unlink(missing_ok=True)


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot keep {type(value).__name__}")


def _draft(data: dict[str, Any]) -> Draft:
    raw = dict(data["spec"])
    questions = []
    for question in raw.pop("questions", []):
        options = [OptionSpec(**option) for option in question.pop("options", [])]
        questions.append(QuestionSpec(**question, options=options))
    for name in ("opens_on", "closes_on"):
        raw[name] = date.fromisoformat(raw[name]) if raw.get(name) else None
    spec = SurveySpec(**raw, questions=questions)
    return Draft(
        data["survey_id"],
        int(data["version"]),
        spec.title,
        datetime.fromisoformat(data["kept_at"]),
        spec,
    )
