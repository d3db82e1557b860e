"""SMTP sink for tests, built on aiosmtpd: listens on 127.0.0.1 on a port the OS picks, prints
"READY <port>" once it accepts connections, and writes every message to OUT_DIR as NNNN.eml (raw,
as received) and NNNN.txt (subject and decoded text parts). Both files are in place before the
server answers 250 to DATA, so a client that got its reply can read them at once. AUTH (PLAIN,
LOGIN) is offered without TLS and accepts only SINK_USER / SINK_PASSWORD from the environment.
A recipient containing SINK_REJECT (when set and not empty) is refused with 550, as a real server
refuses an unknown mailbox.
The sink stops when its standard input closes.

Usage: python3 smtp_sink.py OUT_DIR
"""

import asyncio
import email
import logging
import os
import sys
import threading
from email import policy

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Handler:
    def __init__(self, out_dir, reject):
        self.out_dir = out_dir
        self.reject = reject
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject in address:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.out_dir, "%04d" % self.count)
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=policy.default)
        lines = ["Subject: %s" % msg["subject"], "Rcpt: %s" % ",".join(envelope.rcpt_tos)]
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                lines.append(part.get_content())
        write_atomic(base + ".txt", "\n".join(lines).encode("utf-8"))
        write_atomic(base + ".eml", raw)
        return "250 Message accepted for delivery"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok)

    return check


async def main(out_dir):
    handler = Handler(out_dir, os.environ.get("SINK_REJECT", ""))
    user = os.environ.get("SINK_USER", "")
    password = os.environ.get("SINK_PASSWORD", "")
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(
            handler,
            hostname="sink.test",
            authenticator=authenticator(user, password),
            auth_require_tls=False,
        ),
        "127.0.0.1",
        0,
    )
    port = server.sockets[0].getsockname()[1]
    print("READY %d" % port, flush=True)
    await server.serve_forever()


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    # aiosmtpd logs a deprecation of its own Session.login_data on every AUTH; only errors matter here.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    asyncio.run(main(sys.argv[1]))
