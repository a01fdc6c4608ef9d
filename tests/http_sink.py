#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""A small HTTP sink standing in for an SMS gateway: appends each request
(method, path, headers, body) as one JSON line to --log and answers 200 on
/send, 500 on /fail, and sleeps past the client's timeout on /slow.
Listens on 127.0.0.1 only and exits by itself after --lifetime seconds."""
import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--ready", required=True)
ap.add_argument("--lifetime", type=int, default=900)
args = ap.parse_args()
lock = threading.Lock()


class Sink(BaseHTTPRequestHandler):
    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        with lock, open(args.log, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "headers": dict(self.headers), "body": body}) + "\n")
        if self.path.startswith("/slow"):
            time.sleep(5)
        status, text = (500, "gateway exploded\nsecond line") if self.path.startswith("/fail") else (200, "OK")
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = handle_any

    def log_message(self, *a):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", args.port), Sink)
srv.daemon_threads = True
threading.Thread(target=srv.serve_forever, daemon=True).start()
with open(args.ready, "w") as f:
    f.write("ready\n")
time.sleep(args.lifetime)
