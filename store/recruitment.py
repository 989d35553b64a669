"""Recruitment channels: each poster, ad or stand gets its own sign-up link (`?kilde=CODE`),
so staff can see which channels bring residents in, and print each one's QR code."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import case, func
from sqlmodel import col, select

from . import audit
from .actors import Actor
from .db import Database
from .errors import Invalid
from .models import Participant, ParticipantStatus, RecruitmentChannel
from .roles import Role

MAX_LABEL = 80
MAX_CODE = 40
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a"})


@dataclass(frozen=True)
class Channel:
    id: int
    code: str
    label: str
    created_at: datetime
    created_by: str | None
    signed_up: int  # everyone whose source it is, pending ones included
    members: int  # of them, confirmed and still on the panel (active or paused)


def code_for(label: str) -> str:
    """A code a URL carries well: "Plakat på Høvik" → "plakat-pa-hovik"."""
    text = unicodedata.normalize("NFKD", label.translate(_FOLD).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:MAX_CODE].strip("-")


def signup_url(base_url: str, code: str) -> str:
    return f"{base_url}/bli-med?kilde={quote(code)}"


def create_channel(db: Database, *, actor: Actor, label: str, code: str = "") -> Channel:
    """A new channel; its code is made from the label unless given. Invalid if either is
    empty, too long, or the code is taken."""
    actor.require(Role.admin, Role.editor)
    label = " ".join(label.split())
    if not label:
        raise Invalid("label", "is missing")
    if len(label) > MAX_LABEL:
        raise Invalid("label", f"is longer than {MAX_LABEL} characters")
    code = code.strip().lower() or code_for(label)
    if not re.fullmatch(rf"[a-z0-9][a-z0-9-]{{0,{MAX_CODE - 1}}}", code):
        raise Invalid("code", f"{code!r}: use a–z, 0–9 and hyphens, at most {MAX_CODE}")
    if code == "annet":
        raise Invalid("code", "'annet' means “somewhere else” on the form; choose another")
    with db.write() as session:
        if session.exec(select(RecruitmentChannel).where(RecruitmentChannel.code == code)).first():
            raise Invalid("code", f"{code!r} is taken by another channel")
        channel = RecruitmentChannel(code=code, label=label, created_by_name=actor.username)
        session.add(channel)
        session.flush()
        assert channel.id is not None
        audit.record(
            session,
            actor=actor,
            action="recruitment.channel_created",
            target_kind="recruitment_channel",
            target_id=channel.id,
            detail={"code": code},
        )
        return Channel(channel.id, code, label, channel.created_at, actor.username, 0, 0)


def channels(db: Database, *, actor: Actor) -> list[Channel]:
    """Every channel, newest first, with how many signed up through it."""
    actor.require(Role.admin, Role.editor, Role.analyst)
    member = col(Participant.status).in_([ParticipantStatus.active, ParticipantStatus.paused])
    counts = (
        select(
            Participant.source,
            func.count().label("signed_up"),
            func.sum(case((member, 1), else_=0)).label("members"),
        )
        .where(col(Participant.status) != ParticipantStatus.erased)
        .group_by(col(Participant.source))
        .subquery()
    )
    query = (
        select(RecruitmentChannel, counts.c.signed_up, counts.c.members)
        .join(counts, counts.c.source == RecruitmentChannel.code, isouter=True)
        .order_by(col(RecruitmentChannel.id).desc())
    )
    with db.read() as session:
        return [
            Channel(
                row.id or 0,
                row.code,
                row.label,
                row.created_at,
                row.created_by_name,
                signed or 0,
                members or 0,
            )
            for row, signed, members in session.exec(query)
        ]
