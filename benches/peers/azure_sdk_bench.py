"""Microsoft's Azure Storage SDK for Python (azure-storage-blob) doing what
wharf-load's blob rows do through wharfd, against the same Azurite: the
store's own figure for each row. wharf-load runs one operation per process
and reads the one line of KEY=VALUE words it prints (seconds, bytes, items,
latencies_ms as a comma-separated list); the time is taken inside, around
the storage calls only (not the interpreter's start or the imports).

    python azure_sdk_bench.py --connection-string CS --container C OP ...

OP is one of
    setup --big NAME --size BYTES --list-prefix P --list-count N
        creates the container, a blob NAME of BYTES and N empty blobs under
        P (what RETR and LIST read); prints nothing timed
    stor --name NAME --size BYTES     upload of BYTES from memory
    retr --name NAME                  download, bytes discarded
    small --prefix P --count N --size BYTES
        N times: upload a blob of BYTES, download it, delete it
    list --prefix P                   list the blobs directly under P

Uploads and downloads keep up to --concurrency requests in flight (4, as
wharfd keeps up to 4 parts of an upload in flight), in 8 MiB blocks
(wharfd's part size); the rest are the SDK's defaults.
"""

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient

BLOCK = 8 * 1024 * 1024


class Sink:
    """A writable stream that counts and forgets what it is given. It says
    it is seekable: the SDK's parallel download seeks before each write."""

    def __init__(self):
        self.count = 0
        self.position = 0

    def seekable(self):
        return True

    def tell(self):
        return self.position

    def seek(self, position, whence=0):
        self.position = position
        return position

    def write(self, data):
        self.count += len(data)
        self.position += len(data)
        return len(data)


def container_client(args):
    service = BlobServiceClient.from_connection_string(
        args.connection_string,
        max_block_size=BLOCK,
        max_single_put_size=BLOCK,
        max_chunk_get_size=BLOCK,
        max_single_get_size=BLOCK,
    )
    return service.get_container_client(args.container)


def setup(client, args):
    try:
        client.create_container()
    except ResourceExistsError:
        pass
    client.upload_blob(
        args.big, b"\xa5" * args.size, overwrite=True, max_concurrency=args.concurrency
    )
    names = [f"{args.list_prefix}file-{i:05}.dat" for i in range(args.list_count)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda n: client.upload_blob(n, b"", overwrite=True), names))
    return {"seconds": 0.0}


def stor(client, args):
    data = b"\x5a" * args.size
    started = time.perf_counter()
    client.upload_blob(args.name, data, overwrite=True, max_concurrency=args.concurrency)
    seconds = time.perf_counter() - started
    size = client.get_blob_client(args.name).get_blob_properties().size
    if size != args.size:
        sys.exit(f"stor: {args.name} holds {size} bytes of {args.size}")
    client.delete_blob(args.name)
    return {"seconds": seconds, "bytes": args.size}


def retr(client, args):
    sink = Sink()
    started = time.perf_counter()
    client.download_blob(args.name, max_concurrency=args.concurrency).readinto(sink)
    return {"seconds": time.perf_counter() - started, "bytes": sink.count}


def small(client, args):
    payload = b"\x3c" * args.size
    latencies = []
    started = time.perf_counter()
    for i in range(args.count):
        name = f"{args.prefix}sdk-{i}.bin"
        op = time.perf_counter()
        client.upload_blob(name, payload, overwrite=True)
        got = client.download_blob(name).readall()
        if len(got) != args.size:
            sys.exit(f"small: {name} gave {len(got)} bytes of {args.size}")
        client.delete_blob(name)
        latencies.append((time.perf_counter() - op) * 1000.0)
    return {"seconds": time.perf_counter() - started, "latencies_ms": latencies}


def listing(client, args):
    started = time.perf_counter()
    items = sum(1 for _ in client.walk_blobs(name_starts_with=args.prefix, delimiter="/"))
    return {"seconds": time.perf_counter() - started, "items": items}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connection-string", required=True)
    parser.add_argument("--container", required=True)
    parser.add_argument("--concurrency", type=int, default=4)
    ops = parser.add_subparsers(dest="op", required=True)
    op = ops.add_parser("setup")
    op.add_argument("--big", required=True)
    op.add_argument("--size", type=int, required=True)
    op.add_argument("--list-prefix", required=True)
    op.add_argument("--list-count", type=int, required=True)
    op = ops.add_parser("stor")
    op.add_argument("--name", required=True)
    op.add_argument("--size", type=int, required=True)
    op = ops.add_parser("retr")
    op.add_argument("--name", required=True)
    op = ops.add_parser("small")
    op.add_argument("--prefix", required=True)
    op.add_argument("--count", type=int, required=True)
    op.add_argument("--size", type=int, required=True)
    op = ops.add_parser("list")
    op.add_argument("--prefix", required=True)
    args = parser.parse_args()

    run = {"setup": setup, "stor": stor, "retr": retr, "small": small, "list": listing}
    result = run[args.op](container_client(args), args)
    words = []
    for key, value in result.items():
        if isinstance(value, list):
            value = ",".join(f"{v:.3f}" for v in value)
        words.append(f"{key}={value}")
    print(" ".join(words), flush=True)


if __name__ == "__main__":
    main()
