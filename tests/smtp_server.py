#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""A real SMTP server for the tests (Debian's python3-aiosmtpd): stores each
message in a Maildir; optionally STARTTLS, AUTH, and 550 for some recipients.
Listens on 127.0.0.1 only; writes "ready" to --ready once it accepts."""
import argparse
import ssl
import time

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--maildir", required=True)
ap.add_argument("--ready", required=True)
ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
ap.add_argument("--auth", metavar="USER:PASSWORD")
ap.add_argument("--auth-log", metavar="FILE", help="append one line per AUTH attempt (the login) to FILE")
ap.add_argument("--reject", default="reject", help="550 for recipients containing this")
ap.add_argument("--lifetime", type=int, default=900, help="seconds before it exits by itself")
args = ap.parse_args()


class Handler(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if args.reject and args.reject in address:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    user, password = args.auth.split(":", 1)
    if args.auth_log:
        with open(args.auth_log, "a") as f:
            login = auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "?"
            f.write("AUTH %s %s tls=%s\n" % (mechanism, login, session.ssl is not None))
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
          and auth_data.password.decode() == password)
    return AuthResult(success=ok, handled=False)


kw = {}
if args.tls:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*args.tls)
    kw.update(tls_context=ctx, require_starttls=True)
if args.auth:
    kw.update(authenticator=authenticator, auth_required=True, auth_require_tls=bool(args.tls))

ctl = Controller(Handler(args.maildir), hostname="127.0.0.1", port=args.port, **kw)
ctl.start()
with open(args.ready, "w") as f:
    f.write("ready\n")
time.sleep(args.lifetime)
ctl.stop()
