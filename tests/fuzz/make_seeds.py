#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/ from the captured fixtures.

fuzz_bgp_stream: a context byte + a whole capture session; fuzz_bgp_update: a context byte + one
UPDATE body; fuzz_bgp_open: one OPEN body. Context bits are decoded by fuzz_context.h.
"""
import glob
import os

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "fixtures")
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    sessions = {}
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*", "*.hex"))):
        msg = bytes.fromhex(open(path).read().strip())
        peer = os.path.basename(os.path.dirname(path))
        base = f"{peer}-{os.path.basename(path)[:-4]}"
        sessions.setdefault((peer, os.path.basename(path)[:2]), []).append(msg)
        body = msg[19:]
        if msg[18] == 1:
            write("fuzz_bgp_open", base, body)
        elif msg[18] == 2:
            for ctx in (0, 1, 4, 8 | 16):
                write("fuzz_bgp_update", f"{base}-ctx{ctx}", bytes([ctx]) + body)
    for (peer, fam), msgs in sessions.items():
        write("fuzz_bgp_stream", f"{peer}-{fam}", bytes([0]) + b"".join(msgs))
    # Hand-made: keepalive, notification with data, route-refresh BoRR.
    hdr = lambda t, body: b"\xff" * 16 + (19 + len(body)).to_bytes(2, "big") + bytes([t]) + body
    write("fuzz_bgp_stream", "small-messages",
          bytes([2]) + hdr(4, b"") + hdr(3, bytes([6, 2, 4]) + b"bye!") + hdr(5, bytes([0, 2, 1, 1])))


if __name__ == "__main__":
    main()
