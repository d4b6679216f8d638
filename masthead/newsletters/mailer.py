"""Hand newsletter emails to the mail server, one connection per batch, and say what became of each.

With Django's SMTP backend (production, the tests' SMTP server, the
benchmark) a message is written as MIME bytes prepared once per variant with
the recipient's address and tokens filled in, and the SMTP transaction is
driven step by step so that each outcome is known exactly:

- refused at MAIL, RCPT or DATA, or the connection lost before the message's
  final dot was written: nothing was accepted, the delivery is retried later;
- a 5xx reply after the message: failed, not retried;
- the connection lost after the whole message was written, before the
  server's reply: the server may have accepted it — **unknown**, flagged for
  an editor and never re-sent on its own.

With any other backend (the development outbox, locmem in tests, an ESP's
HTTP API through django-anymail) the same content goes out as a Django
`EmailMultiAlternatives`; an error that cannot say whether the message left
counts as unknown.
"""

from __future__ import annotations

import contextlib
import email.policy
import email.utils
import enum
import logging
import re
import smtplib
import socket
import uuid
from dataclasses import dataclass
from email.header import Header

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

from .rendering import SLOT_UNSUBSCRIBE, RenderedVariant

logger = logging.getLogger(__name__)

SLOT_TO = "NLSLOTTO"
SLOT_DATE = "NLSLOTDATE"
SLOT_MESSAGE_ID = "NLSLOTMSGID"
_ANY_SLOT = re.compile(r"(NLSLOT[A-Z]+)")
_LINE_START_DOT = re.compile(r"(?m)^\.")


class Outcome(enum.Enum):
    SENT = "sent"
    FAILED = "failed"  # refused for good: not retried
    RETRY = "retry"  # nothing was accepted: try again later
    UNKNOWN = "unknown"  # may have been accepted: flagged, not re-sent


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    detail: str = ""


@dataclass(frozen=True)
class Envelope:
    """What every message of an issue shares in its headers."""

    from_header: str
    envelope_from: str
    subject: str
    list_id: str
    unsubscribe_url: str  # with the unsubscribe slot
    domain: str


def envelope_for(snapshot: dict) -> Envelope:
    name, address = email.utils.parseaddr(settings.NEWSLETTER_FROM_EMAIL)
    domain = address.rpartition("@")[2] or "localhost"
    newsletter = snapshot["newsletter"]
    from django.urls import reverse

    unsubscribe = snapshot["base_url"] + reverse("newsletters:unsubscribe", kwargs={"token": SLOT_UNSUBSCRIBE})
    return Envelope(
        from_header=email.utils.formataddr((name, address), charset="utf-8"),
        envelope_from=address,
        subject=snapshot["issue"]["subject"],
        list_id=f"{newsletter['name']} <{newsletter['slug']}.newsletters.{domain}>",
        unsubscribe_url=unsubscribe,
        domain=domain,
    )


def message_id(envelope: Envelope, *, issue_id: int, delivery_id: int) -> str:
    """The same for every attempt at one delivery: a re-sent copy is recognisably the same message."""
    return f"<newsletter.{issue_id}.{delivery_id}@{envelope.domain}>"


def list_headers(envelope: Envelope, *, unsubscribe_url: str) -> dict[str, str]:
    return {
        "List-Id": envelope.list_id,
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _header(name: str, value: str) -> str:
    if value.isascii() and len(name) + len(value) < 76:
        return f"{name}: {value}\r\n"
    encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n"


class MimeTemplate:
    """One variant of an issue as SMTP-ready bytes with slots: CRLF lines, dot-stuffed, 8bit UTF-8 parts."""

    def __init__(self, envelope: Envelope, rendered: RenderedVariant) -> None:
        boundary = f"=_newsletter_{uuid.uuid4().hex}"
        text = "".join(rendered.text.parts)
        html = "".join(rendered.html.parts)
        head = (
            _header("From", envelope.from_header)
            + f"To: {SLOT_TO}\r\n"
            + _header("Subject", envelope.subject)
            + f"Date: {SLOT_DATE}\r\n"
            + f"Message-ID: {SLOT_MESSAGE_ID}\r\n"
            + "MIME-Version: 1.0\r\n"
            + _header("List-Id", envelope.list_id)
            + f"List-Unsubscribe: <{envelope.unsubscribe_url}>\r\n"
            + "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
            + f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'
            + "\r\n"
        )
        body = (
            f"--{boundary}\r\n"
            'Content-Type: text/plain; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            f"{_crlf(text)}\r\n"
            f"--{boundary}\r\n"
            'Content-Type: text/html; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            f"{_crlf(html)}\r\n"
            f"--{boundary}--\r\n"
        )
        whole = _LINE_START_DOT.sub("..", head + body)
        pieces = _ANY_SLOT.split(whole)
        self.parts: list[bytes | str] = [p if i % 2 else p.encode() for i, p in enumerate(pieces)]

    def fill(self, values: dict[str, bytes]) -> bytes:
        return b"".join(values[p] if i % 2 else p for i, p in enumerate(self.parts))  # type: ignore[index,misc]


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").rstrip("\n").replace("\n", "\r\n")


class Session:
    """One connection's worth of sending. Use as a context manager around a batch."""

    fast = False  # True: takes prepared MIME bytes through start() and finish()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self, *, envelope_from: str, to: str, data: bytes) -> Result | None:
        raise NotImplementedError

    def finish(self) -> Result:
        raise NotImplementedError

    def send_message(self, message: EmailMultiAlternatives) -> Result:
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - overridden
        pass


class SMTPSession(Session):
    """Drives smtplib through Django's SMTP backend's connection (host, port, TLS and login from MAILERS)."""

    fast = True

    def __init__(self, backend: SMTPBackend) -> None:
        self.backend = backend
        self.smtp: smtplib.SMTP | None = None
        self.eight_bit = True

    def _connect(self) -> smtplib.SMTP:
        if self.smtp is None:
            self.backend.open()
            smtp = self.backend.connection
            if smtp is None:
                raise smtplib.SMTPServerDisconnected("The mail backend opened no connection.")
            smtp.ehlo_or_helo_if_needed()
            self.eight_bit = smtp.has_extn("8bitmime")
            self.smtp = smtp
        return self.smtp

    def _drop(self) -> None:
        smtp, self.smtp = self.smtp, None
        self.backend.connection = None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def send_bytes(self, *, envelope_from: str, to: str, data: bytes) -> Result:
        return self.start(envelope_from=envelope_from, to=to, data=data) or self.finish()

    def start(self, *, envelope_from: str, to: str, data: bytes) -> Result | None:
        """MAIL, RCPT, DATA and the message. None when the message is written and its reply is awaited."""
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            return Result(Outcome.RETRY, f"Could not connect: {error}"[:300])
        try:
            code, reply = smtp.mail(envelope_from, ["BODY=8BITMIME"] if self.eight_bit else [])
            if code == 250:
                code, reply = smtp.rcpt(to)
            if code in (250, 251):
                code, reply = smtp.docmd("DATA")
            if code != 354:
                smtp.rset()
                return Result(Outcome.RETRY if 400 <= code < 500 else Outcome.FAILED, _reply(code, reply))
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            return Result(Outcome.RETRY, f"Connection lost before the message: {error}"[:300])
        try:
            smtp.send(data + b".\r\n")  # data ends with CRLF; the lone dot ends the message
        except (OSError, smtplib.SMTPException) as error:
            self._drop()  # the final dot never left: the server cannot have accepted the message
            return Result(Outcome.RETRY, f"Connection lost while writing the message: {error}"[:300])
        return None

    def finish(self) -> Result:
        """The server's reply to the message `start` wrote."""
        smtp = self.smtp
        if smtp is None:  # pragma: no cover - start() returned a result instead
            return Result(Outcome.UNKNOWN, "No connection to read the reply from.")
        try:
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            return Result(Outcome.UNKNOWN, f"Connection lost after the message was written: {error}"[:300])
        if code == 250:
            return Result(Outcome.SENT)
        return Result(Outcome.RETRY if 400 <= code < 500 else Outcome.FAILED, _reply(code, reply))

    def send_message(self, message: EmailMultiAlternatives) -> Result:
        """For an address the fast path cannot write (non-ASCII): Django builds the MIME message."""
        try:
            self._connect()
            sent = self.backend.send_messages([message])
        except smtplib.SMTPRecipientsRefused as error:
            return Result(Outcome.FAILED, str(error)[:300])
        except (ConnectionRefusedError, socket.gaierror) as error:
            self._drop()
            return Result(Outcome.RETRY, str(error)[:300])
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            return Result(Outcome.UNKNOWN, str(error)[:300])
        return Result(Outcome.SENT) if sent else Result(Outcome.FAILED, "The mail server refused the message.")

    def close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.smtp.quit()
        self._drop()


class BackendSession(Session):
    """Any other Django mail backend: one open connection for the batch, one message at a time."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.opened = False

    def send_message(self, message: EmailMultiAlternatives) -> Result:
        try:
            if not self.opened:
                self.backend.open()
                self.opened = True
            sent = self.backend.send_messages([message])
        except (ConnectionRefusedError, socket.gaierror) as error:
            return Result(Outcome.RETRY, str(error)[:300])
        except Exception as error:
            if type(error).__name__ == "AnymailRecipientsRefused":
                return Result(Outcome.FAILED, str(error)[:300])
            logger.warning("Newsletter email to %s: outcome unknown", message.to, exc_info=True)
            return Result(Outcome.UNKNOWN, f"{type(error).__name__}: {error}"[:300])
        return Result(Outcome.SENT) if sent else Result(Outcome.FAILED, "The mail backend did not send it.")

    def close(self) -> None:
        if self.opened:
            try:
                self.backend.close()
            finally:
                self.opened = False


def open_session() -> Session:
    backend = mailers.default
    if isinstance(backend, SMTPBackend):
        return SMTPSession(backend)
    return BackendSession(backend)


class NewsletterMessage(EmailMultiAlternatives):
    """Headers up to SMTP's 998 octets a line: a List-Unsubscribe URL is one long word, and folding it
    would turn it into RFC 2047 encoded-words that mail providers do not read as a URL."""

    def message(self, *, policy=email.policy.default):
        return super().message(policy=policy.clone(max_line_length=998))


def django_message(
    *, envelope: Envelope, to: str, text: str, html: str, unsubscribe_url: str, message_id_value: str, subject=None
) -> EmailMultiAlternatives:
    headers = {**list_headers(envelope, unsubscribe_url=unsubscribe_url), "Message-ID": message_id_value}
    message = NewsletterMessage(
        subject=subject or envelope.subject,
        body=text,
        from_email=settings.NEWSLETTER_FROM_EMAIL,
        to=[to],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    return message


def _reply(code: int, reply: bytes | str) -> str:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {text}"[:300]
