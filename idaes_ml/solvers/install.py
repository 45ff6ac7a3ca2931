"""Write ``ipopt``/``cbc``/``clp``/``highs`` launchers into IDAES's bin directory.

IDAES puts ``idaes.bin_directory`` on ``PATH`` when imported, which is where
``idaes get-extensions`` would have put its binaries; Pyomo's ``SolverFactory`` and
IDAES's ``get_solver`` then find the executables there. Our ``ipopt`` launcher runs
:mod:`idaes_ml.solvers.ipopt_ampl` with this environment's Python; the others
``exec`` the executables shipped in the casadi wheel.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from idaes_ml.io import atomic_write, write_json

#: First-line marker identifying launchers written by this module.
MARKER = "# idaes_ml solver launcher"
CASADI_EXECUTABLES = ("cbc", "clp", "highs")


def bin_directory() -> Path:
    """IDAES's solver directory (``idaes.bin_directory``), created if missing."""
    import idaes

    path = Path(idaes.bin_directory)
    path.mkdir(parents=True, exist_ok=True)
    return path


def casadi_directory() -> Path | None:
    """Folder of the installed casadi package (casadi is not imported)."""
    spec = importlib.util.find_spec("casadi")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(spec.submodule_search_locations[0])


def launcher_text(name: str) -> str | None:
    """Shell launcher for solver ``name``; None when its backend is missing."""
    if name == "ipopt":
        package_root = Path(__file__).resolve().parents[2]
        command = (
            f"PYTHONPATH='{package_root}'${{PYTHONPATH:+:$PYTHONPATH}} "
            f"exec '{Path(sys.executable).absolute()}' -m idaes_ml.solvers.ipopt_ampl \"$@\""
        )
    else:
        casadi = casadi_directory()
        exe = casadi / name if casadi else None
        if exe is None or not os.access(exe, os.X_OK):
            return None
        command = f"exec '{exe}' \"$@\""
    return f"#!/bin/sh\n{MARKER} ({name})\n{command}\n"


def is_ours(path: str | Path) -> bool:
    """Whether ``path`` is a launcher written by :func:`write_launcher`."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return MARKER in fh.read(512)
    except OSError:
        return False


def foreign_executable(name: str, bin_dir: Path) -> str | None:
    """A working ``name`` on PATH or in ``bin_dir`` that is not ours, else None."""
    search = os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])
    for directory in search.split(os.pathsep):
        candidate = Path(directory or ".") / name
        if candidate.is_file() and os.access(candidate, os.X_OK) and not is_ours(candidate):
            args = ["--version"] if name == "ipopt" else ["-quit"]
            try:
                ok = subprocess.run(
                    [str(candidate), *args], capture_output=True, timeout=10, check=False
                ).returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                ok = False
            if ok:
                return str(candidate)
    return None


def write_launcher(path: Path, text: str) -> None:
    """Write an executable launcher atomically (0755 under umask 022)."""
    with atomic_write(path, executable=True) as fh:
        fh.write(text)


def install(name: str, force: bool = False) -> tuple[str | None, str]:
    """Install the launcher for ``name``; returns (path or None, note)."""
    try:
        bin_dir = bin_directory()
    except OSError as err:
        return None, f"cannot create IDAES's bin directory: {err}"
    target = bin_dir / name
    text = launcher_text(name)
    if text is None:
        return None, "backend executable not found in the casadi wheel"
    if target.is_file() and is_ours(target):
        if not force and target.read_text(encoding="utf-8") == text:
            return str(target), "installed (casadi-backed)"
    else:
        other = foreign_executable(name, bin_dir)
        if other is not None:
            return other, "existing executable kept"
        if target.exists() or target.is_symlink():
            if not force:
                return None, f"{target} exists, is not ours and does not run; use force=True"
    try:
        write_launcher(target, text)
    except OSError as err:
        return None, f"cannot write {target}: {err}"
    return str(target), "installed (casadi-backed)"


def configure_idaes() -> tuple[str | None, str]:
    """Make MUMPS the linear solver of IDAES's ``get_solver('ipopt_v2')`` unless configured.

    IDAES asks for HSL's ma57 by default, which the casadi-bundled Ipopt lacks (the
    request fails, as with any Ipopt built without HSL). The setting goes into IDAES's
    ``idaes.conf`` beside its bin directory, and into this process's ``idaes.cfg``; a
    ``linear_solver`` the file already names is kept. Returns (path or None, note).
    """
    import idaes

    if idaes.data_directory is None:
        return None, "IDAES has no data directory"
    path = Path(idaes.data_directory) / "idaes.conf"
    try:
        doc = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        options = doc.setdefault("ipopt_v2", {}).setdefault("options", {})
    except (ValueError, AttributeError) as err:
        return None, f"{path} left alone: not a JSON object of objects ({err})"
    if "linear_solver" not in options:
        options["linear_solver"] = "mumps"
        write_json(doc, path)
    idaes.cfg.ipopt_v2.options.linear_solver = options["linear_solver"]
    return str(path), f"ipopt_v2 linear_solver={options['linear_solver']}"


def install_all(force: bool = False) -> dict[str, tuple[str | None, str]]:
    """Install ipopt and the casadi-bundled cbc/clp/highs launchers; configure IDAES for our ipopt."""
    notes = {name: install(name, force) for name in ("ipopt", *CASADI_EXECUTABLES)}
    if notes["ipopt"][0] is not None and is_ours(notes["ipopt"][0]):
        notes["idaes.conf"] = configure_idaes()
    return notes
