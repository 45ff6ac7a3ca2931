"""``idaes-ml invert`` on any exported network: a small network of s = u1 + u2, p = u1 * u2."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from idaes_ml.cli import main
from idaes_ml.inverse import MultistartResult, StartResult
from idaes_ml.inverse import targets as targets_module
from idaes_ml.nn import MLPRegressor, export_onnx, load_network

TRUTH = pd.DataFrame({"u1": [0.4, 0.75], "u2": [2.0, 1.5]})


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> str:
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"u1": rng.uniform(0, 1, 300), "u2": rng.uniform(1, 3, 300)})
    X.loc[:1, ["u1", "u2"]] = [[0.0, 1.0], [1.0, 3.0]]  # training box exactly [0,1] x [1,3]
    Y = pd.DataFrame({"s": X.u1 + X.u2, "p": X.u1 * X.u2})
    reg = MLPRegressor(hidden=(16,), max_epochs=500, batch_size=None, learning_rate=3e-2,
                       patience=200, progress=False).fit(X, Y)
    d = tmp_path_factory.mktemp("toy")
    export_onnx(reg, d, "toy")
    return str(d / "toy")


@pytest.fixture
def target(model, tmp_path):
    """Targets = the network's own predictions at TRUTH (so the inputs are recoverable exactly)."""
    directory, _, name = model.rpartition("/")
    path = tmp_path / "target.csv"
    load_network(directory, name).predict(TRUTH).to_csv(path, index=False)
    return path


def _invert(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main(["invert", *map(str, argv)])
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_recovers_the_inputs_of_every_target(model, target, tmp_path, capsys):
    code, out, _ = _invert(capsys, "--model", model, "--target", target, "--starts", "3")
    assert code == 0
    saved = pd.read_csv(tmp_path / "target_inversion.csv")
    assert list(saved["status"]) == ["ok", "ok"] and saved["reachable"].all()
    assert saved[["u1", "u2"]].to_numpy() == pytest.approx(TRUTH.to_numpy(), abs=2e-3)
    assert (saved[["u1_width", "u2_width"]] < 0.1).all().all()  # both outputs pin both inputs
    assert (saved[["n_converged", "n_starts"]] == 3).all().all()
    ranges = pd.read_csv(tmp_path / "target_ranges.csv")
    assert len(ranges) == 4 and set(ranges["input"]) == {"u1", "u2"}
    assert len(pd.read_csv(tmp_path / "target_starts.csv")) == 6
    assert "row 0: ok" in out and "row 1: ok" in out and "identifiable range" in out
    assert "2 of 2 targets solved" in out


def test_one_output_leaves_an_input_unidentified(model, target, tmp_path, capsys):
    code, _, _ = _invert(capsys, "--model", f"{model}.onnx", "--target", target, "--outputs", "s",
                         "--bounds", "u2=1.5:2.5", "--starts", "2", "--out", tmp_path / "o")
    assert code == 0
    saved = pd.read_csv(tmp_path / "o" / "target_inversion.csv").iloc[0]
    # s = u1 + u2 = 2.4 is a line: u2 spans its (narrowed) box, u1 = 2.4 - u2 in [0, 0.9]
    assert saved["u2_low"] == pytest.approx(1.5, abs=0.02) and saved["u2_high"] == pytest.approx(2.4, abs=0.03)
    assert saved["u1_width"] > 0.85 and "pred_p" in saved.index


def test_status_is_reported_per_target(model, target, tmp_path, capsys, monkeypatch):
    real = targets_module.multistart

    def second_row_fails(problem, **kw):
        if problem.target["s"] < 2.3:  # the second target (s = 2.25)
            return MultistartResult([StartResult({"u1": 0.5, "u2": 2.0}, status="maxIterations", ok=False)])
        return real(problem, **kw)

    monkeypatch.setattr(targets_module, "multistart", second_row_fails)
    pd.concat([pd.read_csv(target), pd.DataFrame({"s": [30.0], "p": [1.0]})]).to_csv(target, index=False)
    code, out, _ = _invert(capsys, "--model", model, "--target", target, "--starts", "2", "--no-ranges")
    assert code == 1  # a target with no converged start
    saved = pd.read_csv(tmp_path / "target_inversion.csv")
    assert saved["status"][0] == "ok" and saved["status"][1].startswith("no start converged")
    assert "maxIterations" in saved["status"][1] and "row 1: FAILED" in out
    assert saved["status"][2] == "ok" and not saved["reachable"][2]  # unreachable: nearest point, flagged
    assert saved.loc[2, ["u1", "u2"]].tolist() == pytest.approx([1.0, 3.0], abs=1e-3)
    assert not (tmp_path / "target_ranges.csv").exists()
    assert "failed rows [1]" in out


def test_resimulation_hook(model, target, tmp_path, capsys, monkeypatch):
    (tmp_path / "truth_model.py").write_text(
        "def simulate(x):\n    return {'s': x['u1'] + x['u2'], 'p': x['u1'] * x['u2']}\n\n"
        "def broken(x):\n    raise RuntimeError('did not converge')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    code, out, _ = _invert(capsys, "--model", model, "--target", target, "--starts", "2", "--no-ranges",
                           "--resimulate", "truth_model:simulate")
    assert code == 0 and "re-simulation: misfit" in out
    saved = pd.read_csv(tmp_path / "target_inversion.csv")
    assert (saved["resim_status"] == "ok").all()
    assert saved["resim_s"].to_numpy() == pytest.approx(saved["u1"] + saved["u2"])
    code, out, _ = _invert(capsys, "--model", model, "--target", target, "--starts", "1", "--no-ranges",
                           "--resimulate", "truth_model:broken")
    assert code == 0 and "re-simulation failed: RuntimeError: did not converge" in out
    assert pd.read_csv(tmp_path / "target_inversion.csv")["resim_status"].str.startswith("failed").all()


@pytest.mark.parametrize(("table", "extra", "fragments"), [
    ("missing.csv", [], ["no table at", "missing.csv"]),
    ("s,zz\n1,2\n", [], ["unknown output label", "'zz'", "['s', 'p']"]),
    ("s,p\n1,2\n", ["--outputs", "s,q"], ["lacks columns ['q']"]),
    ("s,p\n2.4,\n", [], ["row 0", "'p'", "NaN"]),
    ("s,p\n2.4,0.8\n2.4,abc\n", [], ["row 1", "'p'", "not a number"]),
    ("s,p\n", [], ["no rows"]),
    ("s,p\n2.4,0.8\n", ["--bounds", "u1=0:2"], ["'u1'", "leave the training domain"]),
    ("s,p\n2.4,0.8\n", ["--bounds", "u3=0:1"], ["'u3' is not an input of toy"]),
    ("s,p\n2.4,0.8\n", ["--bounds", "u1=0.8:0.2"], ["--bounds", "LOW < HIGH"]),
    ("s,p\n2.4,0.8\n", ["--bounds", "u1"], ["--bounds", "LABEL=LOW:HIGH"]),
    ("s,p\n2.4,0.8\n", ["--sigma", "q=1"], ["sigma names 'q'"]),
    ("s,p\n2.4,0.8\n", ["--sigma", "s=0"], ["sigma of 's'", "> 0"]),
    ("s,p\n2.4,0.8\n", ["--resimulate", "no_such_module_here:f"], ["--resimulate", "No module named"]),
    ("s,p\n2.4,0.8\n", ["--starts", "0"], ["--starts", ">= 1"]),
])
def test_bad_input_is_one_error_line(model, tmp_path, capsys, table, extra, fragments):
    path = tmp_path / ("missing.csv" if table == "missing.csv" else "t.csv")
    if table != "missing.csv":
        path.write_text(table)
    code, out, err = _invert(capsys, "--model", model, "--target", path, *extra)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "error:" in lines[0] and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0]
    assert out == "" and not list(tmp_path.glob("*_inversion.csv"))


def test_missing_model_is_one_error_line(tmp_path, capsys):
    (tmp_path / "t.csv").write_text("s,p\n1,2\n")
    code, _, err = _invert(capsys, "--model", tmp_path / "nowhere" / "net", "--target", tmp_path / "t.csv")
    assert code == 2 and err.strip() == f"error: ONNX file {tmp_path / 'nowhere' / 'net.onnx'} does not exist"
    code, _, err = _invert(capsys, "--target", tmp_path / "t.csv")
    assert code == 2 and "--model" in err


def test_demo_moved_to_the_case_study(capsys):
    assert main(["demo"]) == 2
    assert "python -m flowsheets.flash_demo" in capsys.readouterr().err
