"""CLI bad input: one ``error:`` line on stderr, exit code 2, no traceback; results alone on stdout."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
import torch
from scipy.stats import chi2

from flowsheets.polymerization.cli import invert_main
from flowsheets.polymerization.forward import ForwardModel, target_outputs
from flowsheets.polymerization.mmd import MMD_COLUMNS
from idaes_ml.cli import main
from idaes_ml.errors import DataError

ROOT = Path(__file__).resolve().parent.parent
POLYMER_MODEL = ROOT / "benchmarks" / "results" / "polymerization_models"
TARGET_COLUMNS = ["cBA_time", "Mn", "Mw", *MMD_COLUMNS]


def _run(entry, argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = entry(argv)
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0] and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def tables(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"T": rng.uniform(300, 400, 20), "P": rng.uniform(1, 3, 20)})
    df["h"] = 0.03 * df["T"] + df["P"] ** 2
    df.to_csv(tmp_path / "ok.csv", index=False)
    df.assign(h=df["h"].where(df.index != 3)).to_csv(tmp_path / "nan.csv", index=False)
    (tmp_path / "header_only.csv").write_text("T,P,h\n")
    (tmp_path / "blank.csv").write_text("")
    (tmp_path / "bad.parquet").write_text("not parquet")
    return tmp_path


@pytest.mark.parametrize(("csv", "extra", "fragments"), [
    ("missing.csv", [], ["no table at"]),
    ("ok.csv", ["--hidden", "8,x"], ["--hidden", "'8,x'"]),
    ("ok.csv", ["--epochs", "0"], ["--epochs", ">= 1"]),
    ("ok.csv", ["--epochs", "-3"], ["--epochs", ">= 1"]),
    ("nan.csv", ["--epochs", "5"], ["NaN"]),
    ("header_only.csv", [], ["2 training rows"]),
    ("blank.csv", [], ["blank.csv", "cannot read"]),
    ("bad.parquet", [], ["bad.parquet", "cannot read"]),
])
def test_train_errors_are_one_line(tables, capsys, csv, extra, fragments):
    argv = ["train", str(tables / csv), "--inputs", "T,P", "--outputs", "h", "--out", str(tables / "o"), *extra]
    code, _, err = _run(main, argv, capsys)
    _assert_one_line_error(code, err, *fragments)
    assert not (tables / "o" / "network.onnx").exists()  # nothing (untrained) exported


def test_export_errors_are_one_line(tmp_path, capsys):
    (tmp_path / "bytes.pt").write_bytes(b"not a checkpoint")
    torch.save(torch.nn.Linear(2, 1), tmp_path / "module.pt")  # a pickled module: torch's weights_only advice
    torch.save({"a": 1}, tmp_path / "dict.pt")
    code, _, err = _run(main, ["export", str(tmp_path / "missing.pt"), "--out", str(tmp_path)], capsys)
    _assert_one_line_error(code, err, "missing.pt", "does not exist")
    for name in ("bytes.pt", "module.pt", "dict.pt"):
        code, _, err = _run(main, ["export", str(tmp_path / name), "--out", str(tmp_path)], capsys)
        _assert_one_line_error(code, err, name, "is not an idaes_ml network checkpoint", "idaes-ml train")
        assert "weights_only" not in err


def test_console_script_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "idaes_ml.cli", "train", str(tmp_path / "missing.csv"),
                           "--inputs", "T", "--outputs", "h"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"error: no table at {tmp_path / 'missing.csv'}"]


@pytest.fixture(scope="module")
def heldout() -> pd.DataFrame:
    return pd.read_parquet(ROOT / "benchmarks" / "results" / "polymerization_heldout.parquet")


def _invert(tmp_path, capsys, frame: pd.DataFrame, name: str) -> tuple[int, str, str]:
    path = tmp_path / f"{name}.csv"
    frame.to_csv(path, index=False)
    return _run(invert_main, ["--target", str(path), "--model", str(POLYMER_MODEL), "--starts", "1",
                              "--no-ranges"], capsys)


def test_invert_bad_targets_are_one_line(heldout, tmp_path, capsys):
    row = heldout.iloc[[0]][TARGET_COLUMNS]
    text = row.astype({"MMD_7": object})
    text.loc[text.index[0], "MMD_7"] = "abc"
    code, _, err = _invert(tmp_path, capsys, text, "text")
    _assert_one_line_error(code, err, "non-numeric", "MMD_7")
    code, _, err = _invert(tmp_path, capsys, row.assign(MMD_101=0.0), "mmd101")
    _assert_one_line_error(code, err, "101 MMD columns", "MMD_101")
    code, _, err = _invert(tmp_path, capsys, row.drop(columns="MMD_100"), "mmd99")
    _assert_one_line_error(code, err, "lacks columns", "MMD_100", "has 99")
    code, _, err = _run(invert_main, ["--target", str(tmp_path / "text.csv"), "--starts", "0"], capsys)
    _assert_one_line_error(code, err, "--starts")
    code, _, err = _run(invert_main, ["--target", str(tmp_path / "text.csv"), "--client", "foo"], capsys)
    _assert_one_line_error(code, err, "--client", "scheduler address")


def test_invert_target_must_be_labelled(heldout):
    fm = ForwardModel.load(POLYMER_MODEL, "ba_forward")
    row = heldout.iloc[0][TARGET_COLUMNS]
    with pytest.raises(DataError, match="labelled row .* got ndarray"):
        target_outputs(fm, row.to_numpy())
    assert target_outputs(fm, row.to_dict()) == target_outputs(fm, row)


def test_invert_reports_the_misfit_p_value(heldout, tmp_path, capsys):
    code, out, _ = _invert(tmp_path, capsys, heldout.iloc[[1]][TARGET_COLUMNS], "good")
    assert code == 0
    saved = pd.read_csv(tmp_path / "good_inversion.csv").iloc[0]
    n_outputs = 3 + len(ForwardModel.load(POLYMER_MODEL, "ba_forward").score_labels)
    assert saved["p_value"] == pytest.approx(chi2.sf(saved["misfit"], n_outputs))
    assert bool(saved["reachable"]) == (saved["p_value"] >= 0.05)
    assert f"p = {saved['p_value']:.3g}" in out and f"chi-square, {n_outputs} outputs" in out


def test_pyomo_warnings_go_to_stderr(capfd):
    """Pyomo logs W1002 to stdout by default: inside the CLI it goes to stderr; the handlers come back after."""
    from idaes_ml.cli import logs_to_stderr

    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))
    before = logging.getLogger("pyomo").handlers[:]
    with logs_to_stderr():
        m.x.set_value(5)
    out, err = capfd.readouterr()
    assert "W1002" in err and out == ""
    assert logging.getLogger("pyomo").handlers == before
