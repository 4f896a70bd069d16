#!/usr/bin/python3
"""Summarizes an `strace -f -yy` log of an app serving a file: per syscall that
moves bytes, the calls, the bytes (sum of positive return values), the return
sizes seen, the threads (tids) making them and the fd kinds (file / TCP);
plus every thread seen. What apps/GROUND-TRUTH.md is written from.

usage: strace-summary.py STRACE_LOG DATA_FILE [--json]

Calls are grouped by syscall and by what their fds are: `data` (DATA_FILE),
`TCP` (a TCP socket), `file` (any other file), or the kind strace shows
(pipe, UNIX, anon_inode:...). sendfile/splice show `in->out`.
"""
import collections
import json
import re
import sys

MOVERS = {"read", "write", "pread64", "readv", "writev", "preadv", "pwritev", "sendfile", "sendfile64",
          "splice", "sendmsg", "sendto", "recvfrom", "recvmsg", "io_uring_enter", "mmap"}
LINE = re.compile(r"^(\d+)\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()(.*)$")


DATA = ""


def kind(t: str) -> str:
    if t == DATA:
        return "data"
    if t.startswith(("TCP", "UDP", "UNIX", "NETLINK")) or t.startswith("socket:"):
        return t.split(":")[0]
    if t.startswith("pipe:"):
        return "pipe"
    if t.startswith("anon_inode:"):
        return t
    return "file"


def fd_kind(args: str) -> str:
    m = re.match(r"\s*-?\d+<([^>]*)>", args)
    return kind(m.group(1)) if m else "?"


def summarize(path: str, data: str) -> dict:
    global DATA
    DATA = data
    pending: dict[tuple[str, str], str] = {}
    calls = collections.defaultdict(lambda: {"calls": 0, "bytes": 0, "sizes": collections.Counter(),
                                             "tids": collections.Counter(),
                                             "errors": collections.Counter()})
    tids = set()
    for raw in open(path):
        m = LINE.match(raw.rstrip("\n"))
        if not m:
            continue
        tid, resumed, name, rest = m.group(1), m.group(2), m.group(3), m.group(4)
        tids.add(tid)
        if resumed:
            name = resumed
            rest = pending.pop((tid, name), "") + rest
        elif rest.endswith("<unfinished ...>"):
            pending[(tid, name)] = rest[: -len("<unfinished ...>")]
            continue
        if name not in MOVERS:
            continue
        r = re.search(r"\)\s+=\s+(-?\d+|0x[0-9a-f]+|\?)(?:\s+(E\w+))?", rest)
        if not r:
            continue
        fds = re.findall(r"-?\d+<([^>]*)>", rest)
        if name in ("sendfile", "sendfile64"):  # sendfile(out, in, ...)
            where = "->".join(kind(t) for t in reversed(fds[:2]))
        elif name == "splice":  # splice(in, off, out, ...)
            where = "->".join(kind(t) for t in fds[:2])
        elif name == "mmap":  # mmap(addr, len, prot, flags, fd, off)
            where = kind(fds[0]) if fds else "anon"
        else:
            where = fd_kind(rest)
        c = calls[f"{name} {where}"]
        c["calls"] += 1
        c["tids"][tid] += 1
        if r.group(2):
            c["errors"][r.group(2)] += 1
        elif name == "mmap":
            ln = re.match(r"[^,]*,\s*(\d+)", rest)
            if ln:
                c["bytes"] += int(ln.group(1))
                c["sizes"][int(ln.group(1))] += 1
        elif r.group(1).lstrip("-").isdigit() and int(r.group(1)) >= 0:
            c["bytes"] += int(r.group(1))
            c["sizes"][int(r.group(1))] += 1
    out = {"threads": len(tids), "syscalls": {}}
    for name, c in sorted(calls.items()):
        out["syscalls"][name] = {"calls": c["calls"], "bytes": c["bytes"],
                                 "tids": len(c["tids"]), "errors": dict(c["errors"]),
                                 "sizes": dict(c["sizes"].most_common(6))}
    return out


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    s = summarize(sys.argv[1], sys.argv[2])
    if "--json" in sys.argv:
        print(json.dumps(s))
    else:
        print(f"threads seen: {s['threads']}")
        for name, c in s["syscalls"].items():
            print(f"{name:28} calls {c['calls']:6}  bytes {c['bytes']:10}  threads {c['tids']}  errors {c['errors']}  sizes {c['sizes']}")
