"""Log lines: structured (one JSON object per line in production), and never with personal data.

Code here logs ids, never emails or names. The formatters also redact, as a second line of
defence, whatever looks like an email address, a public IP address or a token of the links in
signers' emails in the finished line --
including tracebacks, whose exception messages can quote data (a Postgres unique violation quotes
the duplicate key). Loopback and unspecified addresses are kept: they only ever name our own
services, and "cannot connect to 127.0.0.1:6379" is what an operator needs to read.
"""

import ipaddress
import json
import logging
import re
from datetime import UTC, datetime

# A domain ends in letters, in any script (.рф), or in the IDNA form of them (.xn--p1ai, as the
# sign form stores it): "redis://:**@127.0.0.1:6379" (a URL with its password masked) is no email.
EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\.(?:xn--[\w-]+|[^\W\d_]{2,})\b")
# Candidates only; each is confirmed with the ipaddress module (so times like 06:49:32 stay).
IP_CANDIDATE = re.compile(
    r"(?<![\w.:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]{0,15}(?![\w:])"  # IPv6
    r"|(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])"  # IPv4
)


def _ip(match):
    text = match.group(0)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    return text if address.is_loopback or address.is_unspecified else "[ip]"


# The links in signers' emails are capabilities (whoever has one can confirm or withdraw), so an
# access log or a "Bad Request: /path" line must not keep them.
LINK_TOKEN = re.compile(r"/(confirm|withdraw|fresh-link|unsubscribe)/[^/\s\"']+")


def redact(text):
    text = LINK_TOKEN.sub(r"/\1/[token]", text)
    if "@" in text:  # the email pattern is the slowest of the three; most lines have no "@"
        text = EMAIL.sub("[email]", text)
    return IP_CANDIDATE.sub(_ip, text)


class PlainFormatter(logging.Formatter):
    """Human-readable lines for development (`make run`), redacted all the same."""

    def format(self, record):
        return redact(super().format(record))


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the exception if any.

    What a line says is redacted before it goes into JSON; the time, level and logger name are
    ours. (Redacting the finished line, timestamp and JSON included, made an access-log line --
    one per request -- cost 55 us instead of 12.)
    """

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in ("status_code", "task_id", "task_name"):
            value = getattr(record, name, None)
            if isinstance(value, int):
                entry[name] = value
            elif isinstance(value, str):
                entry[name] = redact(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class AsWarning(logging.Filter):
    """Logs a logger's records as warnings: for what Django calls an error but is only what the
    internet sends (a Host header naming another site), so that alerts on errors stay meaningful."""

    def filter(self, record):
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
