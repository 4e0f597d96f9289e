#!/usr/bin/env python3
"""Prints (or, imported, returns) a TCP port that is free on 127.0.0.1.

Why not bind to port 0: the kernel hands out port 0 binds from the ephemeral range, the same range
it uses for the local end of outgoing connections. Between our pick and the server's bind, a load
generator in a parallel test opening connections can take that very port, and the server then
fails with "Address already in use" (seen in CI: the bench smoke's router). Ports just below the
ephemeral range are never used for outgoing connections, so only another explicit bind can race
us, and a random pick among ~12,000 ports verified by a bind makes that rare."""
import random
import socket
import sys

SPAN = 12000


def ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(host="127.0.0.1"):
    high = ephemeral_low()
    low = max(1024, high - SPAN)
    for _ in range(200):
        port = random.randrange(low, high)
        s = socket.socket()
        try:
            s.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free TCP port on %s in %d-%d" % (host, low, high - 1))


if __name__ == "__main__":
    print(free_port(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"))
