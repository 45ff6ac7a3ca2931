"""A warm helper process that runs ``ipopt`` solves without re-importing casadi.

Starting Python and importing casadi/numpy is most of the bridge's per-solve cost.
The first ``ipopt`` call solves in-process and starts this server in the
background; later calls (:func:`run_remote`) pass their argv, working directory,
environment and stdin/stdout/stderr file descriptors over a Unix socket. The
server forks a child per request (casadi already imported), which runs
:func:`idaes_ml.solvers.ipopt_ampl.run_local` with the caller's descriptors and
returns the exit status. A child whose caller disconnects (killed, timed out)
is ended by SIGIO. The server exits after ``IDLE_S`` seconds without requests; the
socket name depends on the Python executable and the solver code, so edited code
gets a fresh server. ``IDAES_ML_IPOPT_SERVER=0`` disables all of this.
"""

from __future__ import annotations

import array
import fcntl
import hashlib
import importlib.util
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

IDLE_S = 300.0
ACK_TIMEOUT_S = 10.0
_HERE = Path(__file__).resolve().parent


def socket_path() -> str:
    """Per-user socket name keyed on the interpreter and the solver modules' versions."""
    key = hashlib.sha1(sys.executable.encode())
    casadi = importlib.util.find_spec("casadi")
    files = sorted(_HERE.glob("*.py")) + ([Path(casadi.origin)] if casadi else [])
    for module in files:
        key.update(f"{module}:{module.stat().st_mtime_ns}".encode())
    name = f"idaes_ml_ipopt-{os.getuid()}-{key.hexdigest()[:12]}.sock"
    return os.path.join(tempfile.gettempdir(), name)


def enabled() -> bool:
    """Whether solves may go through the server (``IDAES_ML_IPOPT_SERVER`` != 0)."""
    return os.environ.get("IDAES_ML_IPOPT_SERVER", "1") != "0" and hasattr(os, "fork")


def _recv_exact(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("server connection closed")
        data += chunk
    return data


def start_server(path: str) -> None:
    """Launch a detached server (no inherited pipes, own session)."""
    package_root = str(_HERE.parents[1])
    paths = (package_root, os.environ.get("PYTHONPATH", ""))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    subprocess.Popen(
        [sys.executable, "-m", "idaes_ml.solvers.server", path],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, close_fds=True, env=env, cwd="/",
    )


def run_remote(argv: list[str]) -> int | None:
    """Run the driver in the server; None when no server answered (solve locally)."""
    path = socket_path()
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(ACK_TIMEOUT_S)
    try:
        conn.connect(path)
    except OSError:  # no server yet: start one for the next calls
        conn.close()
        try:
            start_server(path)
        except OSError:
            pass
        return None
    try:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "nice": os.nice(0)}
        data = json.dumps(request).encode()
        rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0, 1, 2]))]
        conn.sendmsg([struct.pack("!I", len(data))], rights)
        conn.sendall(data)
        if _recv_exact(conn, 1) != b"A":
            return None
    except (OSError, ConnectionError):
        conn.close()
        return None
    conn.settimeout(None)
    try:
        return struct.unpack("!i", _recv_exact(conn, 4))[0]
    except (OSError, ConnectionError):  # the solving process was killed: solve here
        print("ipopt: the idaes_ml solver server stopped; solving locally", file=sys.stderr)
        return None
    finally:
        conn.close()


def _handle(conn: socket.socket) -> None:
    """In the forked child: adopt the caller's fds, cwd and env, solve, report status."""
    header, fds, _, _ = socket.recv_fds(conn, 4, 3)
    request = json.loads(_recv_exact(conn, struct.unpack("!I", header)[0]))
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    try:  # run at the caller's priority, not that of whoever started the server
        os.setpriority(os.PRIO_PROCESS, 0, request["nice"])
    except OSError:
        pass
    os.environ.clear()
    os.environ.update(request["env"])
    conn.sendall(b"A")
    # If the caller disconnects (killed, timed out) the kernel sends SIGIO, whose
    # default action ends this process even while Ipopt runs in C++ code.
    signal.signal(signal.SIGIO, signal.SIG_DFL)
    fcntl.fcntl(conn.fileno(), fcntl.F_SETOWN, os.getpid())
    flags = fcntl.fcntl(conn.fileno(), fcntl.F_GETFL)
    fcntl.fcntl(conn.fileno(), fcntl.F_SETFL, flags | os.O_ASYNC)
    try:
        from idaes_ml.solvers.ipopt_ampl import run_local

        code = run_local(request["argv"])
    except BaseException as err:  # noqa: BLE001 - report any failure as exit status 1
        print(f"ipopt: {err!r}", file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    fcntl.fcntl(conn.fileno(), fcntl.F_SETFL, flags)
    conn.sendall(struct.pack("!i", code))


def serve(path: str) -> None:
    """Accept requests on ``path`` until idle for IDLE_S seconds.

    One server per path: a lock held for the server's lifetime makes a second one (two
    callers starting a server at once) exit at once instead of replacing the first.
    """
    lock = open(path + ".lock", "a")  # noqa: SIM115 - held open until the process ends
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return
    import casadi as ca

    import idaes_ml.solvers.ipopt_ampl  # noqa: F401  (warm imports for the children)
    import idaes_ml.solvers.nl_problem  # noqa: F401

    x = ca.SX.sym("x")  # load the Ipopt plugin and its libraries once
    quiet = {"ipopt": {"print_level": 0, "sb": "yes"}, "print_time": False}
    ca.nlpsol("warmup", "ipopt", {"x": x, "f": x**2}, quiet)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        try:
            listener.bind(path)
        except OSError:  # left behind by a server that was killed (this one holds the lock)
            os.unlink(path)
            listener.bind(path)
    finally:
        os.umask(old_umask)
    inode = os.stat(path).st_ino
    listener.listen(32)
    listener.settimeout(IDLE_S)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    try:
        while True:
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                break
            if os.fork() == 0:  # child: never returns into the accept loop
                try:
                    # Own session, hence own scheduler autogroup: the children of one
                    # server must not share a single CPU share among all callers.
                    os.setsid()
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    listener.close()
                    lock.close()  # the lock stays with the server, not with its solves
                    conn.settimeout(None)
                    _handle(conn)
                finally:
                    os._exit(0)
            conn.close()
    finally:
        if os.path.exists(path) and os.stat(path).st_ino == inode:
            os.unlink(path)


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # no threads across fork()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    serve(sys.argv[1])
