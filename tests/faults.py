"""Tools for the fault tests: a TCP proxy that can cut a real service off, the production web
server as a process, and a visitor that speaks HTTP with cookies and CSRF as a browser does."""

import contextlib
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.db import connection

from .smtp import free_port


class Proxy:
    """Forwards a local port to a real service until `cut()`: then open connections are dropped
    and new ones refused, as if the service were down; `restore()` brings it back."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.port = free_port()
        self._pairs = set()
        self._lock = threading.Lock()
        self._listener = None

    def __enter__(self):
        self.restore()
        return self

    def __exit__(self, *exc):
        self.cut()

    def restore(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self):
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in its thread
            self._listener.close()
            self._listener = None
        with self._lock:
            pairs, self._pairs = self._pairs, set()
        for pair in pairs:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _accept(self, listener):
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            pair = (client, upstream)
            with self._lock:
                self._pairs.add(pair)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def tests_database_url():
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def service_env(**overrides):
    """The environment of a production process of ours on the test database."""
    env = dict(os.environ)
    for name in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=tests_database_url(), SECRET_KEY=settings.SECRET_KEY, LOG_FORMAT="json",
        PYTHONUNBUFFERED="1", MEDIA_ROOT=str(settings.MEDIA_ROOT), PRIVATE_MEDIA_ROOT=str(settings.PRIVATE_MEDIA_ROOT),
    )
    env.update({key: str(value) for key, value in overrides.items()})
    return env


class WebServer:
    """The production web server (manage.py serve: granian) with production settings, DEBUG off."""

    def __init__(self, log_path, **environ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = service_env(SITE_URL=self.url, ALLOWED_HOSTS="127.0.0.1", WEB_CONCURRENCY=2, WEB_THREADS=2,
                               **environ)

    def __enter__(self):
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--bind", f"127.0.0.1:{self.port}"],
                cwd=settings.BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):  # noqa: S310 (our http URL)
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"the web server did not start:\n{self.log()}")

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log(self):
        return self.log_path.read_text()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.text = status, headers, body

    def __repr__(self):
        return f"<Response {self.status}>"


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Visitor:
    """A browser's HTTP: cookies, the form's CSRF token, the Origin header; redirects not followed."""

    def __init__(self, base_url):
        self.base = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)
        self.csrf_token = ""

    def request(self, method, path, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(  # noqa: S310 (always our own http:// test server)
            self.base + path, data=body, method=method, headers=headers or {}
        )
        if method == "POST":
            request.add_header("Origin", self.base)
        try:
            with self.opener.open(request, timeout=30) as response:
                result = Response(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            result = Response(error.code, error.headers, error.read().decode())
        if found := CSRF_INPUT.search(result.text):
            self.csrf_token = found.group(1)
        return result

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data, **kwargs):
        return self.request("POST", path, data={"csrfmiddlewaretoken": self.csrf_token, **data}, **kwargs)
