"""Log lines are structured and never carry personal data, even when an exception quotes it."""

import json
import logging
import sys

import pytest

from campaign.logs import JSONFormatter, PlainFormatter, redact


def record(message, *args, exc_info=None):
    return logging.LogRecord("petitions.test", logging.ERROR, __file__, 1, message, args, exc_info)


@pytest.mark.parametrize(
    "text, kept, gone",
    [
        ("signer olena@example.org confirmed", "signer [email] confirmed", "olena@example.org"),
        ("Key (petition_id, email_normalised)=(1, иван@почта.рф) already exists.", "=(1, [email])", "иван"),
        ("Key (petition_id, email_normalised)=(1, ivan@xn--80a1acny.xn--p1ai) exists", "(1, [email])", "ivan@"),
        ("to ivan@bücher.de", "to [email]", "ivan@"),
        ("from 203.0.113.7 and 2001:db8::42", "from [ip] and [ip]", "203.0.113.7"),
        ('"GET /en/petitions/free/confirm/eyJzIjo1fQ:1xY:abc/" 302', "/confirm/[token]/", "eyJzIjo1fQ"),
        ("/en/petitions/free/withdraw/abc:def:ghi/", "/withdraw/[token]/", "abc:def"),
        ("Cannot connect to redis://127.0.0.1:6379/9", "127.0.0.1:6379", "[ip]"),
        ("at 06:49:32 version 1.2.3", "06:49:32 version 1.2.3", "[ip]"),
    ],
)
def test_redaction_keeps_what_operators_need_and_drops_personal_data(text, kept, gone):
    assert kept in redact(text) and gone not in redact(text)


def test_json_lines_carry_time_level_logger_and_message():
    line = JSONFormatter().format(record("Delivery %s sent", 42))
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "petitions.test"
    assert entry["message"] == "Delivery 42 sent" and entry["time"].endswith("+00:00")


def test_json_lines_redact_the_message_and_the_fields_that_come_with_it():
    line = record("Signer %s from %s", "olena@example.org", "203.0.113.7")
    line.task_name = "send to olena@example.org"
    entry = json.loads(JSONFormatter().format(line))
    assert entry["message"] == "Signer [email] from [ip]" and entry["task_name"] == "send to [email]"


def test_an_exception_quoting_an_address_is_logged_without_it():
    try:
        raise ValueError("Key (petition_id, email_normalised)=(1, olena@example.org) already exists.")
    except ValueError:
        exc_info = sys.exc_info()
    for formatter in (JSONFormatter(), PlainFormatter("%(message)s")):
        line = formatter.format(record("Signing failed", exc_info=exc_info))
        assert "olena@example.org" not in line and "[email]" in line and "ValueError" in line


def test_the_site_logs_through_the_redacting_formatters():
    from django.conf import settings

    handler = settings.LOGGING["handlers"]["console"]
    formatter = settings.LOGGING["formatters"][handler["formatter"]]
    assert formatter["()"] in {"campaign.logs.JSONFormatter", "campaign.logs.PlainFormatter"}
