#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""A server that accepts connections and never answers (a hung SMTP server
or gateway): each accepted connection adds a line to --log. Listens on
127.0.0.1 only; writes "ready" to --ready; exits by itself after --lifetime."""
import argparse
import socket
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--ready", required=True)
ap.add_argument("--lifetime", type=int, default=900)
args = ap.parse_args()

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", args.port))
srv.listen(16)
held = []


def serve():
    while True:
        conn, _ = srv.accept()
        held.append(conn)   # kept open, never written to
        with open(args.log, "a") as f:
            f.write("accepted\n")


threading.Thread(target=serve, daemon=True).start()
with open(args.ready, "w") as f:
    f.write("ready\n")
time.sleep(args.lifetime)
