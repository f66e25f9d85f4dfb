"""`--engine ray` on a cluster of two nodes (Ray's own `ray.cluster_utils.Cluster`, both nodes on
this machine): the release is the local engine's, byte for byte, and the work ran where it must.

The corpus stage's files (sorted runs, pass 2's ranges, the signature files, the fold, the
release being built, and the unit stage when it is on the driver's disk) are on the driver's
node only, so every task that opens them has a hard affinity to that node; the actors and the
tasks given only values (object refs, arrays, tables) may run on any node. On one machine every
node can read the driver's disk, so the release alone cannot show a task misplaced: the test reads
Ray's task events (each task's function and the node it ran on) and requires that every task
reading the driver's disk ran on the driver's node (the head), that the other node ran actors
and tasks, and that no remote function ran that this test does not classify (a new one must be
placed here, on purpose, before the test passes).

The head has 3 CPUs, 2 of them held by an idle actor of the test, and the other node 2; the run
asks for 2 actors (below the 3 free CPUs). Two actors do not fit in the head's free CPU, so at
least one runs on the other node; and the head being more than half busy, Ray's default
scheduler (which keeps a task on the driver's node only while that node is less than half busy)
places a task free to run anywhere on the other node: an unpinned task reading the driver's disk,
even a round of one task, shows up there (checked by unpinning `write_data_shard` and
`fold_to_files` in turn: the test fails). The pinned tasks share the head's one free CPU.
"""
from __future__ import annotations

import dataclasses
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import cli
from newsclean import run
from newsclean.engines import RayEngine
from newsclean.engines.ray_actors import drivers_node_problem
from newsclean.options import Options, PublishOptions
from test_determinism import _corpus, _release_bytes

ray = pytest.importorskip("ray")

# remote functions that open files on the driver's disk: hard affinity to the driver's node
# (engines/ray_ranges.py, ray_templates.py with the unit stage on that disk, ray_dedup.py,
# ray_shards.py, ray_checks.py)
ON_DRIVERS_NODE = {"merge_group", "clean_range", "read_units", "read_keys", "check_pairs",
                   "write_components", "fold_to_files", "plan_from_files", "write_data_shard",
                   "count_side_range", "side_range_starts", "write_side_shard", "shard_keys", "check_shard"}
# the corpus stage's tasks given only values (object refs of arrays and tables): any node
GROUPING = {"exact_partition", "band_partition", "partition_stars", "count_partition", "threshold_partition",
            "bucket_repeats"}
# the actors and the newline counts read the inputs, which every node must reach; `_Holder`: the test's
ANYWHERE = GROUPING | {"StepsActor", "count_chunk", "_Holder"}
# the rounds the patched run must have run
PATCHED_RUN_ROUNDS = ON_DRIVERS_NODE | GROUPING - {"band_partition"} | {"StepsActor", "count_chunk"}
RUN_SECONDS = 150  # a run that hangs (a task waiting for a CPU it never gets) fails instead


@contextmanager
def _deadline(seconds: int):
    def expired(*_):
        raise TimeoutError(f"the Ray run took more than {seconds} s (a task waiting for a CPU?)")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _hold_a_cpu(node: str):
    """An idle actor holding 2 CPUs of `node` (the head's 3): the head more than half busy, a task
    free to run anywhere goes to the other node (module docstring)."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    class _Holder:  # defined here: shipped by value (the workers cannot import this test module)
        def ready(self) -> bool:
            return True
    on_node = NodeAffinitySchedulingStrategy(node, soft=False)
    holder = ray.remote(num_cpus=2, scheduling_strategy=on_node)(_Holder).remote()
    ray.get(holder.ready.remote(), timeout=60)
    return holder


@pytest.fixture(scope="module")
def cluster():
    """A head node of 3 CPUs (2 held) and another node of 2 CPUs, this process connected to the
    cluster as a driver of its own; both shut down whatever the tests do."""
    from ray.cluster_utils import Cluster

    if ray.is_initialized():
        ray.shutdown()
    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 3, "include_dashboard": False})
    try:
        other = nodes.add_node(num_cpus=2)
        nodes.wait_for_nodes(timeout=60)
        ray.init(address=nodes.address, include_dashboard=False, logging_level="WARNING")
        holder = _hold_a_cpu(nodes.head_node.node_id)
        yield nodes.address, nodes.head_node.node_id, other.node_id
        ray.kill(holder)
    finally:
        ray.shutdown()
        nodes.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[Path]:
    """The multi-source corpus of the Ray identity test (template lines, copies, bad records)."""
    folder = tmp_path_factory.mktemp("multinode") / "in"
    folder.mkdir()
    return _corpus(folder)


def _options() -> Options:
    # shards of 3 rows: several data, removals and rejects shards, each a task
    return dataclasses.replace(Options(), batch_docs=5, publish=PublishOptions(shard_rows=3))


def _name(event) -> str:
    """A task's function, or an actor's class (for its creation and its methods' tasks)."""
    from ray.core.generated.common_pb2 import TaskType

    parts = event.task_info.func_or_class_name.split(".")
    actor = event.task_info.type in (TaskType.ACTOR_CREATION_TASK, TaskType.ACTOR_TASK)
    return parts[-2] if actor and len(parts) > 1 else parts[-1]


def _placements(jobs: set[str], required: set[str]) -> dict[str, set[str]]:
    """Each remote function (or actor class) of the drivers `jobs` (hex job ids), and the nodes
    (hex ids) it ran on, from Ray's task events. The public state API (`ray list tasks`) needs the
    dashboard (`ray[default]`), which the test extra does not install; the other Ray tests read
    actors through the same private module."""
    import time

    found: dict[str, set[str]] = {}
    for _ in range(40):  # task events reach the GCS within a second or two of the task
        found = {}
        for event in ray._private.state.state._get_all_task_events():
            if event.job_id.hex() not in jobs or not event.task_info.func_or_class_name:
                continue
            nodes = {update.node_id.hex() for update in [event.state_updates] if update.node_id}
            found.setdefault(_name(event), set()).update(nodes)
        if set(found) >= required and all(found.values()):
            break
        time.sleep(0.5)
    return found


def _check_placements(jobs: set[str], head: str, other: str, required: set[str]) -> dict[str, set[str]]:
    """The placements of `jobs`' functions, checked: every one classified, the `required` ones
    run, those reading the driver's disk on the head only, an actor on the other node."""
    found = _placements(jobs, required)
    assert set(found) - ON_DRIVERS_NODE - ANYWHERE == set(), "remote functions this test does not place"
    assert required - set(found) == set(), "rounds that did not run"
    misplaced = {name: nodes for name, nodes in found.items() if name in ON_DRIVERS_NODE and nodes != {head}}
    assert misplaced == {}, "tasks reading the driver's disk ran off the driver's node"
    assert other in found["StepsActor"], "no actor on the other node"
    actors = [actor for actor in ray._private.state.actors().values()
              if actor.get("ActorClassName") == "StepsActor" and actor.get("JobID") in jobs]
    assert len(actors) == 2 and other in {actor["Address"]["NodeID"] for actor in actors}
    return found


def test_a_driver_whose_node_has_no_cpu_is_refused_before_any_work(corpus, tmp_path):
    """A head started with no CPU for tasks (as Ray advises for large clusters) and a node of 1
    CPU: the tasks pinned to the driver's node could never run there (Ray fails them when the
    first is submitted, after the per-document phase), so the run is refused at once, in one
    line, with nothing staged or published. Its own cluster, before the module's is started."""
    from ray.cluster_utils import Cluster

    nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    try:
        nodes.add_node(num_cpus=1)
        nodes.wait_for_nodes(timeout=60)
        result = cli("run", *map(str, corpus), "--out", str(tmp_path / "dist"), "--engine", "ray",
                     "--address", nodes.address, timeout=RUN_SECONDS)
    finally:
        nodes.shutdown()
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "newsclean: --engine ray: this machine's Ray node has no CPU for tasks" in result.stderr
    assert not (tmp_path / "dist").exists() and not list(tmp_path.glob(".dist.units-*/unit-*"))  # nothing made


def test_the_drivers_node_must_be_in_the_cluster_and_give_a_cpu():
    nodes = [{"NodeID": "a", "Alive": True, "Resources": {"CPU": 2.0}},
             {"NodeID": "b", "Alive": True, "Resources": {"memory": 1e9}},
             {"NodeID": "c", "Alive": False, "Resources": {"CPU": 4.0}}]
    assert drivers_node_problem(False, "a", nodes) is None
    assert "no CPU" in drivers_node_problem(False, "b", nodes)
    assert "no CPU" in drivers_node_problem(False, "c", nodes)  # a dead node's CPUs run nothing
    assert "Ray Client" in drivers_node_problem(True, "a", nodes)  # the driver's disk is outside the cluster


def test_two_nodes_publish_the_local_release_with_disk_tasks_on_the_drivers_node(cluster, corpus, tmp_path,
                                                                                  monkeypatch):
    """Through the API, the driver being this process: every round of tasks made to run (several
    runs of every table merged down in groups, by tasks only, id ranges of 4 rows, units of 4 kB
    so that the newlines are counted and several units read by each actor), the inputs reversed,
    2 actors."""
    import newsclean.corpus.ranges as ranges
    import newsclean.engines.ray_ranges  # noqa: F401  (the tasks' functions, bound before the patches)
    import newsclean.publish.runs as release_runs
    import newsclean.publish.shards as shards

    address, head, other = cluster
    monkeypatch.chdir(corpus[0].parent)
    assert ray.get_runtime_context().get_node_id() == head  # the driver joins the head node
    run(corpus, tmp_path / "local", _options())
    local = _release_bytes(tmp_path / "local")
    with monkeypatch.context() as patch, _deadline(RUN_SECONDS):
        patch.setattr(release_runs, "SPILL_BYTES", 1)
        patch.setattr(shards, "MAX_MERGE_RUNS", 2)
        patch.setattr(ranges, "RANGE_ROWS", 4)

        def in_the_driver(*_args, **_kwargs):
            raise AssertionError("the driver merged runs itself")
        patch.setattr(shards, "merge_group", in_the_driver)  # the driver's copy: data, removals, rejects
        engine = RayEngine(address=address, actors=2, unit_bytes=4096)
        summary = run(corpus[::-1], tmp_path / "ray", dataclasses.replace(_options(), workers=2), engine=engine)
    assert summary.published > 0 and summary.rejected > 0
    got = _release_bytes(tmp_path / "ray")
    assert sorted(got) == sorted(local)
    assert [name for name in local if got[name] != local[name]] == []
    found = _check_placements({ray.get_runtime_context().get_job_id()}, head, other, PATCHED_RUN_ROUNDS)
    assert other in set().union(*(found[name] for name in GROUPING & set(found))), \
        "no grouping task ran on the other node"


def test_the_cli_joins_a_cluster_of_two_nodes(cluster, corpus, tmp_path):
    """`newsclean run ... --engine ray --address ADDRESS --workers 2`, a driver process of its own
    joining the cluster (on the head node, as a run started there does): the local release byte
    for byte, the tasks reading its disk on its node, an actor on the other."""
    address, head, other = cluster
    jobs_before = {job["JobID"] for job in ray._private.state.state.job_table()}
    out = tmp_path / "ray"
    run(corpus, tmp_path / "local", _options())
    result = cli("-v", "run", *map(str, corpus[::-1]), "--out", str(out), "--engine", "ray", "--address", address,
                 "--workers", "2", "--unit-mb", "0.004", "--shard-rows", "3", timeout=RUN_SECONDS)
    assert result.returncode == 0, result.stderr
    assert _release_bytes(out) == _release_bytes(tmp_path / "local")
    assert "ray: 2 actors on" in result.stderr, result.stderr
    jobs = {job["JobID"] for job in ray._private.state.state.job_table()} - jobs_before
    assert len(jobs) == 1
    _check_placements(jobs, head, other, {"StepsActor", "read_units", "read_keys", "write_data_shard",
                                                       "check_shard", "fold_to_files", "clean_range"})
