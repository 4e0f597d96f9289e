#!/usr/bin/env python3
"""Fixed-reply HTTP/1.1 server for the bench smoke test (keep-alive, 127.0.0.1 only).

POST .../tenants/bench-1/... answers 422 with a REST error envelope (so error counting is
tested); every other POST answers 200 {"predictions":[1]}. GET /metrics serves a Prometheus
page whose mf_cache_hits_total counts the POSTs answered so far.
Misbehaviours the load generator must survive (one per server, for POSTs only):
  --close-after N  every connection ends after its Nth reply, announced by "Connection: close"
  --drop-after N   the same, unannounced: the client finds out when it sends the next request
  --silent         read each request and never answer it
Usage: fixed_reply_server.py PORT [--close-after N | --drop-after N | --silent]
"""
import argparse
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("port", type=int)
parser.add_argument("--close-after", type=int, default=0)
parser.add_argument("--drop-after", type=int, default=0)
parser.add_argument("--silent", action="store_true")
args = parser.parse_args()

lock = threading.Lock()
served = 0
never = threading.Event()  # --silent handlers wait on it forever (daemon threads: no leak)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="application/json", last=False):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        if last:
            self.send_header("Connection", "close")  # also sets self.close_connection
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        global served
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        if args.silent:
            never.wait()
        # One handler instance per connection: count its replies.
        self.replies = getattr(self, "replies", 0) + 1
        last = args.close_after > 0 and self.replies >= args.close_after
        if args.drop_after > 0 and self.replies >= args.drop_after:
            self.close_connection = True  # closed after this reply, without telling the client
        with lock:
            served += 1
        if "/tenants/bench-1/" in self.path:
            self.reply(422, '{"error":{"code":"invalid_input","message":"wrong feature count"}}',
                       last=last)
        else:
            self.reply(200, '{"predictions":[1]}', last=last)

    def do_GET(self):
        if self.path == "/metrics":
            with lock:
                n = served
            self.reply(200, "# TYPE mf_cache_hits_total counter\nmf_cache_hits_total{node=\"w 1\"} %d\n"
                       "mf_models_loaded 3\n" % n, "text/plain; version=0.0.4")
        else:
            self.reply(200, '{"status":"ok"}')


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
print("ready", flush=True)
server.serve_forever()
