"""README tables are generated from benchmarks/results/*.json and cannot drift from them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_script():
    spec = importlib.util.spec_from_file_location("readme_tables", ROOT / "benchmarks" / "readme_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


readme_tables = _load_script()


def test_committed_readme_matches_the_json():
    text = (ROOT / "README.md").read_text()
    assert readme_tables.render(text) == text, "README tables are stale: run python benchmarks/readme_tables.py"


def test_reactor_network_and_p1_numbers_come_from_the_json():
    """The numbers the issue found out of date: offline +9.97 (not +9.8), hot surge -40.6 (not -43)."""
    compare = readme_tables.TABLES["cstr_compare"](readme_tables.RESULTS)
    assert "| reactor offline | **+10.0 %** | +4.1 % |" in compare
    assert "| hot feed surge | **−40.6 %** | +1.1 % |" in compare
    p1 = readme_tables.TABLES["operability_p1"](readme_tables.RESULTS)
    assert "| DMA-MR network | 30 × 30 | dask-2 | 0.58 | 525 | 100 % | yes |" in p1


def test_render_replaces_only_between_markers(tmp_path, monkeypatch):
    (tmp_path / "demo.json").write_text(json.dumps({"rows": [[1, 2.5], [3, -4.0]]}))
    monkeypatch.setattr(readme_tables, "TABLES", {})

    @readme_tables.table("demo")
    def demo(results: Path) -> str:
        return readme_tables.markdown(["n", "x"], [[n, readme_tables.signed(x)] for n, x
                                                   in readme_tables.load(results, "demo")["rows"]])

    text = "intro | kept |\n<!-- table:demo -->\nold\n<!-- /table:demo -->\nafter\n"
    out = readme_tables.render(text, tmp_path)
    assert out == ("intro | kept |\n<!-- table:demo -->\n| n | x |\n| --- | --- |\n| 1 | +2.5 % |\n"
                   "| 3 | −4.0 % |\n<!-- /table:demo -->\nafter\n")
    assert readme_tables.render(out, tmp_path) == out
    with pytest.raises(ValueError, match="registered twice"):
        readme_tables.table("demo")(demo)


@pytest.mark.parametrize(("text", "problem"), [
    ("<!-- table:nope -->\n<!-- /table:nope -->\n", "unknown table 'nope'"),
    ("<!-- table:demo -->\nno end\n", "no closing"),
    ("nothing marked\n", "registered but has no markers"),
    ("<!-- table:demo -->\n<!-- /table:demo -->\n" * 2, "marked more than once"),
])
def test_bad_markers_are_named(monkeypatch, text, problem):
    monkeypatch.setattr(readme_tables, "TABLES", {"demo": lambda results: "| x |\n"})
    with pytest.raises(ValueError, match=problem):
        readme_tables.render(text)


def test_check_mode_reports_a_stale_readme(tmp_path, capsys):
    readme = tmp_path / "README.md"
    current = (ROOT / "README.md").read_text()
    readme.write_text(current.replace("| nominal | +5.4 % | +5.5 % |", "| nominal | +9.9 % | +5.5 % |"))
    assert readme_tables.main(["--check", "--readme", str(readme)]) == 1
    assert "stale" in capsys.readouterr().err
    assert readme_tables.main(["--readme", str(readme)]) == 0
    assert readme.read_text() == current
    assert readme_tables.main(["--check", "--readme", str(tmp_path / "missing.md")]) == 2


@pytest.mark.parametrize("recorded", ["python cstr_network_idaes.py 4 24", "python benchmarks/cstr_network_idaes.py 4 24",
                                      "python3.11 /tmp/clone/benchmarks/cstr_network_idaes.py 4 24"])
def test_commands_are_shown_as_run_from_the_repository_root(recorded):
    assert readme_tables.shown_command({"command": recorded}) == "python benchmarks/cstr_network_idaes.py 4 24"
