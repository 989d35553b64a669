"""The README's key rotation, with the real commands and the residents' pages running: a link
emailed before the rotation still opens its survey after `panel key rotate` and a restart, and
stops after `panel key retire`, when the link made anew opens it instead."""

from __future__ import annotations

import urllib.error
import urllib.request

from sqlmodel import select

from store.db import Database
from store.links import TOKEN, link_parts
from store.models import Invitation
from store.secrets import ServerKey
from tests.cli.helpers import panel
from tests.store.test_sending import open_survey

from .test_deploy import PASSWORD, RESIDENTS_CSV, free_port, panel_web


def status(port: int, token: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/s/{token}", timeout=30) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def tokens(db: Database, key: ServerKey) -> list[str]:
    with db.read() as session:
        rows = session.exec(select(Invitation).order_by(Invitation.id)).all()
    return [link_parts(key, None, row.link_salt, row.token_hash)[TOKEN] for row in rows]


def test_links_through_a_rotation_and_a_retirement(tmp_path) -> None:
    data = tmp_path / "data"
    env = {"PANEL_DATA_DIR": str(data)}
    made = panel("init", "--admin", "kari", "--password-stdin", env=env, stdin=PASSWORD)
    assert made.returncode == 0, made.stderr
    (tmp_path / "residents.csv").write_text(RESIDENTS_CSV, encoding="utf-8")
    assert panel("import", str(tmp_path / "residents.csv"), env=env).returncode == 0
    db = Database(f"sqlite:///{data / 'panel.db'}")
    try:
        survey_id = open_survey(db)
        sent = panel("send", str(survey_id), env=env)
        assert sent.returncode == 0, sent.stderr
        before = tokens(db, ServerKey.from_file(data / "server.key"))
        assert len(before) == 2
        port = free_port()
        with panel_web(env, port, tmp_path / "web-1.log"):
            assert [status(port, t) for t in before] == [200, 200]

        rotated = panel("key", "rotate", env=env)
        assert rotated.returncode == 0, rotated.stderr
        ring = ServerKey.from_file(data / "server.key")
        assert tokens(db, ring) == before  # reminders would carry the same links
        with panel_web(env, port, tmp_path / "web-2.log"):  # restarted, as the README says
            assert [status(port, t) for t in before] == [200, 200]

        retired = panel("key", "retire", "--yes", env=env)
        assert retired.returncode == 0, retired.stderr
        current = ServerKey.from_file(data / "server.key")
        assert current.previous == () and current.key_id == ring.key_id
        after = tokens(db, current)
        assert set(after).isdisjoint(before)
        with panel_web(env, port, tmp_path / "web-3.log"):
            assert [status(port, t) for t in before] == [404, 404]
            assert [status(port, t) for t in after] == [200, 200]
    finally:
        db.dispose()
