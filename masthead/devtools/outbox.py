"""Read back the emails Django's file backend wrote in development.

`django.core.mail.backends.filebased.EmailBackend` writes one file per
connection (`<timestamp>-<id>.log`) in `MAILERS["default"]["OPTIONS"]["file_path"]`;
each message is the MIME message's bytes, a newline, then a line of 79
dashes. Quoted-printable bodies never hold such a line, but a 7-bit part
could, so a separator only counts when the next line starts a header or the
file ends.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import cast

from django.conf import settings

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
SEPARATOR = re.compile(rb"\n-{79}\n(?=\Z|[A-Za-z][A-Za-z0-9-]*:)")
FILENAME = re.compile(r"^[A-Za-z0-9_-]+\.log$")


@dataclass(frozen=True)
class OutboxMessage:
    filename: str
    index: int
    sender: str
    to: str
    cc: str
    subject: str
    date: dt.datetime | None
    text: str
    html: str


def outbox_directory() -> Path | None:
    """Where the default mailer writes files, or None when it does not write files."""
    mailer = getattr(settings, "MAILERS", {}).get("default", {})
    if mailer.get("BACKEND") != FILE_BACKEND:
        return None
    path = mailer.get("OPTIONS", {}).get("file_path")
    return Path(path) if path else None


def split_messages(data: bytes) -> list[bytes]:
    """The raw messages of one outbox file, in the order they were written."""
    return [part for part in SEPARATOR.split(data) if part.strip()]


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_type() != f"text/{subtype}":
        return ""
    try:
        return part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken encoding
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""


def _date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def parse_message(raw: bytes, *, filename: str, index: int) -> OutboxMessage:
    message = cast(EmailMessage, email.message_from_bytes(raw, policy=email.policy.default))
    return OutboxMessage(
        filename=filename,
        index=index,
        sender=str(message.get("From", "")),
        to=str(message.get("To", "")),
        cc=str(message.get("Cc", "")),
        subject=str(message.get("Subject", "")),
        date=_date(message.get("Date")),
        text=_part(message, "plain"),
        html=_part(message, "html"),
    )


def _files_newest_first(directory: Path) -> list[Path]:
    files = [path for path in directory.glob("*.log") if path.is_file() and FILENAME.match(path.name)]
    return sorted(files, key=lambda path: (path.stat().st_mtime, path.name), reverse=True)


def read_outbox(directory: Path, *, limit: int = 50) -> list[OutboxMessage]:
    """The newest `limit` messages, newest first."""
    if not directory.is_dir():
        return []
    messages: list[OutboxMessage] = []
    for path in _files_newest_first(directory):
        parts = split_messages(path.read_bytes())
        for index in reversed(range(len(parts))):
            messages.append(parse_message(parts[index], filename=path.name, index=index))
            if len(messages) >= limit:
                return messages
    return messages


def read_message(directory: Path, *, filename: str, index: int) -> OutboxMessage | None:
    """One message by file name and position, or None; names outside the outbox are refused."""
    if not FILENAME.match(filename):
        return None
    path = directory / filename
    if path.resolve().parent != directory.resolve() or not path.is_file():
        return None
    parts = split_messages(path.read_bytes())
    if not 0 <= index < len(parts):
        return None
    return parse_message(parts[index], filename=filename, index=index)
