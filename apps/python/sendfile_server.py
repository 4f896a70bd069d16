#!/usr/bin/python3
"""python-sendfile: accepts one TCP connection (more with --keep), sends FILE
with socket.sendfile() (os.sendfile underneath on Linux), and closes it.

usage: sendfile_server.py HOST PORT FILE [--keep]
"""
import os
import socket
import sys


def main(argv: list[str]) -> int:
    if len(argv) < 3 or any(a != "--keep" for a in argv[3:]):
        print("usage: python-sendfile HOST PORT FILE [--keep]", file=sys.stderr)
        return 2
    host, port, path = argv[0], int(argv[1]), argv[2]
    keep = "--keep" in argv[3:]
    if not os.path.isfile(path):
        print(f"python-sendfile: FILE '{path}' is not a regular file", file=sys.stderr)
        return 2
    with socket.create_server((host, port)) as server:
        print(f"listening {server.getsockname()[1]}", flush=True)
        while True:
            conn, _ = server.accept()
            with conn, open(path, "rb") as f:
                conn.sendfile(f)
            if not keep:
                return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
