"""A throwaway Dovecot IMAP server on loopback, for the IMAP tests and the inbound benchmark.

It runs from its own configuration in a temporary folder: one passwd-file user, maildir
storage, plaintext login allowed (it listens on 127.0.0.1 only), an unprivileged port.
Debian's `dovecot-imapd` provides the binary (`scripts/system-packages.sh test`); the
system's own Dovecot service is neither used nor needed.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from imapclient import IMAPClient

USER = "replies"
PASSWORD = "throwaway-imap-password"  # noqa: S105 - a test server on loopback
STARTUP_SECONDS = 15


def dovecot_binary() -> str:
    found = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise RuntimeError(
            "Dovecot is not installed: run `scripts/system-packages.sh test` "
            "(Debian package dovecot-imapd)."
        )
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    host = "127.0.0.1"
    user = USER
    password = PASSWORD

    def __init__(self, root: Path):
        self.root = root
        self.port = _free_port()
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        config = self._write_config()
        self._process = subprocess.Popen(  # noqa: S603 - our own config, no shell
            [dovecot_binary(), "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"Dovecot stopped at start:\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as connection:
                    if connection.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Dovecot did not answer within {STARTUP_SECONDS} s:\n{self.log()}")

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else "(no log)"

    def client(self) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.login(self.user, self.password)
        return client

    def append(self, folder: str, messages: list[bytes]) -> list[int]:
        """Put messages in `folder` (created if missing); returns their UIDs."""
        uids = []
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in messages:
                answer = client.append(folder, raw)
                uids.append(int(answer.split(b"]")[0].split()[-1]))  # [APPENDUID validity uid]
        return uids

    def django_settings(self, folder: str) -> dict:
        return {
            "IMAP_HOST": self.host,
            "IMAP_PORT": self.port,
            "IMAP_SECURITY": "none",
            "IMAP_USER": self.user,
            "IMAP_PASSWORD": self.password,
            "IMAP_FOLDER": folder,
        }

    def _write_config(self) -> Path:
        mail = self.root / "mail"
        mail.mkdir()
        if os.geteuid() == 0:
            # Dovecot will not run its login or mail processes as root: use its own users.
            login_user, internal_user = "dovenull", "dovecot"
            mail_uid, mail_gid = pwd.getpwnam("dovecot").pw_uid, grp.getgrnam("dovecot").gr_gid
            os.chown(mail, mail_uid, mail_gid)
        else:
            login_user = internal_user = pwd.getpwuid(os.getuid()).pw_name
            mail_uid, mail_gid = os.getuid(), os.getgid()
        internal_group = grp.getgrgid(pwd.getpwnam(internal_user).pw_gid).gr_name
        passwd = self.root / "passwd"
        passwd.write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        config = self.root / "dovecot.conf"
        config.write_text(
            f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = {self.host}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{mail}/%u
first_valid_uid = {mail_uid}
last_valid_uid = {mail_uid}
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={mail}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""
        )
        return config


@contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    """Start a Dovecot of our own, and stop it and remove its files at the end."""
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    root.chmod(0o755)  # Dovecot's unprivileged processes reach their sockets and mail here
    server = Dovecot(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
