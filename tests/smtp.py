"""A real SMTP server for tests (aiosmtpd), whose replies a test can script."""

import asyncio
import email
import email.policy
import logging
import socket
import threading
from collections import deque

from aiosmtpd.controller import Controller

# aiosmtpd logs every envelope (addresses included); the tests only care about its problems.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Handler:
    def __init__(self, pipelining=False):
        self.pipelining = pipelining  # offer PIPELINING (RFC 2920) in the EHLO reply, as Postfix does
        self.messages = []
        self.replies = deque()  # scripted replies to DATA, e.g. "451 4.3.0 Try again later"; then 250
        self.mail_replies = deque()  # ... to MAIL FROM, then 250
        self.rcpt_replies = deque()  # ... to RCPT TO, then 250
        self.hold = None  # a threading.Event: DATA waits for it (to kill a client mid-send)
        self.holding = threading.Event()  # set once a DATA is being held
        self.lock = threading.Lock()
        self.delay = 0  # seconds each DATA takes before the reply (a slow server)
        self.gate = None  # a threading.Event: DATA waits for it, then answers as usual (a letter on the wire)
        self.at_gate = threading.Event()  # set once a DATA waits at the gate
        self.greetings = 0  # EHLOs: one per connection a client opened

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        with self.lock:
            self.greetings += 1
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802
        reply = self._scripted(self.mail_replies)
        if reply is None:
            envelope.mail_from = address
            envelope.mail_options.extend(options)
        return reply or "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        reply = self._scripted(self.rcpt_replies)
        if reply is None:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
        return reply or "250 OK"

    def _scripted(self, replies):
        with self.lock:
            return replies.popleft() if replies else None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.gate is not None:
            self.at_gate.set()
            while not self.gate.is_set():
                await asyncio.sleep(0.02)
        if self.hold is not None:
            hold, self.hold = self.hold, None
            self.holding.set()
            while not hold.is_set():  # the client is being killed meanwhile
                await asyncio.sleep(0.05)
            return "451 4.3.0 Held by the test"
        with self.lock:
            reply = self.replies.popleft() if self.replies else None
            if reply is not None:
                return reply
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 2.0.0 OK"


class SMTPServer:
    def __init__(self, port=None, pipelining=False):
        self.handler = Handler(pipelining)
        self.port = port or free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def messages(self):
        return self.handler.messages

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def use_in(self, settings):
        """Point Django (pytest-django's `settings` fixture) at this server."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", self.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
