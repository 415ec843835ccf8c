"""A user-space impaired link between two network namespaces.

The kernel the tests run on has no netem (CONFIG_NET_SCH_NETEM is off),
so the link is built here instead: one TUN device in each namespace and
this process forwarding IP packets between them, dropping, delaying,
holding back (so later packets overtake: reordering) and, on request,
corrupting them on the way.

    python3 impaired_link.py NS_A_PATH NS_B_PATH IFNAME CONTROL STATS SEED

NS_*_PATH are namespace files (/run/netns/NAME). The process joins each
namespace in turn with setns(2) to create IFNAME there; a TUN file
descriptor stays bound to the device in the namespace it was made in, so
one process serves both. "ready" on stdout says both devices exist; the
caller then addresses them and brings them up. The devices vanish when
the process ends.

CONTROL is a JSON file, read again whenever its mtime changes (so the
caller switches impairments while transfers run; it writes a new file and
renames it over the old):

    {"a_to_b": DIR, "b_to_a": DIR}
    DIR = {"loss": 0.05, "delay_ms": 20, "reorder": 0.25, "silent": false,
           "corrupt_once": false}

loss: probability of dropping a packet. delay_ms: one-way delay.
reorder: probability that a packet is held back a further
max(delay_ms, 5) ms, so the packets behind it arrive first. silent: drop
everything. corrupt_once: flip the last byte of the next TCP segment
carrying at least 1000 payload bytes and fix its checksum, so TCP takes
the bad byte (for proving that a byte-exact check can fail).

STATS is rewritten (via rename) every half second and at exit, one
"DIRECTION COUNTER VALUE" line per counter: per direction, packets
received, dropped, sent, sent out of order ("reordered": sent after a
packet that arrived later) and corrupted.
"""

import ctypes
import errno
import fcntl
import heapq
import json
import os
import random
import select
import signal
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
MTU_READ = 65536

DIRECTIONS = ("a_to_b", "b_to_a")
DEFAULT = {
    "loss": 0.0,
    "delay_ms": 0.0,
    "reorder": 0.0,
    "silent": False,
    "corrupt_once": False,
}


def open_tun(namespace, name):
    """Creates TUN device `name` in the namespace at path `namespace`."""
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(namespace, os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + namespace)
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        request = struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI)
        fcntl.ioctl(fd, TUNSETIFF, request)
        if libc.setns(home, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns back")
        return fd
    finally:
        os.close(home)
        os.close(target)


def checksum(data):
    """The Internet checksum (RFC 1071) of `data`."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def corrupt(packet):
    """The packet with its TCP payload's last byte flipped and the TCP
    checksum made right again, or None when it is not an IPv4 TCP segment
    with at least 1000 payload bytes."""
    if len(packet) < 20 or packet[0] >> 4 != 4 or packet[9] != 6:
        return None
    ihl = (packet[0] & 0x0F) * 4
    total = struct.unpack("!H", packet[2:4])[0]
    segment = bytearray(packet[ihl:total])
    if len(segment) < 20:
        return None
    offset = (segment[12] >> 4) * 4
    if len(segment) - offset < 1000:
        return None
    segment[-1] ^= 0xFF
    segment[16:18] = b"\0\0"
    pseudo = packet[12:20] + struct.pack("!BBH", 0, 6, len(segment))
    segment[16:18] = struct.pack("!H", checksum(pseudo + bytes(segment)))
    return bytes(packet[:ihl]) + bytes(segment) + bytes(packet[total:])


class Link:
    def __init__(self, fds, control, stats, seed):
        self.fds = fds  # a, b
        self.control = control
        self.stats_path = stats
        self.random = random.Random(seed)
        self.settings = {d: dict(DEFAULT) for d in DIRECTIONS}
        self.mtime = None
        self.queue = []  # (due, arrival number, direction, packet)
        self.arrivals = 0
        self.last_sent = {d: -1 for d in DIRECTIONS}
        self.stats = {
            d: {k: 0 for k in ("received", "dropped", "sent", "reordered", "corrupted")}
            for d in DIRECTIONS
        }

    def reload(self):
        try:
            mtime = os.stat(self.control).st_mtime_ns
        except FileNotFoundError:
            return
        if mtime == self.mtime:
            return
        self.mtime = mtime
        with open(self.control) as f:
            wanted = json.load(f)
        for d in DIRECTIONS:
            merged = dict(DEFAULT)
            merged.update(wanted.get(d, {}))
            self.settings[d] = merged

    def write_stats(self):
        tmp = self.stats_path + ".tmp"
        with open(tmp, "w") as f:
            for direction, counts in self.stats.items():
                for name, value in counts.items():
                    f.write("%s %s %d\n" % (direction, name, value))
        os.replace(tmp, self.stats_path)

    def arrive(self, direction, packet, now):
        s = self.settings[direction]
        count = self.stats[direction]
        count["received"] += 1
        if s["silent"] or self.random.random() < s["loss"]:
            count["dropped"] += 1
            return
        if s["corrupt_once"]:
            bad = corrupt(packet)
            if bad is not None:
                packet = bad
                s["corrupt_once"] = False
                count["corrupted"] += 1
        delay = s["delay_ms"] / 1000.0
        if self.random.random() < s["reorder"]:
            delay += max(s["delay_ms"], 5.0) / 1000.0
        self.arrivals += 1
        heapq.heappush(self.queue, (now + delay, self.arrivals, direction, packet))

    def send_due(self, now):
        while self.queue and self.queue[0][0] <= now:
            _, number, direction, packet = heapq.heappop(self.queue)
            count = self.stats[direction]
            if number < self.last_sent[direction]:
                count["reordered"] += 1
            self.last_sent[direction] = max(self.last_sent[direction], number)
            out = self.fds[1] if direction == "a_to_b" else self.fds[0]
            try:
                os.write(out, packet)
                count["sent"] += 1
            except OSError as e:
                # A device not up yet, or a full queue: the packet is lost,
                # as on a real link.
                if e.errno not in (errno.EIO, errno.EAGAIN, errno.ENOBUFS, errno.EINVAL):
                    raise
                count["dropped"] += 1

    def run(self):
        last_stats = 0.0
        last_reload = 0.0
        while True:
            now = time.monotonic()
            if now - last_reload >= 0.05:
                self.reload()
                last_reload = now
            if now - last_stats >= 0.5:
                self.write_stats()
                last_stats = now
            timeout = 0.05
            if self.queue:
                timeout = max(0.0, min(timeout, self.queue[0][0] - now))
            readable, _, _ = select.select(self.fds, [], [], timeout)
            now = time.monotonic()
            for fd in readable:
                direction = "a_to_b" if fd == self.fds[0] else "b_to_a"
                for _ in range(64):
                    try:
                        packet = os.read(fd, MTU_READ)
                    except BlockingIOError:
                        break
                    self.arrive(direction, packet, now)
            self.send_due(time.monotonic())


def main():
    ns_a, ns_b, name, control, stats, seed = sys.argv[1:7]
    fds = (open_tun(ns_a, name), open_tun(ns_b, name))
    link = Link(fds, control, stats, int(seed))
    link.reload()
    link.write_stats()

    def stop(*_):
        link.write_stats()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    print("ready", flush=True)
    link.run()


if __name__ == "__main__":
    main()
