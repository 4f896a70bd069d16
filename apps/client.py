#!/usr/bin/python3
"""The raw-TCP client for the apps that send the file with no protocol
(java-*, netty-fileregion, python-sendfile): connect, read to EOF, print
`bytes N sha256 HEX`. Exit 1 if --expect N is given and N bytes did not arrive.

usage: client.py HOST PORT [--expect N]
"""
import hashlib
import socket
import sys

args = sys.argv[1:]
if len(args) not in (2, 4) or (len(args) == 4 and args[2] != "--expect"):
    print("usage: client.py HOST PORT [--expect N]", file=sys.stderr)
    sys.exit(2)
h, n = hashlib.sha256(), 0
with socket.create_connection((args[0], int(args[1])), timeout=60) as s:
    while chunk := s.recv(1 << 20):
        h.update(chunk)
        n += len(chunk)
print(f"bytes {n} sha256 {h.hexdigest()}")
sys.exit(1 if len(args) == 4 and n != int(args[3]) else 0)
