"""A bad or missing setting stops the command with one clear line and exit status 2."""

from __future__ import annotations

import pytest

from .helpers import panel


def assert_one_line_error(result, *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize(
    ("variable", "value", "needle"),
    [
        ("PANEL_SMTP_PORT", "abc", "valid integer"),
        ("PANEL_SMTP_PORT", "70000", "less than or equal to 65535"),
        ("PANEL_SMTP_TLS", "ssl", "'none', 'starttls' or 'tls'"),
        ("PANEL_LANGUAGE", "sv", "'nb' or 'en'"),
        ("PANEL_BASE_URL", "panel.example.no", "http"),
        ("PANEL_SEND_RATE", "0", "greater than 0"),
        ("PANEL_IDLE_LOCK_MINUTES", "-1", "greater than or equal to 1"),
    ],
)
def test_bad_environment_variable(variable, value, needle):
    result = panel("staff", "list", env={variable: value})
    assert_one_line_error(result, variable, needle)


def test_missing_config_file_named_in_panel_config(tmp_path):
    result = panel("staff", "list", env={"PANEL_CONFIG": str(tmp_path / "nope.toml")})
    assert_one_line_error(result, "PANEL_CONFIG", "does not exist")


def test_malformed_toml(tmp_path):
    path = tmp_path / "panel.toml"
    path.write_text('smtp_host = "mail.example.no"\nsmtp_port = \n', encoding="utf-8")
    result = panel("staff", "list", env={"PANEL_CONFIG": str(path)})
    assert_one_line_error(result, "PANEL_CONFIG", "line 2")


def test_unknown_key_in_toml(tmp_path):
    path = tmp_path / "panel.toml"
    path.write_text('smtp_hots = "mail.example.no"\n', encoding="utf-8")
    result = panel("staff", "list", env={"PANEL_CONFIG": str(path)})
    assert_one_line_error(result, "PANEL_SMTP_HOTS", "not a setting")


def test_toml_in_the_xdg_config_dir_is_read(tmp_path):
    import os

    config = tmp_path / "xdg" / "panel"
    config.mkdir(parents=True)
    (config / "panel.toml").write_text("smtp_port = 99999\n", encoding="utf-8")
    result = panel("staff", "list", env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert_one_line_error(result, "PANEL_SMTP_PORT")
    assert os.environ.get("PANEL_SMTP_PORT") is None


def test_environment_overrides_toml(tmp_path):
    path = tmp_path / "panel.toml"
    path.write_text("smtp_port = 99999\n", encoding="utf-8")
    result = panel("staff", "list", env={"PANEL_CONFIG": str(path), "PANEL_SMTP_PORT": "587"})
    # The port is fine now; what stops it is the missing database, said as one line.
    assert_one_line_error(result, "panel init")


def test_no_database_yet_says_run_init():
    result = panel("staff", "list")
    assert_one_line_error(result, "PANEL_SECRET_KEY_FILE", "panel init")


def test_unreachable_postgresql(tmp_path):
    from store.secrets import ServerKey

    ServerKey.create_file(tmp_path / "k")
    result = panel(
        "staff",
        "list",
        env={
            "PANEL_SECRET_KEY_FILE": str(tmp_path / "k"),
            "PANEL_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none",
        },
    )
    assert_one_line_error(result, "PANEL_DATABASE_URL", "cannot open")


def test_key_file_readable_by_others_is_refused(tmp_path):
    from store.secrets import ServerKey

    path = tmp_path / "server.key"
    ServerKey.create_file(path)
    path.chmod(0o644)
    result = panel("staff", "list", env={"PANEL_SECRET_KEY_FILE": str(path)})
    assert_one_line_error(result, "PANEL_SECRET_KEY_FILE", "chmod 600")


def test_a_missing_database_is_reported_and_not_created(tmp_path):
    from store.secrets import ServerKey

    ServerKey.create_file(tmp_path / "server.key")
    result = panel("staff", "list", env={"PANEL_DATA_DIR": str(tmp_path)})
    assert_one_line_error(result, "PANEL_DATABASE_URL", "panel.db does not exist", "panel init")
    assert not (tmp_path / "panel.db").exists()
