"""Rotating the server key and retiring the old one, on both engines: what goes on working after
a rotation, and what stops working, and what is made anew, after a retirement."""

from __future__ import annotations

import hmac
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from store import outbox
from store.answering import LinkUnusable, open_sheet
from store.auth import authenticate
from store.errors import LoginFailed, Refused
from store.events import existing_invite_token, invite_token
from store.keyring import key_report, retire, rotate
from store.links import TOKEN, UNSUBSCRIBE_CODE, invitation_token, link_parts
from store.models import AuditEvent, EventInvite, Invitation, Message, RecoveryCode, Staff
from store.residents import member
from store.rsvp import rsvp_view
from store.sampling import Selection, plan_send
from store.sealing import LINK, open_links
from store.secrets import ServerKey, ServerKeyError
from store.sending import queue_invitations
from store.timeutil import utcnow
from tests.factories import PASSWORD, code_at, make_staff

from .test_events import invited, people, workshop
from .test_sending import ADMIN, MAILING, letters, open_survey, panel


def test_a_ring_reads_from_text_writes_back_and_checks_under_every_key(tmp_path) -> None:
    old = ServerKey.generate()
    secret = old.encrypt("JBSWY3DPEHPK3PXP")
    ring = old.rotated()
    assert ring.previous == (old,) and ring.key_id != old.key_id
    again = ServerKey.from_text(ring.ring_text())
    assert [k.key_id for k in again.ring] == [ring.key_id, old.key_id]
    assert again.decrypt(secret) == "JBSWY3DPEHPK3PXP"  # made by the old key, read by the ring
    assert not again.alone.can_decrypt(secret)
    assert again.alone.decrypt(again.encrypt("x")) == "x"  # the current key makes new things
    assert again.mac_ok("csrf", "value", old.mac("csrf", "value")[:32], length=32)
    assert not again.alone.mac_ok("csrf", "value", old.mac("csrf", "value")[:32], length=32)
    assert again.macs("x", "v") == [ring.mac("x", "v"), old.mac("x", "v")]
    with pytest.raises(ServerKeyError, match="key 2 of the ring is not valid base64"):
        ServerKey.from_text(f"{ring.as_text()}\n!!not-base64!!")
    with pytest.raises(ServerKeyError, match="the same key is in the ring twice"):
        ServerKey.from_text(f"{old.as_text()} {old.as_text()}")

    path = tmp_path / "server.key"
    old_file = ServerKey.create_file(path)
    old_file.rotated().replace_file(path)
    lines = path.read_text().split()
    assert len(lines) == 2 and lines[1] == old_file.as_text()
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["server.key"]  # no temporary file left


def test_the_keyed_hash_is_hmac_sha256_under_the_purposes_subkey() -> None:
    key = ServerKey.generate()
    for purpose in ("invitation", "invitation-link", "csrf"):
        for data in (b"", b"salt", bytes(range(256)) * 20):  # empty, short, past one block
            assert key.digest(purpose, data) == hmac.digest(key.derive(purpose), data, "sha256")
    assert key.mac("csrf", "v") == hmac.digest(key.derive("csrf"), b"v", "sha256").hex()
    assert key.digest("a", b"x") != key.digest("b", b"x")


def test_a_key_file_that_cannot_be_replaced_is_left_as_it_was(tmp_path, monkeypatch) -> None:
    path = tmp_path / "server.key"
    ServerKey.create_file(path)
    before = path.read_text()

    def refuse(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("store.secrets.os.replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        ServerKey.from_file(path).rotated().replace_file(path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["server.key"]


def sealed_emails_sent(db) -> None:
    with db.write() as session:
        session.execute(update(Message).values(status="sent", sealed=None, sent_at=utcnow()))


def test_rotating_keeps_everything_working_and_retiring_moves_it_onto_the_new_key(db) -> None:
    old = ServerKey.generate()
    kari = make_staff(db, old, "kari")
    survey_id = open_survey(db)
    panel(db, young=2, old=2)
    plan = plan_send(db, actor=ADMIN, survey_id=survey_id, selection=Selection())
    queue_invitations(db, old, actor=ADMIN, plan=plan, letters=letters(), mailing=MAILING)
    event_id, _sessions = workshop(db, 5)
    guests = people(db, 2)
    event_tokens = invited(db, old, event_id, guests)  # their emails wait, links sealed
    with db.read() as session:
        invitations = session.exec(select(Invitation)).all()
        someone = invitations[0].participant_id
    survey_links = {i.id: invitation_token(old, i.link_salt) for i in invitations}
    unsubscribe = link_parts(old, someone, None)[UNSUBSCRIBE_CODE]

    new = old.rotated()
    assert rotate(db, new, actor=ADMIN, replaced=old) == 1  # kari's TOTP secret
    with db.read() as session:
        encrypted = session.exec(select(Staff.totp_secret_enc)).one()
    assert new.alone.can_decrypt(encrypted) and not old.can_decrypt(encrypted)

    # Everything made under the old key goes on working under the ring.
    for token in survey_links.values():
        assert open_sheet(db, new, token).survey_id == survey_id
    for token in event_tokens.values():
        assert rsvp_view(db, new, token) is not None
    assert member(db, new, someone, unsubscribe).id == someone
    now = utcnow()
    authenticate(db, new, username="kari", password=PASSWORD, code=code_at(kari, now))
    with db.read() as session:  # a reminder repeats the link the resident has
        invite = session.exec(select(EventInvite)).first()
        stored = {i.id: i.token_hash for i in session.exec(select(Invitation))}
    assert existing_invite_token(new, invite) == event_tokens[invite.participant_id]
    assert invite_token(new, invite.link_salt) != event_tokens[invite.participant_id]
    for invitation in invitations:
        parts = link_parts(new, invitation.participant_id, invitation.link_salt,
                           stored[invitation.id])  # fmt: skip
        assert parts[TOKEN] == survey_links[invitation.id]

    report = key_report(db, new, actor=ADMIN)
    assert (report.current, report.previous) == (new.key_id, (old.key_id,))
    assert report.totp_secrets == 0 and report.recovery_staff == ("kari",)
    assert report.links == {"survey": 4, "workshop": 2, "volunteer": 0}
    assert report.live_links == {"survey": 4, "workshop": 2, "volunteer": 0}
    assert report.unsent == 2  # the two workshop invitations, their links sealed

    # Retiring waits for the emails whose links it might make anew.
    with pytest.raises(Refused, match="2 emails with personal links are not sent yet"):
        retire(db, new, actor=ADMIN)
    sealed_emails_sent(db)
    done = retire(db, new, actor=ADMIN)
    assert done.retired == (old.key_id,) and done.recovery_staff == ("kari",)
    assert done.links == {"survey": 4, "workshop": 2, "volunteer": 0}
    current = new.alone  # what the key file holds after retiring

    # The old links stop working; the new ones, made from new salts, work.
    for token in survey_links.values():
        with pytest.raises(LinkUnusable):
            open_sheet(db, current, token)
    for token in event_tokens.values():
        assert rsvp_view(db, current, token) is None
    with db.read() as session:
        for invitation in session.exec(select(Invitation)):
            token = link_parts(current, None, invitation.link_salt, invitation.token_hash)[TOKEN]
            assert token != survey_links[invitation.id]
            assert open_sheet(db, current, token).survey_id == survey_id
        for invite in session.exec(select(EventInvite)):
            assert rsvp_view(db, current, invite_token(current, invite.link_salt)) is not None
        codes = session.exec(select(RecoveryCode).where(col(RecoveryCode.used_at).is_(None)))
        assert codes.all() == []  # made under the old key: they could never work again
        actions = session.exec(
            select(AuditEvent.action).where(col(AuditEvent.action).like("server-key.%"))
        ).all()
    assert sorted(actions) == ["server-key.retired", "server-key.rotated"]
    with pytest.raises(LoginFailed):
        authenticate(db, current, username="kari", password=PASSWORD,
                     code=kari.recovery_codes[0], now=now + timedelta(minutes=2))  # fmt: skip
    later = now + timedelta(minutes=1)
    authenticate(
        db, current, username="kari", password=PASSWORD, code=code_at(kari, later), now=later
    )

    after = key_report(db, current, actor=ADMIN)
    assert after.previous == () and sum(after.links.values()) == 0 and after.unsent == 0
    with pytest.raises(Refused, match="no previous key to retire"):
        retire(db, current, actor=ADMIN)


def test_a_recovery_code_made_before_a_rotation_still_logs_in_until_retirement(db) -> None:
    old = ServerKey.generate()
    kari = make_staff(db, old, "kari")
    new = old.rotated()
    rotate(db, new, actor=ADMIN, replaced=old)
    authenticate(db, new, username="kari", password=PASSWORD, code=kari.recovery_codes[0])
    with db.read() as session:
        used = session.exec(select(RecoveryCode).where(col(RecoveryCode.used_at).is_not(None)))
        assert len(used.all()) == 1


def test_the_outbox_says_which_key_made_a_survey_link(db) -> None:
    """So a reminder sent after a rotation carries the link the resident already has."""
    old = ServerKey.generate()
    survey_id = open_survey(db)
    panel(db, young=1, old=1)
    plan = plan_send(db, actor=ADMIN, survey_id=survey_id, selection=Selection())
    queue_invitations(db, old, actor=ADMIN, plan=plan, letters=letters(), mailing=MAILING)
    new = old.rotated()
    rows = outbox.claim_due(db, owner="worker", limit=10)
    assert len(rows) == 2
    for row in rows:
        token = link_parts(new, row.participant_id, row.link_salt, row.link_hash)[TOKEN]
        assert token == invitation_token(old, row.link_salt)
        assert open_sheet(db, new, token).survey_id == survey_id


def test_a_worker_still_on_the_old_key_cannot_open_links_the_new_key_sealed(db) -> None:
    """Why the services restart after a rotation; meanwhile the dispatcher retries such a row
    (mail/dispatcher.py) instead of failing it."""
    old = ServerKey.generate()
    new = old.rotated()
    event_id, _sessions = workshop(db, 5)
    invited(db, new, event_id, people(db, 1))
    with db.read() as session:
        sealed = session.exec(select(Message.sealed)).one()
    with pytest.raises(ServerKeyError):
        open_links(old, sealed)
    assert LINK in open_links(new, sealed)
