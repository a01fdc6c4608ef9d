#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Print the newest message in MAILDIR addressed to RCPT: the decoded
Subject and From lines, then the body. With --count, print how many there
are. Exit 1 when there is none."""
import email
import email.policy
import os
import sys

args = [a for a in sys.argv[1:] if a != "--count"]
maildir, rcpt = args
found = []
for sub in ("new", "cur"):
    d = os.path.join(maildir, sub)
    for name in os.listdir(d) if os.path.isdir(d) else []:
        path = os.path.join(d, name)
        with open(path, "rb") as f:
            m = email.message_from_bytes(f.read(), policy=email.policy.default)
        if rcpt in str(m.get("To", "")):
            found.append((os.stat(path).st_mtime_ns, name, m))
if "--count" in sys.argv:
    print(len(found))
    sys.exit(0)
if not found:
    sys.exit(1)
found.sort(key=lambda t: (t[0], t[1]))
m = found[-1][2]
print("Subject: " + str(m["Subject"]))
print("From: " + str(m["From"]))
print(m.get_content(), end="")
