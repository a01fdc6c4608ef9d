#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""twofactl for a Python web application: one small function per call.

The application talks to `twofactl serve` on the socket that systemd's
twofactl.socket opens (README, "Web front end"); it never sees the store or
its key. Standard library only: socket and json. Paste what you need.

Every function returns what the call gives, or raises a TwofactlError
subclass chosen by the answer's stable error word (error.code):

    Rejected         rejected, replayed         wrong code, or one already used
    Locked           locked, rate_limited       too many failures; resend too soon
    EnrolmentNeeded  enrolment_needed           e.g. send by a channel not enrolled
    NotFound         not_found                  no such account
    Forbidden        forbidden                  not allowed for this role
    CodeRequired     code_required              the account has a factor: pass its code
    BadRequest       usage, bad_request, too_large
    Unavailable      store, delivery, busy      and no answer from the socket

Codes, passwords and tokens travel in the request's "stdin", never in argv.
"""
import json
import socket

SOCKET = "/run/twofactl/twofactl.sock"   # or set twofactl_client.SOCKET
TIMEOUT = 30          # seconds; more than the store's lock timeout (15 s)

# check(): what the login needs next (the exit statuses of `twofactl check`)
NO_CODE_NEEDED = 0
CODE_NEEDED = 10
ENROLMENT_NEEDED = 11


class TwofactlError(Exception):
    """A request twofactl refused or could not do. .word is serve's
    error.code, .exit_status the command's exit status (None: no answer)."""

    def __init__(self, word, message, exit_status=None):
        super().__init__(message)
        self.word = word
        self.exit_status = exit_status


class Rejected(TwofactlError): pass
class Locked(TwofactlError): pass
class EnrolmentNeeded(TwofactlError): pass
class NotFound(TwofactlError): pass
class Forbidden(TwofactlError): pass
class CodeRequired(TwofactlError): pass
class BadRequest(TwofactlError): pass
class Unavailable(TwofactlError): pass


ERRORS = {
    "rejected": Rejected, "replayed": Rejected,
    "locked": Locked, "rate_limited": Locked,
    "enrolment_needed": EnrolmentNeeded,
    "not_found": NotFound,
    "forbidden": Forbidden,
    "code_required": CodeRequired,
    "usage": BadRequest, "bad_request": BadRequest, "too_large": BadRequest,
    "store": Unavailable, "delivery": Unavailable, "busy": Unavailable,
}


def request(argv, stdin=None, path=None):
    """One request on its own connection: the answer object, or raises."""
    path = path or SOCKET
    req = {"argv": list(argv)}
    if stdin is not None:
        req["stdin"] = stdin
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(TIMEOUT)
            s.connect(path)
            s.sendall(json.dumps(req).encode() + b"\n")
            s.shutdown(socket.SHUT_WR)
            line = s.makefile("rb").readline(1 << 20)
    except OSError as e:
        raise Unavailable("unavailable", "twofactl at %s: %s" % (path, e)) from e
    try:
        answer = json.loads(line)
    except ValueError:
        raise Unavailable("unavailable", "twofactl at %s gave no answer" % path) from None
    err = answer.get("error")
    if err:
        cls = ERRORS.get(err.get("code"), TwofactlError)
        raise cls(err.get("code"), err.get("message", ""), answer.get("exit"))
    return answer


def check(user, ip, device_token=None):
    """After the password was accepted: (NO_CODE_NEEDED | CODE_NEEDED |
    ENROLMENT_NEEDED, methods), methods such as ["totp", "email", "backup"]."""
    argv = ["check", user, "--ip", ip]
    if device_token:
        argv += ["--device-token", "-"]
    a = request(argv, device_token + "\n" if device_token else None)
    out = a["output"][0] if a["output"] else {}
    return a["exit"], out.get("methods", [])


def send(user, via="email"):
    """Send a login code by "email" or "sms": the 3-digit session id to show
    next to the code field (the message carries the same number)."""
    return request(["send", user, "--via", via])["output"][0]["session"]


def verify(user, code, ip):
    """True when the code (app, emailed or texted, or a backup code) is
    accepted; raises Rejected (wrong or used) or Locked."""
    request(["verify", user, "--ip", ip], code + "\n")
    return True


def enroll(user, method="totp", code=None):
    """Start an enrolment: for "totp" a dict with "uri" (the otpauth:// URI,
    the QR code's data: draw it with any QR library), "secret" (for typing
    in); for "email" or "sms" the "session" of the code just sent. An
    account that has an active factor already needs a current code of it
    (from the app, a login code sent with send(), or a backup code), else
    CodeRequired: nobody adds a factor without holding one."""
    return request(["enroll", user, "--method", method, "--qr", "none"],
                   code + "\n" if code else None)["output"][0]


def confirm(user, code):
    """Finish the enrolment with a code from the new factor: the backup
    codes to show the user once (empty when the account had some)."""
    out = request(["confirm", user], code + "\n")["output"]
    return out[0].get("backup_codes", []) if out else []
