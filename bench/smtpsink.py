"""An SMTP sink that costs little CPU, for bench/surge.py: it accepts every message and keeps none.

    .venv/bin/python bench/smtpsink.py PORT [DELAY]

It stands in for a deployment's mail relay, which runs elsewhere: like wrk on the client side, it
should take as little as possible of the cores it shares with what is measured. aiosmtpd (asyncio,
a full parser, an envelope object per message) spent as much CPU per email as the Celery worker's
whole email did (bench/README.md, seventh round); this is one process, one thread, non-blocking
sockets and the few replies a client needs: 220, 250 (EHLO with SIZE, 8BITMIME and PIPELINING, as
Postfix offers them), 354 for DATA and 250 once the message's "<CRLF>.<CRLF>" has arrived, 221 for
QUIT. Commands that arrive together (PIPELINING) are answered together.

DELAY (seconds, 0 by default) holds every reply back that long, as if the relay were a network
round trip away (a relay at the mail provider's, not on the same machine); replies still go in order.

`XSTAT` (not SMTP) answers "250 <messages accepted> <time.monotonic() of the last>" for the harness.
"""

import heapq
import itertools
import selectors
import socket
import sys
import time

END_OF_DATA = b"\r\n.\r\n"
EHLO = b"250-sink\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n250 PIPELINING\r\n"
REPLIES = {b"HELO": b"250 sink\r\n", b"MAIL": b"250 OK\r\n", b"RCPT": b"250 OK\r\n", b"RSET": b"250 OK\r\n",
           b"NOOP": b"250 OK\r\n", b"DATA": b"354 End data with <CR><LF>.<CR><LF>\r\n", b"QUIT": b"221 Bye\r\n"}


class Client:
    def __init__(self, sock):
        self.sock, self.buffer, self.in_data = sock, b"", False


def serve(port, delay=0.0):
    selector = selectors.DefaultSelector()
    held = []  # (when, order, socket, bytes): replies held back by `delay`
    order = itertools.count()

    def reply(sock, data):
        if delay:
            heapq.heappush(held, (time.monotonic() + delay, next(order), sock, data))
        else:
            sock.sendall(data)

    listener = socket.create_server(("127.0.0.1", port), backlog=128)
    listener.setblocking(False)
    selector.register(listener, selectors.EVENT_READ)
    messages, last = 0, 0.0
    while True:
        while held and held[0][0] <= time.monotonic():
            _when, _order, sock, data = heapq.heappop(held)
            if sock.fileno() >= 0:  # not closed meanwhile
                sock.sendall(data)
        for key, _events in selector.select(max(0.0, held[0][0] - time.monotonic()) if held else None):
            if key.fileobj is listener:
                sock, _address = listener.accept()
                sock.setblocking(True)  # replies are small: a send never waits long
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                reply(sock, b"220 sink ESMTP\r\n")
                selector.register(sock, selectors.EVENT_READ, Client(sock))
                continue
            client = key.data
            chunk = client.sock.recv(65536)
            if not chunk:
                selector.unregister(client.sock)
                client.sock.close()
                continue
            searched = max(0, len(client.buffer) - len(END_OF_DATA))
            client.buffer += chunk
            replies = []
            while True:
                if client.in_data:
                    # The data starts right after the DATA line's CRLF: an empty message is ".\r\n".
                    end = (b"\r\n" + client.buffer).find(END_OF_DATA, searched)
                    if end < 0:
                        break
                    client.buffer, client.in_data, searched = client.buffer[end + 3:], False, 0
                    messages, last = messages + 1, time.monotonic()
                    replies.append(b"250 OK\r\n")
                    continue
                line, found, rest = client.buffer.partition(b"\r\n")
                if not found:
                    break
                client.buffer, searched = rest, 0
                verb = line[:4].upper()
                if verb == b"EHLO":
                    replies.append(EHLO)
                elif verb == b"XSTA":
                    replies.append(f"250 {messages} {last}\r\n".encode())
                else:
                    replies.append(REPLIES.get(verb, b"500 Unknown command\r\n"))
                    client.in_data = verb == b"DATA"
            if replies:
                reply(client.sock, b"".join(replies))


class Sink:
    """The sink in a process of its own (its CPU then counts apart from the harness's)."""

    def __init__(self, port, delay=0.0):
        import subprocess

        self.port = port
        self.process = subprocess.Popen([sys.executable, __file__, str(port), str(delay)])
        deadline = time.monotonic() + 10
        while True:
            try:
                self.stats()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stats(self):
        """(messages accepted so far, time.monotonic() of the last one or 0.0)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            reader = sock.makefile("rb")
            reader.readline()  # the greeting
            sock.sendall(b"XSTAT\r\nQUIT\r\n")
            _code, messages, last = reader.readline().split()
            return int(messages), float(last)

    @property
    def messages(self):
        return self.stats()[0]

    def stop(self):
        self.process.kill()
        self.process.wait()


if __name__ == "__main__":
    serve(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
