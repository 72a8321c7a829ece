"""The one way this project sends email: three templates per message, in the recipient's language.

templates/emails/{name}-subject.html, {name}-body-text.html and {name}-body-html.html.
"""

import contextlib
import logging
import re
import secrets
import smtplib
from dataclasses import dataclass
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import RFC5322_EMAIL_LINE_LENGTH_LIMIT, sanitize_address
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape

logger = logging.getLogger(__name__)


def absolute(path):
    return f"{settings.SITE_URL}{path}"


# Any run of white space but the no-break spaces (French puts one before a colon).
_SPACES = re.compile(r"[^\S\u00a0\u202f]+")


def one_line(text):
    """Text for a header: one line, its white space runs as single spaces."""
    return _SPACES.sub(" ", text).strip(" ")


def render(name, context, language):
    """The subject, text and HTML of an email, in `language`.

    The subject and the text are plain text (their templates turn autoescaping off); the HTML
    gets the subject as `subject`, for its <title> (emails/base.html).
    """
    with translation.override(language):
        subject = one_line(render_to_string(f"emails/{name}-subject.html", context))
        return Rendered(
            subject,
            render_to_string(f"emails/{name}-body-text.html", context),
            render_to_string(f"emails/{name}-body-html.html", {**context, "subject": subject}),
        )


def build(name, to, context, language, headers=None, attachments=()):
    return message(to, render(name, context, language), headers=headers, attachments=attachments)


# Every email here is sent by the site itself, none by a person: RFC 3834 asks that it say so, so
# that out-of-office and other autoresponders do not answer it (to an address nobody reads).
# Exchange and Outlook heed their own header instead (MS-OXCMAIL 2.1.3.2.20); not "All", which
# would also suppress the non-delivery reports that tell us an address is dead.
AUTOMATIC = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "OOF, AutoReply"}


def message_id():
    """A new Message-ID under the site's domain. Django's default names the machine, which is
    "localhost" or a container's id: no domain, a spam sign (rspamd's MID_RHS_NOT_FQDN)."""
    return make_msgid(domain=urlsplit(settings.SITE_URL).hostname)


def message(to, rendered, headers=None, attachments=()):
    # A merged value, too, must not break the header.
    email = EmailMultiAlternatives(
        one_line(rendered.subject), rendered.text, to=[to],
        headers={"Message-ID": message_id(), **AUTOMATIC, **(headers or {})},
    )
    email.attach_alternative(rendered.html, "text/html")
    for attachment in attachments:
        email.attach(*attachment)
    return email


def send(name, to, context, language, headers=None, attachments=(), connection=None):
    """Send the email; through `connection` if given (an open one is left open for the next)."""
    email = build(name, to, context, language, headers=headers, attachments=attachments)
    email.connection = connection
    email.send()


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class MailMerge:
    """Many emails from one template that differ only in a few values: rendered once, filled in.

    Rendering the three templates was about a sixth of what a signer's email cost the worker
    (1.66 -> 1.46 ms of CPU per email without it), and the emails of a batch differ only in the
    signer's name and links. So the templates are rendered
    once with a placeholder for each such value (letters and digits, which escaping leaves
    alone), and each email gets its own values put in -- escaped in the HTML, as the template
    would have done. The first email of a merge is rendered both ways and compared: a template
    that does more with a value than print it (a filter, a condition, another field) makes them
    differ, and then every email of the merge is rendered in full, as before.

    Sent through Django's SMTP backend, the merge goes one step further (Wire): the message
    itself -- MIME parts, headers -- is built once, and each email is that message's bytes with
    its address and values put in.
    """

    def __init__(self, name, language):
        self.name, self.language = name, language
        self.marks = {}
        self.template = None  # not tried yet; False: render every email in full
        self.wire = None  # not built yet; False: the template cannot be sent as a Wire

    def placeholder(self, field):
        return self.marks.setdefault(field, f"mergefield{secrets.token_hex(8)}")

    def render(self, values, context, merge_context):
        """The email whose values are `values` ({field: text}: all that differs from one email of
        the merge to the next). `context()` gives its full template context, needed only to render
        it in full; `merge_context(placeholder)` the same context with placeholder(field) where
        each value goes (called once)."""
        if self.template is None:
            full = render(self.name, context(), self.language)
            template = render(self.name, merge_context(self.placeholder), self.language)
            self.template = template if self._fill(template, values) == full else False
            if self.template is False:
                logger.warning("Email %s: its templates do more with the values that differ than show them; "
                               "every email is rendered in full", self.name)
            return full
        if self.template is False:
            return render(self.name, context(), self.language)
        return self._fill(self.template, values)

    def send(self, pipeline, key, to, values, context, merge_context):
        """Send the email to `to` through `pipeline` (a Pipeline); returns the outcomes it gives
        (Pipeline.send()), `key` standing for this email. The rest as for render()."""
        # Django's SMTP backend itself: a subclass may do more with a message (sign it, say).
        if self.template and type(pipeline.connection) is SMTPBackend:
            if self.wire is None:
                self.wire = Wire.build(self.template, self.marks) or False
            data = self.wire.data(to, values) if self.wire else None
            if data is not None:
                return pipeline.send(key, self.wire.sender, to, data)
        return pipeline.send_message(key, message(to, self.render(values, context, merge_context)))

    def _fill(self, template, values):
        subject, text, html = template.subject, template.text, template.html
        for field, value in values.items():
            mark = self.placeholder(field)
            subject, text = subject.replace(mark, value), text.replace(mark, value)
            html = html.replace(mark, escape(value))
        return Rendered(subject, text, html)


# An address that goes into the envelope and the To header as it is: a dot-atom, all ASCII
# (what Django's sanitize_address() would leave unchanged).
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
PLAIN_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


class Wire:
    """A merge's emails as the bytes Django's SMTP backend would send, built once.

    Building and flattening the MIME message for each email (Python's email package: headers
    encoded and folded, a boundary checked against the text with a regex compiled per message,
    both addresses parsed) was most of what an email cost the worker. Here Django builds the
    merge's message once, with placeholders for the address and the values; each email is its
    bytes with them put in, and a Date and Message-ID of its own. The parts are declared 8bit
    (Django says 7bit for an all-ASCII part, which a signer's name may make untrue) and the
    boundary is random, so no text can contain it.

    data() gives None -- send the email the ordinary way -- whenever the result might not be what
    Django would build: an address that needs quoting or encoding, a value with a line break, a
    line longer than SMTP allows (Django would switch to quoted-printable).
    """

    def __init__(self, data, sender, to_mark, text_marks, html_marks):
        self.template, self.sender = data, sender
        self.to_mark, self.text_marks, self.html_marks = to_mark, text_marks, html_marks

    @classmethod
    def build(cls, template, marks):
        """The Wire for a merged template (its values as `marks`), or None if one cannot be made."""
        if any(mark in template.subject for mark in marks.values()):
            return None  # a header may be encoded: the placeholder would not survive
        to_mark = f"mergeto{secrets.token_hex(8)}@merge.invalid"
        html_marks = {field: f"mergehtml{secrets.token_hex(8)}" for field in marks}
        html = template.html
        for field, mark in marks.items():
            html = html.replace(mark, html_marks[field])
        email = message(to_mark, Rendered(template.subject, template.text, html))
        mime = email.message()
        for part in mime.get_payload():
            if part["Content-Transfer-Encoding"] not in ("7bit", "8bit"):
                return None  # quoted-printable: a line too long for SMTP as it is
            part.replace_header("Content-Transfer-Encoding", "8bit")
        mime.set_boundary(f"==============={secrets.token_hex(16)}==")
        del mime["Date"], mime["Message-ID"]
        data = mime.as_bytes(linesep="\r\n")
        expected = [(to_mark, 1)] + [(mark, template.text.count(mark)) for mark in marks.values()] + [
            (mark, html.count(mark)) for mark in html_marks.values()]
        if any(data.count(mark.encode()) != count for mark, count in expected):
            return None  # a placeholder was encoded or folded on the way
        # The envelope's sender as sendmail() gives it: the address alone.
        sender = smtplib.quoteaddr(sanitize_address(email.from_email, email.encoding or settings.DEFAULT_CHARSET))
        sender = sender[1:-1]
        if not PLAIN_ADDRESS.fullmatch(sender):
            return None
        return cls(data, sender, to_mark.encode(),
                   {field: mark.encode() for field, mark in marks.items()},
                   {field: mark.encode() for field, mark in html_marks.items()})

    def data(self, to, values):
        """The email to `to` with `values` put in, as bytes for smtplib's sendmail(); or None."""
        if not PLAIN_ADDRESS.fullmatch(to):
            return None
        data = self.template.replace(self.to_mark, to.encode())
        for field, value in values.items():
            if "\r" in value or "\n" in value:
                return None
            data = data.replace(self.text_marks[field], value.encode()).replace(
                self.html_marks[field], escape(value).encode())
        if max(map(len, data.split(b"\r\n"))) > RFC5322_EMAIL_LINE_LENGTH_LIMIT:
            return None
        headers = (f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}\r\n"
                   f"Message-ID: {message_id()}\r\n")
        return headers.encode() + data


class Pipeline:
    """Emails over one open connection of Django's SMTP backend, in one round trip each when the
    server offers PIPELINING (RFC 2920; Postfix and the large relays do).

    smtplib's sendmail() waits for the reply to MAIL, RCPT, DATA and the message in turn: four
    round trips. Here MAIL, RCPT and DATA go in one write and, as RFC 2920 (3.1) lets a message's
    content open a group of commands, each message goes in the same write as the next email's MAIL,
    RCPT and DATA: one write and one wait per email, not two. With a relay a network round trip
    away, that wait is what bounds a worker's emails per second: 1.8-1.9 times as many with the
    relay 1 or 10 ms away; on the same machine, 3-6% less of the worker's CPU per email
    (bench/README.md, eighth and sixteenth rounds).

    So the server's answer to a message comes with the next email's: send() and send_message()
    return the outcomes the server has given so far -- [(key, None if accepted, else the
    exception sendmail() would have raised)], an earlier email's perhaps -- and flush() sends the
    message still waiting and returns its outcome. Every email sent gets exactly one outcome.
    """

    def __init__(self, connection):
        self.connection = connection  # Django's SMTP backend, opened
        self.waiting = None  # (key, data): an email whose DATA the server answered with 354

    def send(self, key, sender, to, data):
        """Send `data`, a message of CRLF lines, from `sender` to `to`: plain addresses (PLAIN_ADDRESS)."""
        smtp = self.connection.connection
        try:
            smtp.ehlo_or_helo_if_needed()
            if not smtp.has_extn("pipelining"):
                smtp.sendmail(sender, [to], data)
                return [(key, None)]
        except (smtplib.SMTPException, OSError) as error:
            return [(key, error)]
        size = f" SIZE={len(data)}" if smtp.has_extn("size") else ""
        envelope = f"MAIL FROM:<{sender}>{size}\r\nRCPT TO:<{to}>\r\nDATA\r\n".encode("ascii")
        waiting, self.waiting = self.waiting, None
        outcomes = []
        try:
            smtp.send(envelope if waiting is None else _message(waiting[1]) + envelope)
            if waiting is not None:
                outcomes.append((waiting[0], _message_outcome(smtp, *smtp.getreply())))
                if smtp.sock is None:  # closed on a 421: this email's envelope went for nothing
                    raise smtplib.SMTPServerDisconnected("Connection closed by the server")
            replies = [smtp.getreply() for _command in ("MAIL", "RCPT", "DATA")]  # every reply, to stay in step
        except (smtplib.SMTPException, OSError) as error:
            if waiting is not None and not outcomes:  # its message may or may not have arrived
                outcomes.append((waiting[0], error))
            return [*outcomes, (key, error)]
        (mail, mail_reply), (rcpt, rcpt_reply), (data_code, data_reply) = replies
        if mail != 250:
            refused = smtplib.SMTPSenderRefused(mail, mail_reply, sender)
        elif rcpt not in (250, 251):
            refused = smtplib.SMTPRecipientsRefused({to: (rcpt, rcpt_reply)})
        elif data_code != 354:
            refused = smtplib.SMTPDataError(data_code, data_reply)
        else:
            self.waiting = (key, data)  # its message goes with the next email, or flush()
            return outcomes
        with contextlib.suppress(smtplib.SMTPException, OSError):  # a broken connection shows at the next email
            if data_code == 354:  # DATA accepted although the envelope was not: end it with an empty message
                smtp.send(b".\r\n")
                replies.append(smtp.getreply())
            _end_transaction(smtp, replies)
        return [*outcomes, (key, refused)]

    def send_message(self, key, message):
        """Send a Django EmailMessage the ordinary way (after the message waiting, if any)."""
        outcomes = self.flush()
        try:
            self.connection.send_messages([message])
        except (smtplib.SMTPException, OSError) as error:
            return [*outcomes, (key, error)]
        except ValueError as error:  # an address mail cannot go to (a UnicodeError from its domain): before any command
            return [*outcomes, (key, error)]
        return [*outcomes, (key, None)]

    def flush(self):
        """Send the message still waiting, if any, and return its outcome."""
        waiting, self.waiting = self.waiting, None
        if waiting is None:
            return []
        key, data = waiting
        smtp = self.connection.connection
        try:
            smtp.send(_message(data))
            return [(key, _message_outcome(smtp, *smtp.getreply()))]
        except (smtplib.SMTPException, OSError) as error:
            return [(key, error)]


def _message(data):
    """A message as it goes after DATA: dot-stuffed and ended with "<CRLF>.<CRLF>"."""
    return dot_stuffed(data) + (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n"


def _message_outcome(smtp, code, reply):
    """The outcome of the server's reply to a message; the transaction is over either way."""
    if code == 250:
        return None
    if code == 421:
        smtp.close()  # the server is closing the connection, as sendmail() would
    return smtplib.SMTPDataError(code, reply)


def _end_transaction(smtp, replies):
    """After a refusal: RSET, as sendmail() does, or on a 421 close the connection."""
    if any(code == 421 for code, _reply in replies):
        smtp.close()
    else:
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            smtp.rset()


def dot_stuffed(data):
    r"""A line that starts with "." gets another in front (RFC 5321 4.5.2): what smtplib does with
    re.sub(rb"(?m)^\.", b"..", data), done with bytes.replace(), which costs an email a fifth of
    the regex's time (a multi-line "^" is tried at every position of the message)."""
    data = data.replace(b"\n.", b"\n..")
    return b"." + data if data.startswith(b".") else data
