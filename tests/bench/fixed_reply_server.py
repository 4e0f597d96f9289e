#!/usr/bin/env python3
"""Fixed-reply HTTP/1.1 server for the bench smoke test (keep-alive, 127.0.0.1 only).

POST .../tenants/bench-1/... answers 422 with a REST error envelope (so error counting is
tested); every other POST answers 200 {"predictions":[1]}. GET /metrics serves a Prometheus
page whose mf_cache_hits_total counts the POSTs answered so far.
Usage: fixed_reply_server.py PORT
"""
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
served = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        global served
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        with lock:
            served += 1
        if "/tenants/bench-1/" in self.path:
            self.reply(422, '{"error":{"code":"invalid_input","message":"wrong feature count"}}')
        else:
            self.reply(200, '{"predictions":[1]}')

    def do_GET(self):
        if self.path == "/metrics":
            with lock:
                n = served
            self.reply(200, "# TYPE mf_cache_hits_total counter\nmf_cache_hits_total{node=\"w 1\"} %d\n"
                       "mf_models_loaded 3\n" % n, "text/plain; version=0.0.4")
        else:
            self.reply(200, '{"status":"ok"}')


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
server.daemon_threads = True
print("ready", flush=True)
server.serve_forever()
