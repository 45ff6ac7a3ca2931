"""Install ``ipopt``/``cbc``/``clp``/``highs`` launchers, per Python environment.

Each environment gets its own launchers in its scripts directory (``.venv/bin``, on
the venv's ``PATH``): ``ipopt`` runs :mod:`idaes_ml.solvers.ipopt_ampl` with that
environment's Python, the others ``exec`` the executables of its casadi wheel. So a
plain Pyomo script in an activated venv finds them.

IDAES puts ``idaes.bin_directory`` (shared by every environment of the user) first on
``PATH`` when imported; there go environment-independent dispatchers that run the
launcher of the calling environment, ``$IDAES_ML_BIN/<name>``. Every environment where
the launchers were installed sets ``IDAES_ML_BIN`` to its scripts directory at
interpreter start-up (``idaes_ml_solvers.pth`` in its site-packages), so two
environments on one machine no longer overwrite each other's solver.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from idaes_ml.io import atomic_write, write_json

#: First-line marker identifying launchers written by this module.
MARKER = "# idaes_ml solver launcher"
CASADI_EXECUTABLES = ("cbc", "clp", "highs")
#: Environment variable naming the calling environment's launcher directory.
ENV_VAR = "IDAES_ML_BIN"
#: Start-up file (site-packages) that sets ENV_VAR in every interpreter of the environment.
STARTUP_FILE = "idaes_ml_solvers.pth"


def env_bin_directory() -> Path:
    """This environment's scripts directory (``.venv/bin``), where its own launchers go."""
    return Path(sysconfig.get_path("scripts"))


def site_directory() -> Path:
    """This environment's site-packages, where the start-up file goes."""
    return Path(sysconfig.get_path("purelib"))


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
    """This environment's shell launcher for solver ``name``; None when its backend is missing."""
    if name == "ipopt":
        from idaes_ml.solvers.ipopt_ampl import version_banner

        package_root = Path(__file__).resolve().parents[2]
        command = (  # version queries answered by the shell: Pyomo allows them 2 s, a loaded machine needs more
            f'case "$1" in -v|--version|-version) echo \'{version_banner()}\'; exit 0;; esac\n'
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


def dispatcher_text(name: str) -> str:
    """Environment-independent launcher for IDAES's shared bin directory: runs ``$IDAES_ML_BIN/<name>``."""
    target = f'"${ENV_VAR}/{name}"'
    return (
        f"#!/bin/sh\n{MARKER} ({name}), environment-independent\n"
        f"# Runs {name} of the calling Python environment; each environment where `idaes-ml solvers\n"
        f"# --install` ran sets {ENV_VAR} at start-up ({STARTUP_FILE} in its site-packages).\n"
        f'if [ -n "${ENV_VAR}" ] && [ -x {target} ]; then exec {target} "$@"; fi\n'
        f"echo \"{name}: \\${ENV_VAR} names no idaes_ml environment; run 'idaes-ml solvers --install' "
        f"in the Python environment that calls {name}\" >&2\n"
        "exit 127\n"
    )


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


def _place(target: Path, text: str, force: bool) -> tuple[str | None, str]:
    """Write launcher ``text`` at ``target`` unless it is there already or a foreign file is."""
    if target.is_file() and is_ours(target):
        if not force and target.read_text(encoding="utf-8") == text:
            return str(target), "installed (casadi-backed)"
    elif (target.exists() or target.is_symlink()) and not force:
        return None, f"{target} exists and is not ours; use force=True"
    try:
        write_launcher(target, text)
    except OSError as err:
        return None, f"cannot write {target}: {err}"
    return str(target), "installed (casadi-backed)"


def install_startup_file() -> Path:
    """Write this environment's start-up file (sets ``IDAES_ML_BIN``), and set it in this process."""
    path = site_directory() / STARTUP_FILE
    text = f"import os; os.environ[{ENV_VAR!r}] = {str(env_bin_directory())!r}\n"
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        with atomic_write(path) as fh:
            fh.write(text)
    os.environ[ENV_VAR] = str(env_bin_directory())
    return path


def install(name: str, force: bool = False) -> tuple[str | None, str]:
    """Install this environment's launcher for ``name`` and IDAES's dispatcher; returns (path, note).

    The path is the dispatcher's (what Pyomo finds once ``idaes`` is imported), or a
    working foreign executable that is kept instead.
    """
    text = launcher_text(name)
    if text is None:
        return None, "backend executable not found in the casadi wheel"
    try:
        bin_dir = bin_directory()
    except OSError as err:
        return None, f"cannot create IDAES's bin directory: {err}"
    shared = bin_dir / name
    if not is_ours(shared):
        other = foreign_executable(name, bin_dir)
        if other is not None:
            return other, "existing executable kept"
    path, note = _place(env_bin_directory() / name, text, force)
    if path is None:
        return None, note
    try:
        install_startup_file()
    except OSError as err:
        return None, f"cannot write {site_directory() / STARTUP_FILE}: {err}"
    return _place(shared, dispatcher_text(name), force)


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
