"""After `panel key rotate`, staff log in to the real app in a terminal as before: the app reads
the two-key file, and the TOTP secret re-encrypted under the new key opens."""

from __future__ import annotations

import pyotp

from store.secrets import ServerKey
from tests.tui.test_tmux import (  # noqa: F401
    LOGIN_TITLE,
    PANEL,
    URI_SECRET,
    base_env,
    log_in,
    run_panel,
    tmux_session,
)

PASSWORD = "et langt passord 123"


def test_staff_log_in_after_a_rotation(tmp_path, tmux_session):  # noqa: F811
    data = tmp_path / "data"
    env = base_env(tmp_path / "home", PANEL_DATA_DIR=str(data))
    init = run_panel("init", "--admin", "kari", "--password-stdin", env=env, stdin=PASSWORD + "\n")
    secret = URI_SECRET.search(init.stdout).group(1)
    first = ServerKey.from_file(data / "server.key")

    rotated = run_panel("key", "rotate", env=env)  # in Norwegian, the default
    assert "Krypterte 1 TOTP-hemmeligheter for ansatte på nytt" in rotated.stdout
    ring = ServerKey.from_file(data / "server.key")
    assert [k.key_id for k in ring.previous] == [first.key_id]

    session = tmux_session(env)
    session.start([PANEL], width=100, height=30)
    session.wait_for(LOGIN_TITLE)
    log_in(session, "kari", PASSWORD, pyotp.TOTP(secret).now())
    screen = session.wait_for("Innbyggerpanelet — kari")
    assert not LOGIN_TITLE.search(screen) and "Traceback" not in screen
