#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Talk to twofactl serve on a Unix socket: send the lines of standard input,
print each answer line. --close-after N hangs up after sending N lines
without reading (a client that disconnects mid-request)."""
import socket
import sys

path = sys.argv[1]
close_after = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[2] == "--close-after" else None
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(30)
s.connect(path)
data = sys.stdin.buffer.read()
if close_after is not None:
    lines = data.split(b"\n")[:close_after]
    s.sendall(b"\n".join(lines) + b"\n")
    s.close()
    sys.exit(0)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
buf = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
sys.stdout.write(buf.decode())
