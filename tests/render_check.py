#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""render_check.py TEMPLATE MESSAGE: does MESSAGE, a file written by the
spool: transport (an .eml email or an .sms text), come from TEMPLATE with
every placeholder filled in? Each {name} of the template may stand for any
text, the same text wherever the name recurs; everything else must match
exactly; a line that starts with {?name} may be left out. Prints NAME=VALUE
for each placeholder; exits 1 with the reason
when the message does not match, still holds a {placeholder}, or (email)
shows a {code} value in its Subject, which lock screens display."""
import email
import email.policy
import re
import sys


def pattern(tpl):
    """A regular expression for the rendered text of tpl. A line that starts
    with {?name} may be absent (twofactl leaves it out when name is empty)."""
    out, seen = [], set()

    def span(text):
        parts, pos = [], 0
        for m in re.finditer(r"\{([a-z_]+)\}", text):
            parts.append(re.escape(text[pos:m.start()]))
            name = m.group(1)
            parts.append("(?P=%s)" % name if name in seen else "(?P<%s>.*?)" % name)
            seen.add(name)
            pos = m.end()
        parts.append(re.escape(text[pos:]))
        return "".join(parts)

    for line in tpl.splitlines(keepends=True):
        opt = re.match(r"\{\?[a-z_]+\}", line)
        if opt:
            out.append("(?:%s)?" % span(line[opt.end():]))
        else:
            out.append(span(line))
    return re.compile("".join(out), re.DOTALL)


def fail(why):
    print(why, file=sys.stderr)
    sys.exit(1)


def main():
    tpl_path, msg_path = sys.argv[1:3]
    with open(tpl_path, encoding="utf-8") as f:
        tpl = f.read()
    with open(msg_path, "rb") as f:
        raw = f.read()
    values = {}
    if tpl_path.endswith(".txt"):
        first, _, tbody = tpl.partition("\n")
        if not first.startswith("Subject: "):
            fail("%s: the first line is not a Subject: line" % tpl_path)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        subject = str(msg["Subject"])
        parts = [(first[len("Subject: "):], subject),
                 (tbody.lstrip("\n"), msg.get_content().replace("\r\n", "\n"))]
    else:
        _, _, body = raw.decode("utf-8").partition("\n\n")
        subject = None
        parts = [(tpl, body)]
    for t, text in parts:
        m = pattern(t.rstrip("\n")).fullmatch(text.rstrip("\r\n"))
        if not m:
            fail("%s does not match %s:\n%s" % (msg_path, tpl_path, text))
        for k, v in m.groupdict().items():
            if v is None:   # on an optional line that was left out
                continue
            if values.setdefault(k, v) != v:
                fail("%s: {%s} is %r in the Subject, %r in the body" % (msg_path, k, values[k], v))
        left = re.search(r"\{[a-z_]+\}", text)
        if left:
            fail("%s still holds %s" % (msg_path, left.group(0)))
    if subject is not None and values.get("code") and values["code"] in subject:
        fail("%s shows the code in its Subject: %s" % (msg_path, subject))
    for k in sorted(values):
        print("%s=%s" % (k, values[k].replace("\n", " ")))


main()
