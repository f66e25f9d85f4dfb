#!/usr/bin/env python3
"""The driver's reads of the units' template count rows from an object-store stage, which it makes
only with `RayEngine(count_templates_in_tasks=False)`: `pq.read_table` per file, unit after unit
(the code before `unit_runs.READ_AHEAD`), against `unit_runs.read_counts` (each file fetched
whole) READ_AHEAD units ahead (`unit_runs._read_ahead`), on moto's S3 server with a latency
added to every request (a real store's time to first byte; moto's own answers take a few ms).

    python3 bench/staged_counts.py                        # 32 units, 0 and 20 ms a request
    python3 bench/staged_counts.py --units 64 --latency 0.05

Both ways must give the same tables (schema metadata included); reported: ms a unit, median of
the rounds, the two ways alternating.
"""
from __future__ import annotations

import argparse
import logging
import random
import statistics
import time

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

SOURCES = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--lines", type=int, default=40_000, help="count rows a unit (docs: a 20th of it)")
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.02], help="seconds added a request")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    for latency in args.latency:
        measure(args.units, args.lines, latency, args.rounds)


def measure(units: int, lines: int, latency: float, rounds: int) -> None:
    import moto.moto_server.threaded_moto_server as moto_server

    from newsclean.corpus.templates import LineCounts
    from newsclean.engines.staging import UnitStage
    from newsclean.engines.unit_runs import READ_AHEAD, UnitReceipt, _read_ahead, read_counts
    from newsclean.publish.storage import join

    app = moto_server.DomainDispatcherApplication

    class Slow:  # every request answered `latency` seconds later
        def __init__(self, *args, **kwargs):
            self.app = app(*args, **kwargs)

        def __call__(self, environ, start_response):
            time.sleep(latency)
            return self.app(environ, start_response)

    moto_server.DomainDispatcherApplication = Slow
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        fs = pafs.S3FileSystem(access_key="test", secret_key="test", region="us-east-1",
                               endpoint_override=f"http://{host}:{port}", allow_bucket_creation=True,
                               allow_delayed_open=True)
        fs.create_dir("corpus")
        stage = UnitStage("corpus/.dist.units-bench", fs)
        _stage_counts(stage, units, lines)
        size = sum(info.size for info in fs.get_file_info(pafs.FileSelector(stage.unit_folder(0))))

        def before() -> list[LineCounts]:
            return [LineCounts(*(pq.read_table(join(stage.unit_folder(n), f"{name}.parquet"), filesystem=fs)
                                 for name in ("line_docs", "line_lines"))) for n in range(units)]

        def now() -> list[LineCounts]:
            receipts = (UnitReceipt(n, None, (0, 0, 0)) for n in range(units))
            return [counts for _, counts in _read_ahead(receipts, lambda r: read_counts(stage, r.number), READ_AHEAD)]

        seconds = {"before": [], "now": []}
        for _ in range(rounds):
            got = {}
            for name, way in (("before", before), ("now", now)):
                started = time.perf_counter()
                got[name] = way()
                seconds[name].append(time.perf_counter() - started)
            assert len(got["now"]) == units and all(
                a.docs.equals(b.docs, check_metadata=True) and a.lines.equals(b.lines, check_metadata=True)
                for a, b in zip(got["before"], got["now"]))
        print(f"latency {latency * 1000:.0f} ms a request, {units} units of {size / 1024:.0f} KiB of count files")
        for name, times in seconds.items():
            print(f"  {name:7s} {statistics.median(times) * 1000 / units:6.1f} ms a unit "
                  f"(rounds: {', '.join(f'{t:.2f}' for t in times)} s)")
    finally:
        server.stop()
        moto_server.DomainDispatcherApplication = app


def _stage_counts(stage, units: int, lines: int) -> None:
    """Count rows shaped as a unit's: a row per document, a row per short line of a document."""
    from newsclean.publish.storage import join

    rng, docs = random.Random(1), lines // 20
    for n in range(units):
        first = n * docs
        stage.write_table(pa.table({"source": [f"site{rng.randrange(SOURCES)}" for _ in range(docs)],
                                    "doc": pa.array(range(first, first + docs), pa.int64())}),
                          join(stage.unit_folder(n), "line_docs.parquet"))
        stage.write_table(pa.table({"source": [f"site{rng.randrange(SOURCES)}" for _ in range(lines)],
                                    "line": pa.array([rng.getrandbits(62) for _ in range(lines)], pa.int64()),
                                    "doc": pa.array(sorted(rng.randrange(first, first + docs) for _ in range(lines)),
                                                    pa.int64())}),
                          join(stage.unit_folder(n), "line_lines.parquet"))


if __name__ == "__main__":
    main()
