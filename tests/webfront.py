#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Drive share/examples/twofactl_client.py as a web application would:
webfront.py SOCKET CALL ARGS..., a code or token on standard input. Prints
one JSON object: what the call returned, or {"error": CLASS, "word": ...}
(exit 1) when it raised. tests/webfront.php is the same for PHP."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "share", "examples"))
import twofactl_client as tc  # noqa: E402

tc.SOCKET = sys.argv[1]
call, args = sys.argv[2], sys.argv[3:]
secret = lambda: sys.stdin.readline().rstrip("\n")
try:
    if call == "check":
        token = secret() if len(args) > 2 and args[2] == "-" else None
        need, methods = tc.check(args[0], args[1], token)
        out = {"need": need, "methods": methods}
    elif call == "send":
        out = {"session": tc.send(*args)}
    elif call == "verify":
        out = {"accepted": tc.verify(args[0], secret(), args[1])}
    elif call == "enroll":   # USER [METHOD] [-]: "-" reads the account's code from stdin
        code = secret() if args[-1:] == ["-"] else None
        out = tc.enroll(*[a for a in args if a != "-"], code=code)
    elif call == "confirm":
        out = {"backup_codes": tc.confirm(args[0], secret())}
    elif call == "request":
        a = tc.request(json.loads(args[0]))
        out = {"exit": a["exit"], "output": a["output"]}
    else:
        sys.exit("unknown call " + call)
except tc.TwofactlError as e:
    print(json.dumps({"error": type(e).__name__, "word": e.word, "exit": e.exit_status,
                      "message": str(e)}))
    sys.exit(1)
print(json.dumps(out))
