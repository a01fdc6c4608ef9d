#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""A real SSH client for keyboard-interactive logins (paramiko).

  ssh_login.py PORT USER ANSWER [COMMAND]

Connects to 127.0.0.1:PORT, answers every prompt with ANSWER, and runs
COMMAND (default: id -un), printing the prompts it saw ("prompt: ...") and
the command's output. Exit 0 logged in and the command ran, 1 refused,
2 anything else. Every step has a timeout."""
import socket
import sys

import paramiko

port, user, answer = int(sys.argv[1]), sys.argv[2], sys.argv[3]
command = sys.argv[4] if len(sys.argv) > 4 else "id -un"
sock = socket.create_connection(("127.0.0.1", port), timeout=30)
t = paramiko.Transport(sock)
try:
    t.banner_timeout = t.auth_timeout = 30
    t.start_client(timeout=30)

    def handler(title, instructions, prompts):
        for text, _echo in prompts:
            print("prompt: " + text, flush=True)
        return [answer for _ in prompts]

    try:
        t.auth_interactive(user, handler)
    except paramiko.AuthenticationException as e:
        print("refused: %s" % e, flush=True)
        sys.exit(1)
    chan = t.open_session(timeout=30)
    chan.settimeout(30)
    chan.exec_command(command)
    out = b""
    while True:
        data = chan.recv(4096)
        if not data:
            break
        out += data
    sys.stdout.write(out.decode())
    sys.exit(0 if chan.recv_exit_status() == 0 else 2)
except SystemExit:
    raise
except Exception as e:
    print("error: %r" % e, flush=True)
    sys.exit(2)
finally:
    t.close()
