"""The idaes-ml command line, the end-to-end flash demo and the case studies' own commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from idaes_ml.cli import main
from idaes_ml.nn import load_network

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"T": rng.uniform(300, 400, 60), "P": rng.uniform(1, 3, 60)})
    df["h"] = 0.03 * df["T"] + df["P"] ** 2
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    return path, df


def test_train_then_export(table, tmp_path, capsys):
    path, df = table
    out = tmp_path / "nets"
    assert main(["train", str(path), "--inputs", "T,P", "--outputs", "h", "--hidden", "8",
                 "--epochs", "300", "--out", str(out), "--name", "unit", "--no-export"]) == 0
    assert "R²" in capsys.readouterr().out
    assert (out / "unit.pt").exists() and (out / "unit_training.png").exists()
    assert not (out / "unit.onnx").exists()
    assert main(["export", str(out / "unit.pt"), "--out", str(out), "--name", "unit"]) == 0
    net = load_network(out, "unit")
    assert net.input_labels == ["T", "P"] and net.output_labels == ["h"]
    pred = net.predict(df[["T", "P"]])["h"]
    assert np.corrcoef(pred, df["h"])[0, 1] > 0.95


def test_train_names_missing_columns(table, capsys):
    path, _ = table
    assert main(["train", str(path), "--inputs", "T,Q", "--outputs", "h"]) == 2
    assert "['Q'] not in" in capsys.readouterr().err


def test_export_rejects_a_non_checkpoint(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    assert main(["export", str(bad), "--out", str(tmp_path)]) == 2
    assert "not an idaes_ml network checkpoint" in capsys.readouterr().err


def test_solvers_report(capsys):
    assert main(["solvers", "--no-install"]) == 0
    out = capsys.readouterr().out
    assert "ipopt" in out and "cbc" in out


@pytest.mark.slow
def test_demo_end_to_end(tmp_path, capsys):
    from flowsheets.flash_demo.demo import run_demo

    assert run_demo(tmp_path, n_points=40, max_epochs=800) == 0
    out = capsys.readouterr().out
    assert "hybrid solves optimal" in out
    for name in ("flash.onnx", "flash_idaes_info.json", "training_curve.png", "hybrid_parity.png",
                 "flowsheet_data.csv", "hybrid_results.csv"):
        assert (tmp_path / name).exists(), name
    hybrid = pd.read_csv(tmp_path / "hybrid_results.csv")
    assert hybrid["status"].notna().all() and (hybrid["status"] == "optimal").mean() >= 0.5
    hybrid = hybrid[hybrid["status"] == "optimal"]
    truth = pd.read_csv(tmp_path / "flowsheet_data.csv").set_index(["feed_a_flow", "heater_T"])
    joined = hybrid.set_index(["feed_a_flow", "heater_T"]).join(truth, rsuffix="_truth")
    # the hybrid flowsheet reproduces first principles to within a few percent of the flow
    assert (joined["vap_flow_mol"] - joined["vap_flow_mol_truth"]).abs().max() < 0.1


@pytest.mark.slow
def test_ground_truth_dask_equals_serial():
    from flowsheets.flash_demo.ground_truth import sample_dataset

    serial = sample_dataset(3, seed=5, progress=False)
    dask = sample_dataset(3, seed=5, client=2, progress=False)
    assert (serial["status"] == "optimal").all()
    pd.testing.assert_frame_equal(serial, dask)


@pytest.mark.parametrize("module", ["flowsheets.flash_demo", "flowsheets.polymerization"])
def test_case_study_commands_run_as_modules(module):
    """The case studies' commands live with them (``make demo`` runs the first), not in ``idaes-ml``."""
    proc = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: python -m {module}")


def test_demo_command_rejects_bad_options(capsys):
    from flowsheets.flash_demo.__main__ import main as demo_main

    with pytest.raises(SystemExit) as exc:
        demo_main(["--points", "0"])
    assert exc.value.code == 2 and "--points" in capsys.readouterr().err
