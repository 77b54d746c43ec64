#!/usr/bin/env python3
"""daemon_raw.py - raw socket conversations with trawicd for the tests.

  daemon_raw.py SOCK lines LINE...     send each line, print one answer per line
  daemon_raw.py SOCK huge BYTES        send BYTES of JSON without a newline;
                                       print the answer and whether the daemon closed
  daemon_raw.py SOCK idle              connect, send nothing; print seconds until closed
  daemon_raw.py SOCK slowreader JOB N  ask N results of JOB without reading, then
                                       read; print how many came before a close
  daemon_raw.py SOCK watch-drop JOB    send a watch, read one event, disconnect
  daemon_raw.py SOCK interleave JOB    watch JOB, then ping on the same connection;
                                       print 'ping-before-end' if the ping answer
                                       came before the end event
  daemon_raw.py SOCK split             one request sent a byte at a time, two
                                       requests in one write; print the answers
Exit status 0 unless the conversation broke (printed on stderr).
"""
import json
import socket
import sys
import time


def connect(path, timeout=30):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


class Lines:
    def __init__(self, s):
        self.s, self.buf = s, b""

    def next(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                return None
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()


def main():
    path, mode, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "lines":
        s = connect(path)
        r = Lines(s)
        for line in args:
            s.sendall(line.encode() + b"\n")
            a = r.next()
            if a is None:
                print("CLOSED")
                return 0
            print(a)
        return 0
    if mode == "huge":
        n = int(args[0])
        s = connect(path)
        r = Lines(s)
        chunk = b'{"v":1,"id":1,"op":"ping","pad":"' + b"x" * 65536
        sent = 0
        try:
            while sent < n:
                s.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        a = r.next()
        print(a)
        try:
            rest = s.recv(1)
            print("closed" if rest == b"" else "open")
        except (ConnectionResetError, socket.timeout):
            print("closed")
        return 0
    if mode == "idle":
        s = connect(path, timeout=60)
        t0 = time.time()
        try:
            d = s.recv(1)
        except ConnectionResetError:
            d = b""
        print("%.2f %s" % (time.time() - t0, "closed" if d == b"" else "data"))
        return 0
    if mode == "idle-ping":
        idle = connect(path, timeout=60)
        t0 = time.time()
        s = connect(path)
        r = Lines(s)
        p0 = time.time()
        for i in range(20):
            s.sendall(b'{"v":1,"id":%d,"op":"ping"}\n' % i)
            if json.loads(r.next()).get("pong") is not True:
                print("bad pong")
                return 1
        ms = (time.time() - p0) * 1000
        idle.setblocking(False)
        try:
            idle.recv(1)
            still = "no"
        except BlockingIOError:
            still = "yes"
        idle.setblocking(True)
        try:
            d = idle.recv(1)
        except ConnectionResetError:
            d = b""
        print("pings=20 ms=%d idle-open-meanwhile=%s closed-after=%.2f %s" % (
            ms, still, time.time() - t0, "closed" if d == b"" else "data"))
        return 0
    if mode == "slowreader":
        # ask for a result N times without reading; then read what is left
        s = connect(path)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        req = ('{"v":1,"id":1,"op":"result","job":"%s"}\n' % args[0]).encode()
        try:
            for _ in range(int(args[1])):
                s.sendall(req)
        except (BrokenPipeError, ConnectionResetError):
            pass
        time.sleep(float(args[2]) if len(args) > 2 else 1.5)
        r = Lines(s)
        n = 0
        try:
            while n < int(args[1]):
                if r.next() is None:
                    break
                n += 1
        except (ConnectionResetError, socket.timeout):
            pass
        print("answers=%d of %s: %s" % (n, args[1], "closed" if n < int(args[1]) else "all"))
        return 0
    if mode == "watch-drop":
        s = connect(path)
        r = Lines(s)
        s.sendall(('{"v":1,"id":1,"op":"watch","job":"%s"}\n' % args[0]).encode())
        print(r.next())
        s.close()
        return 0
    if mode == "interleave":
        s = connect(path)
        r = Lines(s)
        s.sendall(('{"v":1,"id":"w","op":"watch","job":"%s"}\n' % args[0]).encode())
        first = json.loads(r.next())
        if first.get("event") != "status":
            print("watch did not start: %s" % first)
            return 0
        s.sendall(b'{"v":1,"id":"p","op":"ping"}\n')
        order = []
        while True:
            a = r.next()
            if a is None:
                print("CLOSED")
                return 1
            m = json.loads(a)
            if m.get("id") == "p":
                order.append("ping")
            elif m.get("event") == "end":
                order.append("end")
                break
        print("ping-before-end" if order and order[0] == "ping" else "order: %s" % order)
        return 0
    if mode == "split":
        s = connect(path)
        r = Lines(s)
        for b in b'{"v":1,"id":1,"op":"ping"}\n':
            s.sendall(bytes([b]))
            time.sleep(0.001)
        s.sendall(b'{"v":1,"id":2,"op":"ping"}\n{"v":1,"id":3,"op":"version"}\n')
        for _ in range(3):
            print(r.next())
        return 0
    print("unknown mode", mode, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
