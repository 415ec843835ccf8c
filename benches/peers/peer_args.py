"""The command line the peer scripts of benches/compare.sh share: where to
listen, what to serve, to whom, and which passive ports to take."""

import argparse


def parser(doc, passive_required):
    """A parser for --port, --root, --user, --password and --passive-ports,
    described by the first line of `doc`."""
    args = argparse.ArgumentParser(description=doc.splitlines()[0])
    args.add_argument("--port", type=int, required=True)
    args.add_argument("--root", required=True)
    args.add_argument("--user", required=True)
    args.add_argument("--password", required=True)
    args.add_argument("--passive-ports", required=passive_required, help="LOW-HIGH")
    return args


def port_range(text):
    """The ports LOW-HIGH names, both included."""
    low, high = (int(p) for p in text.split("-"))
    return range(low, high + 1)
