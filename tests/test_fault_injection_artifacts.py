"""Fault injection on artifacts and solver processes (issue 21).

* corrupt or truncated ONNX files, external data, metadata and checkpoints: a clear error
  naming the file, and no good artifact overwritten by a failed write;
* two processes writing the same artifacts: every read sees one complete version;
* an Ipopt solve killed by Pyomo's time limit leaves no process behind;
* the warm Ipopt helper (``idaes_ml.solvers.server``) killed between calls: the next solve works.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import time
import uuid
from pathlib import Path
from subprocess import TimeoutExpired

import numpy as np
import onnx
import pandas as pd
import pyomo.environ as pyo
import pytest
import torch

from idaes_ml.errors import MetadataError
from idaes_ml.io import atomic_write, write_json
from idaes_ml.nn import ScaledNetwork, export_onnx, load_checkpoint, load_network, save_checkpoint

X = pd.DataFrame({"u": np.linspace(0.0, 1.0, 20), "v": np.linspace(5.0, 1.0, 20) ** 2})
Y = pd.DataFrame({"y": X.u * X.v})


def network(seed: int = 0) -> ScaledNetwork:
    return ScaledNetwork.from_data(X, Y, hidden=(16, 16), seed=seed)


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file of ``directory`` (temporary files included) with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


# -- corrupt and truncated artifacts -----------------------------------------------------------------
def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _external(directory: Path) -> None:
    """Re-save the exported network with its weights as external data, ``net.onnx.data``."""
    model = onnx.load(str(directory / "net.onnx"))
    onnx.save_model(model, str(directory / "net.onnx"), save_as_external_data=True, location="net.onnx.data",
                    size_threshold=0)


@pytest.mark.parametrize(("damage", "message"), [
    (lambda d: _truncate(d / "net.onnx"), r"net\.onnx .*is not a valid ONNX model"),
    (lambda d: (d / "net.onnx").write_bytes(b"\x00garbage" * 50), r"net\.onnx .*is not a valid ONNX model"),
    (lambda d: (_external(d), _truncate(d / "net.onnx.data")), r"net\.onnx .*is not a valid ONNX model"),
    (lambda d: (_external(d), (d / "net.onnx.data").unlink()), r"net\.onnx\.data"),
    (lambda d: _truncate(d / "net_idaes_info.json"), r"net_idaes_info\.json is not valid JSON"),
    (lambda d: (d / "net_idaes_info.json").write_text('{"input_labels": ["u"]}'), r"net_idaes_info\.json lacks"),
], ids=["truncated", "garbage", "truncated-external-data", "missing-external-data", "truncated-json",
        "incomplete-json"])
def test_damaged_network_files_are_named_and_left_alone(tmp_path, damage, message):
    export_onnx(network(), tmp_path, "net")
    damage(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(MetadataError, match=message):
        load_network(tmp_path, "net")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("damage", [_truncate, lambda p: p.write_bytes(b""), lambda p: p.write_bytes(os.urandom(999))],
                         ids=["truncated", "empty", "random"])
def test_damaged_checkpoint_is_named_and_left_alone(tmp_path, damage):
    path = save_checkpoint(network(), tmp_path / "net.pt")
    damage(path)
    before = snapshot(tmp_path)
    with pytest.raises(MetadataError, match=r"net\.pt is not an idaes_ml network checkpoint"):
        load_checkpoint(path)
    assert snapshot(tmp_path) == before


def test_failed_writes_overwrite_nothing(tmp_path):
    """An export, checkpoint or file write that fails leaves the previous good files, and no temporary ones."""
    good = network()
    export_onnx(good, tmp_path, "net")
    save_checkpoint(good, tmp_path / "net.pt")
    before = snapshot(tmp_path)
    broken = network(seed=1)
    with torch.no_grad():
        broken.module[0].weight[0, 0] = float("nan")  # onnxruntime-vs-torch parity cannot hold
    with pytest.raises(AssertionError, match="differs from torch"):
        export_onnx(broken, tmp_path, "net")
    with pytest.raises(MetadataError, match="lack inputs"):
        export_onnx(network(seed=1), tmp_path, "net", input_bounds={"u": (0.0, 1.0)})
    broken.module.append(torch.nn.Dropout())
    with pytest.raises(ValueError, match="cannot checkpoint"):
        save_checkpoint(broken, tmp_path / "net.pt")
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_write(tmp_path / "net_idaes_info.json") as fh:
            fh.write('{"half": ')
            raise RuntimeError("disk full")
    assert snapshot(tmp_path) == before
    pd.testing.assert_frame_equal(load_network(tmp_path, "net").predict(X), good.predict(X).astype("float32"),
                                  check_dtype=False, atol=1e-4)


# -- two processes writing the same artifacts ------------------------------------------------------------
def _writer(directory: str, seed: int, rounds: int) -> None:
    torch.set_num_threads(1)
    net = network(seed)
    for i in range(rounds):
        export_onnx(net, directory, "net")
        save_checkpoint(net, Path(directory) / "net.pt")
        write_json({"seed": seed, "payload": [seed] * 20000, "round": i}, Path(directory) / "table.json")


def test_two_writers_leave_one_complete_version(tmp_path):
    expected = {seed: network(seed).predict(X)["y"].to_numpy() for seed in (1, 2)}
    ctx = multiprocessing.get_context("fork")
    writers = [ctx.Process(target=_writer, args=(str(tmp_path), seed, 12)) for seed in (1, 2)]
    for w in writers:
        w.start()
    reads = 0
    while any(w.is_alive() for w in writers) or reads == 0:
        if not (tmp_path / "table.json").exists():
            continue
        doc = json.loads((tmp_path / "table.json").read_text())  # never half a file
        assert doc["payload"] == [doc["seed"]] * 20000
        pred = load_network(tmp_path, "net").predict(X)["y"].to_numpy()
        assert any(np.allclose(pred, e, atol=1e-4) for e in expected.values())  # one writer's network
        ckpt = load_checkpoint(tmp_path / "net.pt").predict(X)["y"].to_numpy()
        assert any(np.allclose(ckpt, e) for e in expected.values())
        reads += 1
    for w in writers:
        w.join()
        assert w.exitcode == 0
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


# -- solver processes ------------------------------------------------------------------------------------
def _marked_processes(mark: str) -> dict[int, str]:
    """``{pid: command line}`` of processes started with environment entry ``IDAES_ML_TEST_MARK=mark``."""
    found = {}
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and f"IDAES_ML_TEST_MARK={mark}".encode() in (proc / "environ").read_bytes():
                found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # ended meanwhile, or not ours to read
            continue
    return found


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:  # ended meanwhile
        pass


def _wait_for(condition, timeout: float = 20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return condition()


@pytest.fixture
def private_solver(monkeypatch):
    """Ipopt calls from this test get their own warm helper (own TMPDIR) and a mark in their environment;
    the helper is ended afterwards, by its process id."""
    mark, tmp = uuid.uuid4().hex, tempfile.mkdtemp(prefix="ipopt", dir="/tmp")  # short: a socket path
    monkeypatch.setenv("IDAES_ML_TEST_MARK", mark)
    monkeypatch.setenv("TMPDIR", tmp)
    yield mark
    for pid in _marked_processes(mark):
        _kill(pid)
    shutil.rmtree(tmp, ignore_errors=True)


def _servers(mark: str) -> list[int]:
    return [pid for pid, cmd in _marked_processes(mark).items() if "idaes_ml.solvers.server" in cmd]


def _listening_servers(mark: str) -> list[int]:
    """The helper processes, once one of them accepts connections on a socket in this test's TMPDIR
    (a helper still importing casadi would make the next solve start a second one)."""
    for sock_file in Path(os.environ["TMPDIR"]).glob("*.sock"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(str(sock_file)) == 0:
                return _servers(mark)
    return []


def small() -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=0.0)
    m.o = pyo.Objective(expr=(m.x - 2.0) ** 2)
    return m


def slow(n: int = 1000) -> pyo.ConcreteModel:
    """A dense-Hessian problem that takes Ipopt (with MUMPS) far longer than a second."""
    m = pyo.ConcreteModel()
    m.i = pyo.RangeSet(n)
    m.x = pyo.Var(m.i, initialize=lambda m, i: 1.0 + i / n)
    m.o = pyo.Objective(expr=sum(m.x[i] ** 2 for i in m.i) ** 2 + sum((m.x[i] - i / n) ** 2 for i in m.i))
    return m


def _solve_small() -> None:
    m = small()
    pyo.assert_optimal_termination(pyo.SolverFactory("ipopt").solve(m))
    assert pyo.value(m.x) == pytest.approx(2.0)


@pytest.mark.parametrize("server", ["1", "0"])
def test_solver_killed_by_time_limit_leaves_no_process(private_solver, monkeypatch, server):
    monkeypatch.setenv("IDAES_ML_IPOPT_SERVER", server)
    if server == "1":  # the first call solves in-process and starts the helper; the next go through it
        _solve_small()
        assert _wait_for(lambda: _listening_servers(private_solver))
    with pytest.raises(TimeoutExpired):
        pyo.SolverFactory("ipopt").solve(slow(), timelimit=1)
    helpers = _servers(private_solver)
    assert _wait_for(lambda: set(_marked_processes(private_solver)) == set(helpers), 10.0), \
        _marked_processes(private_solver)  # only the idle helper, no solve left running
    _solve_small()


def test_warm_helper_killed_between_calls(private_solver):
    _solve_small()
    first = _wait_for(lambda: _listening_servers(private_solver))
    _solve_small()  # through the helper
    for pid in _servers(private_solver):
        _kill(pid)
    assert _wait_for(lambda: not _servers(private_solver), 5.0)
    _solve_small()  # a stale socket: solved in-process, and a new helper is started
    second = _wait_for(lambda: _listening_servers(private_solver))
    assert second and not set(second) & set(first)
    _solve_small()
