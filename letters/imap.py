"""Reading the reply mailbox over IMAP, without changing it.

The folder is opened read-only (EXAMINE) and bodies are fetched with BODY.PEEK, so
nothing is marked as read: people may watch the same mailbox in their mail program.
Which messages are new is the caller's business (`letters.services.inbound.mailbox_fetch`
keeps a cursor per folder and UIDVALIDITY).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from imapclient import IMAPClient

from letters.mail import parse_message

# One FETCH of bodies holds at most this much (and this many messages) in memory.
FETCH_BATCH_BYTES = 20 * 1024 * 1024
FETCH_BATCH_MESSAGES = 50
_HEADER_ITEM = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"
_HEADER_KEY = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    user: str
    password: str = ""
    folder: str = "INBOX"
    security: str = "tls"
    timeout: int = 60

    @classmethod
    def from_settings(cls) -> MailboxSettings:
        if not settings.IMAP_HOST:
            raise ImproperlyConfigured("Set IMAP_HOST (and IMAP_USER, IMAP_PASSWORD) to read mail.")
        return cls(
            host=settings.IMAP_HOST,
            port=settings.IMAP_PORT,
            user=settings.IMAP_USER,
            password=settings.IMAP_PASSWORD,
            folder=settings.IMAP_FOLDER,
            security=settings.IMAP_SECURITY,
            timeout=settings.IMAP_TIMEOUT,
        )


@dataclass(frozen=True)
class WaitingMessage:
    """A message in the folder, known by its UID, before its body is fetched."""

    uid: int
    size: int
    message_id: str


class Mailbox:
    """One folder of an IMAP mailbox, opened read-only."""

    def __init__(self, client: IMAPClient, folder: str):
        self._client = client
        self.folder = folder
        selected = client.select_folder(folder, readonly=True)
        self.uidvalidity = int(selected[b"UIDVALIDITY"])

    def waiting_after(self, last_uid: int) -> list[WaitingMessage]:
        """The messages with a UID above `last_uid`, oldest first, with size and Message-ID."""
        # "n:*" always includes the highest UID, even when it is below n: filter again.
        found = self._client.search(["UID", f"{last_uid + 1}:*"])
        uids = sorted(uid for uid in found if uid > last_uid)
        if not uids:
            return []
        items = self._client.fetch(uids, ["RFC822.SIZE", _HEADER_ITEM])
        return [
            WaitingMessage(
                uid=uid,
                size=int(items[uid].get(b"RFC822.SIZE", 0)),
                message_id=_message_id(items[uid].get(_HEADER_KEY, b"")),
            )
            for uid in uids
            if uid in items  # expunged since the search
        ]

    def bodies(self, waiting: list[WaitingMessage]) -> Iterator[tuple[WaitingMessage, bytes]]:
        """Each message's bytes exactly as stored, fetched a bounded batch at a time."""
        for batch in _batches(waiting):
            found = self._client.fetch([message.uid for message in batch], ["BODY.PEEK[]"])
            for message in batch:
                if message.uid in found:
                    yield message, bytes(found[message.uid][b"BODY[]"])


@contextmanager
def open_mailbox(config: MailboxSettings) -> Iterator[Mailbox]:
    if config.security == "none" and not _is_loopback(config.host):
        raise ImproperlyConfigured(
            "IMAP_SECURITY=none sends the password in clear: it is allowed only on loopback."
        )
    context = ssl.create_default_context()
    client = IMAPClient(
        config.host,
        port=config.port,
        ssl=config.security == "tls",
        ssl_context=context,
        timeout=config.timeout,
    )
    try:
        if config.security == "starttls":
            client.starttls(context)
        client.login(config.user, config.password)
        yield Mailbox(client, config.folder)
    finally:
        with suppress(OSError, IMAPClient.Error):  # a connection already gone needs no logout
            client.logout()


def _batches(waiting: list[WaitingMessage]) -> Iterator[list[WaitingMessage]]:
    batch: list[WaitingMessage] = []
    size = 0
    for message in waiting:
        if batch and (
            size + message.size > FETCH_BATCH_BYTES or len(batch) >= FETCH_BATCH_MESSAGES
        ):
            yield batch
            batch, size = [], 0
        batch.append(message)
        size += message.size
    if batch:
        yield batch


def _message_id(header_block: bytes) -> str:
    # Read as the importer reads it, so the two agree on which messages are known.
    return parse_message(header_block).message_id


def _is_loopback(host: str) -> bool:
    try:
        return all(
            ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None)
        )
    except (OSError, ValueError):
        return False
