"""The main process's structures stay bounded (issue 6: peak memory independent of corpus size),
and the bounded versions give the same answers as the obvious in-memory ones."""
from __future__ import annotations

import random
import threading
import time
from collections import Counter
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsclean.corpus import dedup, templates
from newsclean.corpus.templates import LineCounter, _short, doc_key, line_key
from newsclean.executor import map_ordered
from newsclean.options import DedupOptions, TemplateOptions


def _batch(rng: random.Random, start: int, rows: int) -> pa.Table:
    lines = [f"footer line number {k}" for k in range(40)] + ["A long sentence " * 40]
    texts, sources, hashes = [], [], []
    for i in range(start, start + rows):
        paragraphs = rng.sample(lines, 6)
        texts.append("\n\n".join(paragraphs))
        sources.append(f"site-{i % 3}.example" if i % 7 else None)
        hashes.append(f"{rng.getrandbits(256):064x}" if i % 11 else "0" * 64)  # some exact copies
    return pa.table({"source": sources, "text": texts, "content_hash": hashes})


def _reference_templates(tables: list[pa.Table], options: TemplateOptions) -> set[tuple[str, int]]:
    """The template (source, line) pairs by the definition, all in memory."""
    docs_of: dict[tuple[str, int], set[int]] = {}
    sources_of: dict[int, set[str]] = {}
    source_docs: dict[str, set[int]] = {}
    for table in tables:
        for row in table.to_pylist():
            if row["source"] is None:
                continue
            doc = doc_key(row["content_hash"])
            source_docs.setdefault(row["source"], set()).add(doc)
            for paragraph in row["text"].split("\n\n"):
                if _short(paragraph, options.max_words):
                    key = line_key(paragraph)
                    docs_of.setdefault((row["source"], key), set()).add(doc)
                    sources_of.setdefault(key, set()).add(row["source"])
    return {(source, key) for (source, key), docs in docs_of.items()
            if len(sources_of[key]) == 1 and len(docs) >= options.min_docs
            and len(docs) / len(source_docs[source]) >= options.min_share}


def test_line_counter_buffers_little_and_finds_the_same_templates(tmp_path, monkeypatch):
    monkeypatch.setattr(templates, "SPILL_ROWS", 500)
    monkeypatch.setattr(templates, "AGGREGATE_ROWS", 20)  # every bucket aggregated in hash slices
    options = TemplateOptions(min_docs=3, min_share=0.1)
    counter = LineCounter(tmp_path / "lines", options)
    rng = random.Random(5)
    tables = []
    for n in range(40):
        table = _batch(rng, n * 50, 50)
        tables.append(table)
        counter.observe(table)
        assert counter.buffered < templates.SPILL_ROWS + 50 * 7  # one batch past the threshold at most
    assert counter.parts >= 5
    found = pq.read_table(counter.templates())
    pairs = set(zip(found["source"].to_pylist(), found["line"].to_pylist()))
    assert pairs == _reference_templates(tables, options)
    sources = Counter(found["source"].to_pylist())
    assert sum(sources.values()) == found.num_rows


def test_line_counter_finds_source_only_lines(tmp_path, monkeypatch):
    monkeypatch.setattr(templates, "SPILL_ROWS", 100)
    monkeypatch.setattr(templates, "AGGREGATE_ROWS", 10)
    options = TemplateOptions(min_docs=3, min_share=0.3)
    counter = LineCounter(tmp_path / "lines", options)
    tables = []
    for n in range(30):
        source = ("alpha", "beta", "gamma")[n % 3] + ".example"  # no digits: numbers normalise to 0
        text = f"Only on {source}.\n\nThe body of story {n} is long enough to be a body paragraph here."
        table = pa.table({"source": [source], "text": [text], "content_hash": [f"{n + 1:016x}" + "0" * 48]})
        tables.append(table)
        counter.observe(table)
    found = pq.read_table(counter.templates())
    assert set(zip(found["source"].to_pylist(), found["line"].to_pylist())) == \
        _reference_templates(tables, options) == {(f"{k}.example", line_key(f"Only on {k}.example."))
                                                  for k in ("alpha", "beta", "gamma")}
    assert found["source_docs"].to_pylist() == [10, 10, 10]


def test_signature_rows_read_exactly_the_rows_asked(tmp_path):
    options = DedupOptions(num_perm=16, bands=4)
    path = tmp_path / "signatures.parquet"
    writer = dedup.SignatureWriter(path, options)
    rng = np.random.default_rng(1)
    matrix = rng.integers(0, 2**32, size=(1_000, 16), dtype=np.uint32)
    for start in range(0, 1_000, 300):
        chunk = matrix[start:start + 300]
        data = pa.table({"id": [f"d{i}" for i in range(start, start + len(chunk))],
                         "content_hash": [f"{i:064x}" for i in range(start, start + len(chunk))],
                         "word_count": [10] * len(chunk), "published": pa.nulls(len(chunk), pa.timestamp("us")),
                         "source": [None] * len(chunk), "url": [None] * len(chunk),
                         "provenance": ["p"] * len(chunk)})
        writer.write(data, chunk)
    writer.close()
    for rows in (np.array([], np.int64), np.array([0, 1, 2, 999]),
                 np.unique(rng.integers(0, 1_000, 300)), np.arange(0, 1_000, 97)):
        assert np.array_equal(dedup.signature_rows(path, rows, 16), matrix[rows])


def _slow_on_multiples_of_four(item: int) -> tuple[int, float]:
    """Items 0, 4, 8 ... finish after the items submitted behind them."""
    time.sleep(0.05 if item % 4 == 0 else 0.0)
    return item, time.monotonic()


def _parent_pid(_: int) -> int:
    import os
    return os.getppid()


def test_workers_are_forked_unless_another_python_thread_runs():
    """Forked workers are this process's children; a forkserver's are the forkserver's."""
    import os

    from newsclean.executor import start_method

    if threading.active_count() > 1:
        pytest.skip("a thread of the test runner's runs: workers come from a forkserver")
    assert start_method() == "fork"
    assert set(map_ordered(_parent_pid, range(4), workers=2)) == {os.getpid()}
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert start_method() == "forkserver"
        assert os.getpid() not in set(map_ordered(_parent_pid, range(4), workers=2))
    finally:
        release.set()
        thread.join()
    assert start_method() == "fork"


def test_a_callers_frozen_objects_stay_frozen():
    import gc

    from newsclean.executor import run_beside

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert list(map_ordered(_square, range(4), workers=2)) == [0, 1, 4, 9]
        assert run_beside(partial(_square, 3), workers=2).result() == 9
        assert frozen > 0 and gc.get_freeze_count() > 0  # not unfrozen (frozen objects may be freed)
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("fails", [False, True])
@pytest.mark.parametrize("caller_froze", [False, True])
def test_a_run_sets_the_collector_for_itself_and_gives_it_back(tmp_path, monkeypatch, caller_froze, fails):
    """During a run the imports are frozen (by the run, unless the caller froze objects itself)
    and the generations are collected less often; afterwards, failed or not, the caller's
    thresholds and freeze are as they were."""
    import gc

    import newsclean.executor as executor
    from conftest import REPO
    from newsclean import run
    from newsclean.publish.release import ReleaseBuilder

    seen = []
    write_tables = ReleaseBuilder.write_tables

    def observed(self):
        seen.append((gc.get_threshold(), gc.get_freeze_count(), executor._run_froze))
        if fails:
            raise OSError("disk full")
        return write_tables(self)

    monkeypatch.setattr(ReleaseBuilder, "write_tables", observed)
    before = gc.get_threshold()
    gc.set_threshold(500, 7, 9)
    if caller_froze:
        gc.freeze()
    try:
        if fails:
            with pytest.raises(OSError, match="disk full"):
                run([REPO / "seeds"], tmp_path / "out")
        else:
            run([REPO / "seeds"], tmp_path / "out")
        assert gc.get_threshold() == (500, 7, 9)
        assert (gc.get_freeze_count() > 0) == caller_froze  # a caller's freeze is left in place
        assert executor._run_froze is False
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    (thresholds, frozen_in_run, run_froze), = seen
    assert thresholds == executor.RUN_COLLECTOR_THRESHOLDS and frozen_in_run > 0
    assert run_froze is not caller_froze


def test_inside_a_run_what_was_made_since_its_freeze_is_frozen_before_a_fork(monkeypatch):
    import gc

    import newsclean.executor as executor

    gc.freeze()  # as collector_for_run does
    monkeypatch.setattr(executor, "_run_froze", True)
    try:
        before = gc.get_freeze_count()
        made = [[n] for n in range(1_000)]  # containers the collector tracks
        assert list(map_ordered(_square, range(4), workers=2)) == [0, 1, 4, 9]
        assert gc.get_freeze_count() > before + len(made) // 2  # frozen, and left so: the run unfreezes
    finally:
        gc.unfreeze()


def _square(n: int) -> int:
    return n * n


@pytest.mark.parametrize("workers", [2, 3])
def test_map_ordered_keeps_order(workers):
    """Results come back in input order even when later items finish first."""
    items = list(range(24))
    results = list(map_ordered(_slow_on_multiples_of_four, items, workers=workers))
    assert [item for item, _ in results] == items
    finished = [at for _, at in results]
    assert finished != sorted(finished)  # the children really did finish out of order


def test_the_forkserver_is_stopped_before_publishing_and_restarts_for_the_next_run(tmp_path, monkeypatch):
    """When workers come from a forkserver, its pages are its own once they are gone (~150 MB):
    it is stopped after the last pool of a run, and the next run with workers starts a new one."""
    import dataclasses
    import json
    from multiprocessing import forkserver

    import newsclean.publish.release as release
    from newsclean import executor, run
    from newsclean.options import Options

    running = []  # the forkserver's pid when the run stops it
    monkeypatch.setattr(executor, "start_method", lambda: "forkserver")  # as with a caller's thread

    def stop():
        running.append(forkserver._forkserver._forkserver_pid)
        executor.stop_forkserver()

    monkeypatch.setattr(release, "stop_forkserver", stop)

    path = tmp_path / "in.jsonl"
    rng = random.Random(4)
    words = "council bridge river school market harvest storm hospital museum train airport union".split()
    texts = [" ".join(" ".join(rng.choice(words) for _ in range(14)).capitalize() + "." for _ in range(3))
             for _ in range(6)]
    path.write_text("".join(json.dumps({"id": f"d{n}", "text": t}) + "\n" for n, t in enumerate(texts)))
    options = dataclasses.replace(Options(), workers=2, batch_docs=2)
    seen = []
    for n in range(2):
        summary = run([path], tmp_path / f"out{n}", options)
        assert summary.published == 6
        seen.append(forkserver._forkserver._forkserver_pid)
    assert seen == [None, None]
    assert None not in running and len(set(running)) == 2  # it ran, and each run had its own


def _pid_and_sum(numbers: list[int]) -> tuple[int, int]:
    import os
    return os.getpid(), sum(numbers)


def _fails() -> None:
    raise ValueError("no such table")


def _dies() -> None:
    import os
    os._exit(3)


class _NeedsTwoArguments(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a} {b}")


def _fails_unpicklably() -> None:
    raise _NeedsTwoArguments("a", "b")  # pickles, but unpickling calls __init__ with one argument


def _sleeps() -> None:
    time.sleep(60)


def test_run_beside_gives_the_result_of_a_child_or_of_this_process():
    import os

    from newsclean.executor import run_beside

    numbers = list(range(1_000))  # not pickled: the child has them from the fork
    child_pid, total = run_beside(partial(_pid_and_sum, numbers), workers=2).result()
    assert total == sum(numbers) and child_pid != os.getpid()
    assert run_beside(partial(_pid_and_sum, numbers), workers=1).result() == (os.getpid(), sum(numbers))
    for workers in (1, 2):
        with pytest.raises(ValueError, match="no such table"):
            run_beside(_fails, workers).result()
    with pytest.raises(ValueError) as raised:
        run_beside(_fails, workers=2).result()
    assert any("in the process beside" in note and "_fails" in note for note in raised.value.__notes__)
    with pytest.raises(RuntimeError, match="exit code 3"):
        run_beside(_dies, workers=2).result()
    with pytest.raises(RuntimeError, match="cannot be sent back"):
        run_beside(_fails_unpicklably, workers=2).result()


def test_a_wait_cut_short_stops_the_child():
    import signal

    from newsclean.executor import run_beside

    def interrupt(signum, frame):
        raise TimeoutError("waited long enough")

    beside = run_beside(_sleeps, workers=2)
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        with pytest.raises(TimeoutError):
            beside.result()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not beside.process.is_alive() and beside.process.exitcode is not None
