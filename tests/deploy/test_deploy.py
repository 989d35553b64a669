"""The files in deploy/ work as the README's "Deployment" tells an operator to use them.

Everything here is real: systemd-analyze checks the units, nginx serves the residents' pages
over HTTPS in front of a real `panel web`, sshd and visudo check the staff's SSH set-up, the
backup script and `panel backup` copy a live database that is then restored, and `panel db
upgrade` brings files of every older revision to the head.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import sqlite3
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.cli.helpers import PANEL, panel
from tui.settings import Settings, load_settings

ROOT = Path(__file__).parent.parent.parent
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
EXAMPLE = DEPLOY / "panel.toml.example"
NGINX_SITE = DEPLOY / "nginx" / "panel.conf"
SSHD_DROP_IN = DEPLOY / "sshd" / "panel.conf"
SUDOERS = DEPLOY / "sudoers" / "panel"
BACKUP_SCRIPT = DEPLOY / "panel-backup"
STAFF_SCRIPT = DEPLOY / "panel-staff"
SERVER_NAME = "innbyggerpanel.example.kommune.no"
PASSWORD = "et langt passord for kari\n"
SLOW = 60.0  # seconds: waits on a loaded 2-core machine; never waited out on success

RESIDENTS_CSV = (
    "name,email,gender,birth_year,district\n"
    "Åse Ødegård,ase@example.no,female,1958,Sandvika\n"
    "Ola Nordmann,ola@example.no,male,1984,Jar\n"
)


def tool(name: str) -> str:
    """The path of a program the tests need: .ci/run installs every one of them."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    assert found, f"{name} is missing: .ci/run installs it"
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SLOW
    while True:
        if process.poll() is not None:
            raise AssertionError(
                f"{process.args[0]} exited with {process.returncode}:\n{log.read_text()}"
            )
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing listens on {port}:\n{log.read_text()}") from None
            time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(15)


@contextmanager
def panel_web(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen]:
    """`panel web` as panel-web.service runs it, once it listens; SIGTERM at the end."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [PANEL, "web"],
            env={**os.environ, "PANEL_LANGUAGE": "en", **env, "PANEL_WEB_PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port, process, log)
            yield process
        finally:
            stop(process)


def unit_lines(path: Path) -> dict[str, list[str]]:
    """KEY → every value it is given in a unit file."""
    found: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


# The settings file ---------------------------------------------------------------------------


def test_the_example_settings_are_accepted(monkeypatch):
    monkeypatch.setenv("PANEL_CONFIG", str(EXAMPLE))
    settings = load_settings()
    assert settings.data_dir == Path("/var/lib/panel")
    assert settings.resolved_secret_key_file == Path("/etc/panel/server.key")
    assert settings.base_url.startswith("https://")
    assert settings.web_host == "127.0.0.1"
    assert settings.web_trusted_proxies == "127.0.0.1"
    assert not settings.dispatch_in_app
    # Every setting it shows commented out is one `panel` knows, ready to uncomment.
    commented = re.findall(r"^# ([a-z_]+) = ", EXAMPLE.read_text(), re.M)
    assert commented and set(commented) <= set(Settings.model_fields)


def test_the_files_agree_with_each_other(monkeypatch):
    """The units, nginx and the settings name the same paths, port and body limit."""
    monkeypatch.setenv("PANEL_CONFIG", str(EXAMPLE))
    settings = load_settings()
    site = NGINX_SITE.read_text()
    assert f"server {settings.web_host}:{settings.web_port};" in site
    limit = re.search(r"^\s*client_max_body_size (\d+)k;", site, re.M)
    assert limit and int(limit.group(1)) * 1024 == settings.web_max_body_bytes
    for name in ("panel-worker.service", "panel-web.service", "panel-backup.service"):
        unit = unit_lines(UNITS / name)
        assert unit["User"] == ["panel"], name
        assert "PANEL_CONFIG=/etc/panel/panel.toml" in unit["Environment"], name
        assert unit["WorkingDirectory"] == [str(settings.data_dir)], name
        assert str(settings.data_dir) in unit["ReadWritePaths"][0].split(), name
        for key, value in (
            ("NoNewPrivileges", "yes"),
            ("ProtectSystem", "strict"),
            ("ProtectHome", "yes"),
            ("PrivateTmp", "yes"),
        ):
            assert unit[key] == [value], (name, key)
    worker = unit_lines(UNITS / "panel-worker.service")
    assert worker["ExecStart"] == ["/opt/panel/.venv/bin/panel worker"]
    assert worker["KillSignal"] == ["SIGTERM"]
    # Long enough for a send on the wire to finish: each SMTP step may take smtp_timeout.
    assert int(worker["TimeoutStopSec"][0].removesuffix("s")) >= 2 * settings.smtp_timeout
    backup = unit_lines(UNITS / "panel-backup.service")
    assert "/var/backups/panel" in backup["ReadWritePaths"][0].split()


# systemd -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "unit",
    ["panel-worker.service", "panel-web.service", "panel-backup.service", "panel-backup.timer"],
)
def test_systemd_accepts_the_unit(unit, tmp_path):
    """`systemd-analyze verify`, with the programs pointed at this checkout's (it checks that
    they exist and are executable); any warning about a unit's lines fails too."""
    for source in UNITS.iterdir():
        text = source.read_text()
        text = text.replace("/opt/panel/.venv/bin/panel", PANEL)
        text = text.replace("/opt/panel/deploy/panel-backup", str(BACKUP_SCRIPT))
        (tmp_path / source.name).write_text(text)
    result = subprocess.run(
        [tool("systemd-analyze"), "verify", str(tmp_path / unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    complaints = [line for line in result.stderr.splitlines() if "panel" in line]
    assert result.returncode == 0 and not complaints, result.stderr


def test_the_scripts_are_executable_shell():
    for script in (BACKUP_SCRIPT, STAFF_SCRIPT):
        assert os.access(script, os.X_OK), script
        subprocess.run(["sh", "-n", str(script)], check=True, timeout=10)


# nginx in front of `panel web` ---------------------------------------------------------------


class Client(http.client.HTTPSConnection):
    """HTTPS to nginx on 127.0.0.1 from a chosen loopback address, trusting the test's
    certificate; TCP_NODELAY so that a few hundred posts take a second, not a minute."""

    def __init__(self, port: int, context: ssl.SSLContext, source: str = "127.0.0.1") -> None:
        super().__init__("127.0.0.1", port, context=context, timeout=30)
        self.source, self.tls = source, context

    def connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), 30, (self.source, 0))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self.tls.wrap_socket(sock, server_hostname="localhost")

    def fetch(self, method: str, path: str, body: bytes | None = None, **headers: str):
        headers = {"Host": SERVER_NAME, **headers}
        if body is not None:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        self.request(method, path, body=body, headers=headers)
        response = self.getresponse()
        return response, response.read()


def nginx_config(tmp_path: Path, *, web_port: int, http_port: int, https_port: int) -> Path:
    """deploy/nginx/panel.conf with this test's ports, certificate and log, in an nginx.conf
    of its own (as Debian's includes sites-enabled/ inside `http`)."""
    site = NGINX_SITE.read_text()
    replacements = [
        (r"server 127\.0\.0\.1:8080;", f"server 127.0.0.1:{web_port};", 1),
        (r"listen 80;", f"listen 127.0.0.1:{http_port};", 1),
        (r"listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl", 1),
        (r"\n\s*listen \[::\]:\d+[^;]*;", "", 2),  # no IPv6 needed here
        (r"(?m)^(\s*ssl_certificate) +\S+;", rf"\1 {tmp_path}/cert.pem;", 1),
        (r"(?m)^(\s*ssl_certificate_key) +\S+;", rf"\1 {tmp_path}/key.pem;", 1),
        (r"/var/log/nginx/panel\.access\.log", f"{tmp_path}/access.log", 2),
        (r"root /var/www/letsencrypt;", f"root {tmp_path}/acme;", 1),
    ]
    for pattern, replacement, count in replacements:
        site, made = re.subn(pattern, replacement, site)
        assert made == count, f"deploy/nginx/panel.conf changed: {pattern} found {made} times"
    (tmp_path / "panel.conf").write_text(site)
    temp = "\n".join(
        f"    {kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")  # workers must reach the pytest dirs
        + f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        f"{temp}\n"
        f"    include {tmp_path}/panel.conf;\n"
        "}\n"
    )
    return conf


def self_signed_certificate(tmp_path: Path) -> None:
    subprocess.run(
        [
            tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
            "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip


@pytest.fixture
def behind_nginx(tmp_path) -> Iterator[tuple[int, int, ssl.SSLContext, Path]]:
    """A fresh panel (`panel init` with the example settings) served by `panel web`, behind
    nginx with deploy/nginx/panel.conf: (HTTPS port, HTTP port, TLS context, tmp dir)."""
    web_port, http_port, https_port = free_port(), free_port(), free_port()
    env = {
        "PANEL_CONFIG": str(EXAMPLE),
        "PANEL_DATA_DIR": str(tmp_path / "data"),
        "PANEL_SECRET_KEY_FILE": str(tmp_path / "data" / "server.key"),
        "PANEL_BASE_URL": f"https://localhost:{https_port}",
    }
    made = panel("init", "--admin", "kari", "--password-stdin", env=env, stdin=PASSWORD)
    assert made.returncode == 0, made.stderr
    self_signed_certificate(tmp_path)
    conf = nginx_config(tmp_path, web_port=web_port, http_port=http_port, https_port=https_port)
    nginx = tool("nginx")
    command = [nginx, "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")]
    checked = subprocess.run(
        [*command, "-t"], capture_output=True, text=True, timeout=60, check=False
    )
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr
    context = ssl.create_default_context(cafile=tmp_path / "cert.pem")
    with panel_web(env, web_port, tmp_path / "web.log"):
        log = tmp_path / "nginx.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [*command, "-g", "daemon off;"], stdout=output, stderr=subprocess.STDOUT
            )
            try:
                wait_for_port(https_port, process, log)
                yield https_port, http_port, context, tmp_path
            finally:
                stop(process)


def test_residents_pages_over_https_through_nginx(behind_nginx):
    https_port, http_port, context, tmp_path = behind_nginx
    client = Client(https_port, context)
    response, body = client.fetch("GET", "/bli-med")
    assert response.status == 200, body
    assert b'name="csrf"' in body
    # nginx's HSTS, the app's own security headers passed through, and no version given away.
    assert response.getheader("Strict-Transport-Security") == "max-age=63072000"
    assert "default-src 'none'" in response.getheader("Content-Security-Policy")
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Referrer-Policy") == "no-referrer"
    assert response.getheader("Server") == "nginx"
    assert client.fetch("GET", "/healthz")[1] == b"ok"

    # Plain HTTP is sent to HTTPS, path and query kept.
    plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
    plain.request("GET", "/s/abc?x=1", headers={"Host": SERVER_NAME})
    moved = plain.getresponse()
    assert moved.status == 301
    assert moved.getheader("Location") == f"https://{SERVER_NAME}/s/abc?x=1"

    # A body over PANEL_WEB_MAX_BODY_BYTES stops at nginx; one under it reaches the app.
    too_big, _ = client.fetch("POST", "/bli-med", b"name=" + b"a" * 70_000)
    assert too_big.status == 413
    client = Client(https_port, context)
    under, page = client.fetch("POST", "/bli-med", b"name=" + b"a" * 60_000)
    assert under.status == 403 and b"<html" in page  # the app's page: no CSRF field

    # The access log holds no path: personal links are as good as passwords.
    logged = (tmp_path / "access.log").read_text()
    assert '"GET" 200' in logged and '"POST" 413' in logged
    assert "/bli-med" not in logged and "/s/abc" not in logged and "/healthz" not in logged


def test_the_app_sees_each_residents_address(behind_nginx):
    """nginx passes the resident's address in X-Forwarded-For and `panel web` believes it
    from 127.0.0.1 (web_trusted_proxies): the per-address limit on posts stops one address,
    not everyone behind nginx, and a forged X-Forwarded-For does not get around it."""
    from web.config import WebConfig

    https_port, _http_port, context, _tmp_path = behind_nginx
    limit = WebConfig(base_url="https://localhost").posts_per_minute_per_client
    busy = Client(https_port, context, source="127.0.0.2")
    statuses = [busy.fetch("POST", "/bli-med", b"name=x")[0].status for _ in range(limit)]
    assert set(statuses) == {403}  # each refused for want of a CSRF field, none limited
    assert busy.fetch("POST", "/bli-med", b"name=x")[0].status == 429
    forged = busy.fetch("POST", "/bli-med", b"name=x", **{"X-Forwarded-For": "198.51.100.7"})
    assert forged[0].status == 429
    other = Client(https_port, context, source="127.0.0.3")
    assert other.fetch("POST", "/bli-med", b"name=x")[0].status == 403


# OpenSSH and sudo for staff ------------------------------------------------------------------


def sshd_settings(sshd: str, config: Path, user: str) -> str:
    """What sshd -T says `config` sets for `user` logging in (one setting a line)."""
    return subprocess.run(
        [sshd, "-T", "-f", str(config), "-C", f"user={user},host=h,addr=192.0.2.1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout


def test_sshd_accepts_the_drop_in(tmp_path):
    """Under a main config shaped like Debian's (drop-ins included first, then `Subsystem`,
    which a Match block must not swallow), sshd takes it and leaves everyone else as before."""
    sshd = tool("sshd")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd -t wants its privsep dir
    (tmp_path / "sshd_config.d").mkdir()
    shutil.copy(SSHD_DROP_IN, tmp_path / "sshd_config.d" / "panel.conf")
    subprocess.run(
        [tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "host_key")],
        check=True,
        timeout=60,
    )
    config = tmp_path / "sshd_config"
    config.write_text(
        f"Include {tmp_path}/sshd_config.d/*.conf\n"
        f"HostKey {tmp_path}/host_key\n"
        "KbdInteractiveAuthentication no\n"
        "X11Forwarding yes\n"
        "AcceptEnv LANG LC_*\n"
        "Subsystem sftp /usr/lib/openssh/sftp-server\n"
    )
    checked = subprocess.run(
        [sshd, "-t", "-f", str(config)], capture_output=True, text=True, timeout=60, check=False
    )
    assert checked.returncode == 0, checked.stderr

    shown = sshd_settings(sshd, config, "root")
    assert "forcecommand none" in shown.splitlines()  # not in panelstaff: as before
    assert "x11forwarding yes" in shown.splitlines()  # the main file's, after the drop-in
    assert "acceptenv COLORTERM" in shown.splitlines()


def test_the_staff_match_block(tmp_path):
    """What `Match Group panelstaff` sets, read back by sshd for a staff member: the app and
    nothing else."""
    sshd = tool("sshd")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    subprocess.run(
        [tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "host_key")],
        check=True,
        timeout=60,
    )
    # The same block, matched on the user sshd -T is asked about (it cannot be told groups).
    drop_in = SSHD_DROP_IN.read_text().replace("Match Group panelstaff", "Match User alice")
    config = tmp_path / "sshd_config"
    config.write_text(f"HostKey {tmp_path}/host_key\n{drop_in}")
    shown = sshd_settings(sshd, config, "alice")
    settings = dict(line.split(" ", 1) for line in shown.splitlines() if " " in line)
    assert settings["forcecommand"] == "/usr/bin/sudo --user=panel /opt/panel/deploy/panel-staff"
    for key, value in (
        ("permittty", "yes"),
        ("allowtcpforwarding", "no"),
        ("allowstreamlocalforwarding", "no"),
        ("x11forwarding", "no"),
        ("allowagentforwarding", "no"),
        ("permittunnel", "no"),
        ("permituserrc", "no"),
    ):
        assert settings[key] == value, key


def test_sudo_accepts_the_rule():
    checked = subprocess.run(
        [tool("visudo"), "-cf", str(SUDOERS)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert '/opt/panel/deploy/panel-staff ""' in SUDOERS.read_text()  # no arguments allowed
    assert "ESCDELAY=25 PANEL_CONFIG=/etc/panel/panel.toml" in STAFF_SCRIPT.read_text()


def test_the_staff_app_wants_a_terminal():
    """`ssh -T`, scp and sftp get a message, not an app left running unseen after they go."""
    ran = subprocess.run(
        [str(STAFF_SCRIPT)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 1
    assert "needs a terminal" in ran.stderr


# Backups -------------------------------------------------------------------------------------


def test_backup_then_restore(tmp_path):
    """The nightly script copies the live database while `panel web` has it open and drops
    copies past their days; after a change, the README's restore brings the copy back."""
    data, backups = tmp_path / "data", tmp_path / "backups"
    env = {"PANEL_DATA_DIR": str(data)}
    made = panel("init", "--admin", "kari", "--password-stdin", env=env, stdin=PASSWORD)
    assert made.returncode == 0, made.stderr
    (tmp_path / "residents.csv").write_text(RESIDENTS_CSV, encoding="utf-8")
    imported = panel("import", str(tmp_path / "residents.csv"), env=env)
    assert imported.returncode == 0, imported.stderr

    backups.mkdir()
    old, recent = backups / "panel-2000-01-01.db", backups / "panel-2000-01-02.db"
    for path, days in ((old, 20), (recent, 3)):
        path.write_bytes(b"")
        stamp = time.time() - days * 86400
        os.utime(path, (stamp, stamp))

    web_log = tmp_path / "web.log"
    with panel_web(env, free_port(), web_log):
        script = {**os.environ, "PANEL_LANGUAGE": "en", "PANEL_BIN": PANEL, **env}
        for _night in range(2):  # a second run the same day keeps both
            ran = subprocess.run(
                [str(BACKUP_SCRIPT), str(backups), "14"],
                env=script,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert ran.returncode == 0, ran.stderr
            assert "Backed up to" in ran.stdout
        # A change after the backup, which the restore must take away again.
        added = panel("staff", "add", "per", "--role", "editor", "--password-stdin",
                      env=env, stdin="et langt passord for per\n")  # fmt: skip
        assert added.returncode == 0, added.stderr

    copies = sorted(backups.glob("panel-*.db"))
    assert old not in copies and recent in copies
    made_now = [path for path in copies if path != recent]
    assert len(made_now) == 2
    assert all(path.stat().st_mode & 0o077 == 0 for path in made_now)

    # The README's restore: everything named panel.db* aside (a -wal file left by a stopped
    # `panel web` must not be played into the copy), then the copy in its place.
    aside = data / "before-restore"
    aside.mkdir(mode=0o700)
    for path in data.glob("panel.db*"):
        path.rename(aside / path.name)
    shutil.copy2(made_now[0], data / "panel.db")

    listed = panel("staff", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^kari\s+admin", listed.stdout, re.M)
    assert "per" not in listed.stdout.split()
    with panel_web(env, free_port(), web_log):
        emails = sqlite3.connect(data / "panel.db").execute("SELECT email FROM participant")
        assert sorted(email for (email,) in emails) == ["ase@example.no", "ola@example.no"]


@contextmanager
def fresh_postgres_database(name: str) -> Iterator[str]:
    """An empty PostgreSQL database of its own, dropped at the end; yields its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    from tests.conftest import POSTGRES_URL

    base = make_url(POSTGRES_URL)
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_then_restore_on_postgresql(tmp_path):
    """With database_url on PostgreSQL the same script runs pg_dump, and pg_restore into an
    empty database brings the panel back."""
    import uuid

    suffix = uuid.uuid4().hex[:8]
    with (
        fresh_postgres_database(f"panel_deploy_{suffix}") as url,
        fresh_postgres_database(f"panel_restored_{suffix}") as restored,
    ):
        env = {"PANEL_DATA_DIR": str(tmp_path), "PANEL_DATABASE_URL": url}
        made = panel("init", "--admin", "kari", "--password-stdin", env=env, stdin=PASSWORD)
        assert made.returncode == 0, made.stderr
        ran = subprocess.run(
            [str(BACKUP_SCRIPT), str(tmp_path / "backups"), "14"],
            env={**os.environ, "PANEL_BIN": PANEL, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode == 0, ran.stderr
        (dump,) = (tmp_path / "backups").glob("panel-*.dump")
        assert dump.stat().st_mode & 0o077 == 0
        libpq = restored.replace("postgresql+psycopg://", "postgresql://")
        subprocess.run(
            [tool("pg_restore"), "--no-owner", f"--dbname={libpq}", str(dump)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        listed = panel("staff", "list", env={**env, "PANEL_DATABASE_URL": restored})
        assert listed.returncode == 0, listed.stderr
        assert re.search(r"^kari\s+admin", listed.stdout, re.M)


def test_backup_script_refuses_a_bad_setting(tmp_path):
    ran = subprocess.run(
        [str(BACKUP_SCRIPT), str(tmp_path), "14"],
        env={**os.environ, "PANEL_BIN": PANEL, "PANEL_SEND_RATE": "-1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 2
    assert "panel-backup: PANEL_SEND_RATE" in ran.stderr
    assert not list(tmp_path.iterdir())


# Upgrades ------------------------------------------------------------------------------------


def older_revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    from store.migrate import alembic_config, head_revision

    script = ScriptDirectory.from_config(alembic_config())
    head = head_revision()
    return sorted(r.revision for r in script.walk_revisions() if r.revision != head)


@pytest.mark.parametrize("revision", older_revisions())
def test_db_upgrade_brings_an_old_file_to_head(revision, tmp_path):
    from sqlalchemy import text

    from store.db import Database
    from store.migrate import head_revision, upgrade
    from store.secrets import ServerKey

    env = {"PANEL_DATA_DIR": str(tmp_path)}
    old = Database(f"sqlite:///{tmp_path / 'panel.db'}")
    upgrade(old, revision)
    with old.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO participant (name, email, email_key, language, status, created_at)"
                " VALUES ('Åse Ødegård', 'ase@example.no', 'ase@example.no', 'nb', 'active',"
                " '2026-01-02 03:04:05')"
            )
        )
    old.dispose()
    ServerKey.create_file(tmp_path / "server.key")

    if revision == older_revisions()[-1]:  # the version before this one: what most upgrade
        refused = panel("staff", "list", env=env)
        assert refused.returncode == 2
        assert "older version: run `panel db upgrade`" in refused.stderr

    upgraded = panel("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"Schema revision {revision} → {head_revision()}." in upgraded.stdout
    database = sqlite3.connect(tmp_path / "panel.db")
    assert database.execute("SELECT version_num FROM alembic_version").fetchall() == [
        (head_revision(),)
    ]
    rows = database.execute("SELECT name, email FROM participant").fetchall()
    assert rows == [("Åse Ødegård", "ase@example.no")]
    if revision == older_revisions()[-1]:
        assert panel("staff", "list", env=env).returncode == 0
