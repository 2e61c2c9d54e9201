#!/usr/bin/env python3
"""A real SMTP server for Paperboy's mail tests (aiosmtpd), which keeps what it accepts in a folder.

    smtp_sink.py --dir DIR [--port 0] [--tls-cert C --tls-key K [--require-starttls] [--implicit-tls]]
                 [--auth USER:PASS [--auth-exclude PLAIN]] [--slow-seconds 5] [--misbehave MODE]

It listens on 127.0.0.1, prints one line `READY <port>` once it does (with --port 0 it picks a free port) and runs
until SIGTERM or SIGINT. Each accepted message becomes DIR/<n>.eml (the bytes as received, dot-stuffing undone) and
then DIR/<n>.json ({"mail_from", "rcpt_tos", "auth_user", "tls", "peer_port"}), each written atomically; n counts from 1.
Recipients refused on purpose are appended to DIR/rejected.log as `<code> <address>` lines.

Failures by the recipient's local part:
    tempfail*      451 at RCPT          permfail*      550 at RCPT
    datatempfail*  452 after DATA       datapermfail*  554 after DATA
    slow*          the reply to the end of DATA comes after --slow-seconds
    drop*          the connection is closed after DATA, without a reply
With --auth, AUTH PLAIN and LOGIN are offered only over TLS, and MAIL needs a successful AUTH.

--misbehave MODE serves no SMTP at all but a broken greeting, for the client's limits: `long-line` (a 4000-byte
line), `many-lines` (a reply of 500 lines), `garbage` (a line that is no reply), `silent` (nothing),
`starttls-injection` (plain-text replies right behind the reply to STARTTLS).
"""

import argparse
import asyncio
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, slow_seconds):
        self.directory = directory
        self.slow_seconds = slow_seconds
        self.count = 0

    def reject(self, code, address):
        with open(os.path.join(self.directory, "rejected.log"), "a", encoding="utf-8") as log:
            log.write(f"{code} {address}\n")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("tempfail"):
            self.reject(451, address)
            return "451 4.3.0 Try again later"
        if local.startswith("permfail"):
            self.reject(550, address)
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        locals_ = [rcpt.split("@", 1)[0].lower() for rcpt in envelope.rcpt_tos]
        if any(local.startswith("slow") for local in locals_):
            await asyncio.sleep(self.slow_seconds)
        if any(local.startswith("drop") for local in locals_):
            server.transport.close()
            return "421 closing"
        if any(local.startswith("datatempfail") for local in locals_):
            self.reject(452, ",".join(envelope.rcpt_tos))
            return "452 4.3.1 Insufficient system storage"
        if any(local.startswith("datapermfail") for local in locals_):
            self.reject(554, ",".join(envelope.rcpt_tos))
            return "554 5.6.0 Message refused"
        self.count += 1
        stem = os.path.join(self.directory, str(self.count))
        write_atomically(stem + ".eml", envelope.original_content)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "auth_user": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "peer_port": session.peer[1] if session.peer else None,
        }
        write_atomically(stem + ".json", json.dumps(meta).encode())
        return "250 2.0.0 Accepted"


class Misbehaving(asyncio.Protocol):
    def __init__(self, mode):
        self.mode = mode

    def connection_made(self, transport):
        if self.mode == "long-line":
            transport.write(b"220 " + b"x" * 4000 + b"\r\n")
        elif self.mode == "many-lines":
            transport.write(b"".join(b"220-line %d\r\n" % n for n in range(500)) + b"220 end\r\n")
        elif self.mode == "garbage":
            transport.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        elif self.mode == "starttls-injection":
            transport.write(b"220 sink.test ESMTP\r\n")
        self.transport = transport

    def data_received(self, data):
        if self.mode != "starttls-injection":
            return
        if data.upper().startswith(b"EHLO"):
            self.transport.write(b"250-sink.test\r\n250 STARTTLS\r\n")
        elif data.upper().startswith(b"STARTTLS"):
            # The reply and, in the same packet, a reply the client must not take for one over TLS.
            self.transport.write(b"220 Go ahead\r\n250-sink.test\r\n250 AUTH PLAIN\r\n")


def write_atomically(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def main():
    parser = argparse.ArgumentParser(description="SMTP sink for Paperboy's mail tests")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--require-starttls", action="store_true")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--auth", help="USER:PASS")
    parser.add_argument("--auth-exclude", action="append", default=[], help="a mechanism not to offer (PLAIN, LOGIN)")
    parser.add_argument("--slow-seconds", type=float, default=5.0)
    parser.add_argument("--misbehave", choices=["long-line", "many-lines", "garbage", "silent", "starttls-injection"])
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    context = None
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    if (args.implicit_tls or args.require_starttls) and context is None:
        parser.error("--implicit-tls and --require-starttls need --tls-cert and --tls-key")

    authenticator = None
    if args.auth:
        user, _, password = args.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, data):
            ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
            return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    sink = Sink(args.dir, args.slow_seconds)

    def factory():
        if args.misbehave:
            return Misbehaving(args.misbehave)
        return SMTP(
            sink,
            hostname="sink.test",
            tls_context=None if args.implicit_tls else context,
            require_starttls=args.require_starttls,
            authenticator=authenticator,
            auth_exclude_mechanism=args.auth_exclude,
            auth_required=authenticator is not None,
            # Over implicit TLS the whole connection is encrypted (aiosmtpd only knows about STARTTLS).
            auth_require_tls=not args.implicit_tls,
        )

    async def serve():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            factory, host="127.0.0.1", port=args.port, ssl=context if args.implicit_tls else None
        )
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
        await stop.wait()
        server.close()

    asyncio.run(serve())
    sys.exit(0)


if __name__ == "__main__":
    main()
