"""Fixtures for the browser tests: headless Debian Chromium, a real SMTP server, a live server.

Playwright drives /usr/bin/chromium (never a downloaded browser) and only ever talks to 127.0.0.1.
"""

import email
import os
import socket
import threading
from email import policy

import pytest

from ..conftest import start_worker, stop_worker

# Playwright's sync API runs an asyncio event loop in the main thread, so Django would refuse the
# test body's (synchronous) database calls with SynchronousOnlyOperation. This is the workaround
# documented by Django ("Async safety") and by Playwright for pytest-django; nothing here is async.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
HOST = "127.0.0.1"


def pytest_configure(config):
    # Also wanted in pyproject.toml's markers list (--strict-markers refuses unknown markers).
    config.addinivalue_line("markers", "browser: drives headless Chromium against a live server")


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --- The browser ----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """new_page(**context_options): a page in a fresh browser context, closed after the test."""
    contexts = []

    def make(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


# --- The live server, on 127.0.0.1 ----------------------------------------------------------------

@pytest.fixture(scope="session")
def live_server():
    """pytest-django's live server, but always on 127.0.0.1 (its default is "localhost").

    Static files go through the app (WhiteNoise, from the collected, hashed files) as in
    production, instead of Django's StaticFilesHandler, which cannot find the hashed names.
    """
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer(f"{HOST}:0", start=False)
    server.thread.static_handler = _PassThrough
    server.start()
    yield server
    server.stop()


class _PassThrough:
    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        return self.application(environ, start_response)


# --- A real SMTP server ---------------------------------------------------------------------------

class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address):
        with self._lock:
            return [message for rcpt_tos, message in self.messages if address in rcpt_tos]


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname=HOST, port=free_port())
    controller.start()
    inbox.host, inbox.port = HOST, controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def site(live_server, smtp_server, settings):
    """The live server, sending its email over SMTP to `smtp_server` and linking to itself."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = live_server.url
    return live_server


# --- A real Celery worker that mails through `smtp_server` ----------------------------------------

@pytest.fixture
def mailing_worker(celery_eager, site, smtp_server, tmp_path):
    """Like tests/conftest.py's `celery_worker_process`, with the SMTP server and SITE_URL in its env.

    Requesting `celery_eager` makes it run first, so eager mode can be switched off here: tasks go
    to the real broker and this worker runs them.
    """
    from campaign.celery import app

    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False
    proc = start_worker(
        tmp_path / "worker.log", EMAIL_URL=f"smtp://{smtp_server.host}:{smtp_server.port}", SITE_URL=site.url
    )
    yield proc
    stop_worker(proc)
