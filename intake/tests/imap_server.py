"""A real IMAP server for the tests: a private Dovecot on a free 127.0.0.1 port, configured in a
folder of its own (plain-text login without TLS, users in a passwd file, Maildir), started and
stopped by the test. The system's own Dovecot service, if any, is never touched."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import suppress
from pathlib import Path

from imapclient import IMAPClient

DOVECOT = os.environ.get("DOVECOT", "/usr/sbin/dovecot")

CONFIG = """\
# A private Dovecot for one test (intake/tests/imap_server.py).
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = itsm-test-{port}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:{root}/mail/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
# No chroot: as a user other than root, Dovecot could not make one.
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    """Start with `start()`; `client(user)` logs in; `append(user, raw)` delivers a message."""

    def __init__(self) -> None:
        # Not under pytest's tmp_path: that is private to its owner, and as root the mail is
        # written by an unprivileged user (Dovecot refuses to act as root for a mailbox).
        self.root = Path(tempfile.mkdtemp(prefix="itsm-dovecot-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.users: dict[str, str] = {}
        self.process: subprocess.Popen | None = None

    @property
    def log(self) -> Path:
        return self.root / "dovecot.log"

    def add_user(self, name: str, password: str) -> None:
        self.users[name] = password
        (self.root / "users").write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self.users.items()))

    def start(self) -> None:
        if os.geteuid() == 0:
            mail_user = pwd.getpwnam("nobody")
            internal, internal_group, login = "dovecot", "dovecot", "dovenull"
        else:
            mail_user = pwd.getpwuid(os.geteuid())
            internal = login = mail_user.pw_name
            internal_group = ""
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(exist_ok=True)
        os.chown(self.root / "mail", mail_user.pw_uid, mail_user.pw_gid)
        if not self.users:
            self.add_user("desk", "desk-password")
        config = CONFIG.format(root=self.root, port=self.port, internal=internal,
                               internal_group=internal_group or mail_user.pw_name, login=login,
                               uid=mail_user.pw_uid, gid=mail_user.pw_gid)
        if not internal_group:
            config = config.replace(f"default_internal_group = {mail_user.pw_name}\n", "")
        (self.root / "dovecot.conf").write_text(config)
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
                                        stdout=subprocess.DEVNULL, stderr=(self.root / "stderr").open("w"),
                                        start_new_session=True)
        deadline = time.monotonic() + 20
        while True:
            with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Dovecot did not start on port {self.port}:\n{self.output()}")
            time.sleep(0.05)

    def output(self) -> str:
        return "\n".join(path.read_text()[-3000:] for path in (self.root / "stderr", self.log) if path.exists())

    def client(self, user: str = "desk") -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(user, self.users[user])
        return client

    def append(self, raw: bytes, *, user: str = "desk", folder: str = "INBOX") -> None:
        with self.client(user) as client:
            client.append(folder, raw)

    def unseen(self, *, user: str = "desk", folder: str = "INBOX") -> list[int]:
        with self.client(user) as client:
            client.select_folder(folder, readonly=True)
            return client.search(["UNSEEN"])

    def count(self, *, user: str = "desk", folder: str = "INBOX") -> int:
        with self.client(user) as client:
            return client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)
