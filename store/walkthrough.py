"""How far a newcomer has come through the loop the demo leads them along: a survey sent to a
stratified sample, its emails delivered, answers in, the report published. Read from the data
itself, so the guide is right however the steps were done (the app, the command line)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select

from .actors import Actor
from .db import Database
from .models import Message, MessageStatus, Response, SendBatch, Survey
from .roles import Role


@dataclass(frozen=True)
class Walkthrough:
    survey_id: int | None  # the survey most lately sent to a stratified sample
    survey_title: str | None
    delivered: int  # its invitations sent
    answered: int  # its responses
    published: bool

    @property
    def sent(self) -> bool:
        return self.survey_id is not None


def walkthrough(db: Database, *, actor: Actor) -> Walkthrough:
    actor.require(Role.admin, Role.editor, Role.analyst)
    with db.read() as session:
        batches = session.exec(
            select(SendBatch.survey_id, SendBatch.criteria)
            .where(SendBatch.kind == "invitation", col(SendBatch.survey_id).is_not(None))
            .order_by(col(SendBatch.id).desc())
        ).all()
        survey_id = next(
            (sid for sid, criteria in batches if (criteria or {}).get("method") == "stratified"),
            None,
        )
        if survey_id is None:
            return Walkthrough(None, None, 0, 0, False)
        survey = session.get_one(Survey, survey_id)
        delivered = session.exec(
            select(func.count()).where(
                Message.survey_id == survey_id,
                Message.kind == "invitation",
                Message.status == MessageStatus.sent,
            )
        ).one()
        answered = session.exec(select(func.count()).where(Response.survey_id == survey_id)).one()
        return Walkthrough(
            survey_id, survey.title, delivered, answered, survey.results_published_at is not None
        )
