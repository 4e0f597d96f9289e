#!/usr/bin/env python3
"""A stand-in `modelfleet` binary for testing ops/up and ops/down without the real roles:
`<role> --help` exits 0; `coordinator|worker|router ...` prints the role's ready line and runs
until SIGTERM; the router also answers GET /readyz and /healthz with 200 on its --http port.
Client commands are not emulated (use MODELFLEET_SKIP_DEMO=1)."""
import http.server
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "ops"))
from free_port import free_port  # noqa: E402


def flag(args, name, default=""):
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return default


def main():
    args = sys.argv[1:]
    if not args or args[0] not in ("coordinator", "worker", "router"):
        print("fake modelfleet: only coordinator, worker and router", file=sys.stderr)
        return 2
    role = args[0]
    if "--help" in args:
        print(f"fake modelfleet {role}")
        return 0
    node = flag(args, "--id", f"{role}-{os.getpid()}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if role == "router":
        host, port = flag(args, "--http", "127.0.0.1:8080").rsplit(":", 1)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                code = 200 if self.path in ("/readyz", "/healthz") else 404
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status":"ok"}')

            def log_message(self, *_):
                pass

        server = http.server.ThreadingHTTPServer((host, int(port)), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(f"modelfleet router {node} ready http=http://{host}:{port} front={flag(args, '--front')}", flush=True)
    elif role == "worker":
        print(f"modelfleet worker {node} ready zmq=tcp://127.0.0.1:{free_port()} admin=http://127.0.0.1:{free_port()}", flush=True)
    else:
        print(f"modelfleet coordinator {node} ready admin=http://127.0.0.1:{free_port()}", flush=True)
    stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
