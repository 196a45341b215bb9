"""A real SMTP server on loopback (aiosmtpd), recording what it accepts, for the outbox tests.

Its answers can be set for a test: refuse a recipient, answer DATA with an error, or run a
callback at a given moment of the conversation (the worker tests kill a worker that way).
"""

import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USERNAME, PASSWORD = "outbox", "mail-password"

# aiosmtpd logs every command it receives, and warns about its own API on each login.
logging.getLogger("mail.log").setLevel(logging.ERROR)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RecordingHandler:
    def __init__(self):
        self.received: list[EmailMessage] = []
        self.refuse_recipients: set[str] = set()
        self.data_replies: deque[str] = deque()  # answers to DATA before accepting again
        self.on_login: Callable[[], None] | None = None
        self.on_accept: Callable[[], None] | None = None
        self._arrived = threading.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_recipients:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_replies:
            return self.data_replies.popleft()
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._arrived:
            self.received.append(message)
            self._arrived.notify_all()
        if self.on_accept:
            self.on_accept()
        return "250 2.0.0 Accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if self.on_login:
            self.on_login()
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USERNAME
        return AuthResult(success=ok and auth_data.password.decode() == PASSWORD)

    def wait_for(self, count: int, timeout: float = 60) -> list[EmailMessage]:
        """The messages received, once there are at least `count` of them."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"The SMTP server received {len(self.received)} messages, not {count}."
                    )
                self._arrived.wait(remaining)
            return list(self.received)


class SMTPServer:
    """Started by the tests: `with SMTPServer() as server:`; `server.handler` records."""

    def __init__(self):
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self.handler.authenticate,
            auth_require_tls=False,
        )

    @property
    def url(self) -> str:
        """The EMAIL_URL a worker process is configured with."""
        return f"smtp://{USERNAME}:{PASSWORD}@127.0.0.1:{self.port}"

    def django_settings(self, settings) -> None:
        """Point this process's Django at the server, logging in like production does."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", self.port
        settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = USERNAME, PASSWORD
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
