"""`panel key status|rotate|retire` and `panel staff recovery-codes`, as an operator runs them."""

from __future__ import annotations

import re

from store.secrets import ServerKey

from .helpers import panel

PASSWORD = "correct horse battery\n"


def test_rotate_then_retire(tmp_path) -> None:
    env = {"PANEL_DATA_DIR": str(tmp_path)}
    made = panel("init", "--admin", "kari", "--password-stdin", env=env, stdin=PASSWORD)
    assert made.returncode == 0, made.stderr
    path = tmp_path / "server.key"
    first = ServerKey.from_file(path)

    status = panel("key", "status", env=env)
    assert status.returncode == 0, status.stderr
    assert f"Current key: {first.key_id}" in status.stdout
    assert "No previous keys" in status.stdout

    rotated = panel("key", "rotate", env=env)
    assert rotated.returncode == 0, rotated.stderr
    ring = ServerKey.from_file(path)
    assert [k.key_id for k in ring.previous] == [first.key_id]
    assert len(path.read_text().split()) == 2 and path.stat().st_mode & 0o777 == 0o600
    assert f"The new key {ring.key_id} is saved" in rotated.stdout
    assert "Re-encrypted 1 staff TOTP secrets" in rotated.stdout
    assert "systemctl restart panel-web panel-worker" in rotated.stdout

    status = panel("key", "status", env=env)
    assert f"Previous keys: {first.key_id}" in status.stdout
    assert "0 staff TOTP secrets" in status.stdout
    assert "unused recovery codes of: kari" in status.stdout

    unasked = panel("key", "retire", env=env)  # no terminal to ask at, and no --yes
    assert unasked.returncode == 1 and "give --yes" in unasked.stderr
    assert len(path.read_text().split()) == 2

    retired = panel("key", "retire", "--yes", env=env)
    assert retired.returncode == 0, retired.stderr
    assert path.read_text() == ring.as_text() + "\n"
    assert f"Retired {first.key_id}." in retired.stdout
    assert "panel staff recovery-codes kari" in retired.stdout

    codes = panel("staff", "recovery-codes", "kari", env=env)
    assert codes.returncode == 0, codes.stderr
    assert len(re.findall(r"^  [a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$", codes.stdout, re.M)) == 10

    again = panel("key", "retire", "--yes", env=env)
    assert again.returncode == 0 and "No previous keys to retire" in again.stdout


def test_a_key_given_in_the_environment_is_not_rotated(tmp_path) -> None:
    key = ServerKey.generate().as_text()
    env = {"PANEL_DATA_DIR": str(tmp_path), "PANEL_SECRET_KEY": key}
    assert (
        panel("init", "--admin", "kari", "--password-stdin", env=env, stdin=PASSWORD).returncode
        == 0
    )
    refused = panel("key", "rotate", env=env)
    assert refused.returncode == 2
    assert "PANEL_SECRET_KEY: the key is given in the environment" in refused.stderr
    assert "PANEL_SECRET_KEY_FILE" in refused.stderr
    assert not (tmp_path / "server.key").exists()
