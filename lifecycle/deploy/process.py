"""The scoring service as a process of its own: start, stop and status, for the app and the CLI.

The service writes a PID file (JSON: pid, host, port, started_at, parent_pid) into the deploy
folder once its port is bound, and removes it when it stops. ``start_service`` launches
``python -m lifecycle.deploy.service`` with ``--parent-pid`` set to the caller, so the service
exits by itself when the app that started it ends (no orphan, even after ``kill -9`` of the app);
``service_status`` checks both the process and ``/health``; ``stop_service`` ends it (SIGTERM, then SIGKILL).
Nothing here imports the service, the database or scikit-learn.
"""
from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lifecycle.clock import utc_now
from lifecycle.errors import InputError

PID_FILE = "service.pid.json"
LOG_FILE = "service.log"
MODULE = "lifecycle.deploy.service"
DEFAULT_PORT = 8765
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, kw_only=True)
class ServiceStatus:
    """Whether a project's scoring service runs, where, and what ``/health`` said."""

    running: bool
    pid: int | None = None
    host: str | None = None
    port: int | None = None
    started_at: str | None = None
    healthy: bool = False
    health: dict[str, Any] | None = None  # the /health answer
    message: str = ""

    @property
    def url(self) -> str | None:
        return f"http://{self.host}:{self.port}" if self.port else None


def pid_path(deploy_folder: Path) -> Path:
    return Path(deploy_folder) / PID_FILE


def write_pid_file(deploy_folder: Path, *, host: str, port: int, parent_pid: int | None) -> Path:
    """Record this process as the folder's service (atomically)."""
    folder = Path(deploy_folder)
    folder.mkdir(parents=True, exist_ok=True)
    record = {"pid": os.getpid(), "host": host, "port": port, "parent_pid": parent_pid,
              "started_at": utc_now().isoformat(timespec="seconds") + "Z"}
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".service-", suffix=".partial")
    with os.fdopen(fd, "w") as handle:
        json.dump(record, handle)
    os.replace(temporary, pid_path(folder))
    return pid_path(folder)


def remove_pid_file(deploy_folder: Path) -> None:
    """Remove the PID file if it names this process."""
    record = read_pid_file(deploy_folder)
    if record is not None and record.get("pid") == os.getpid():
        pid_path(deploy_folder).unlink(missing_ok=True)


def read_pid_file(deploy_folder: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(pid_path(deploy_folder).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("pid"), int) else None


def alive(pid: int) -> bool:
    """True when ``pid`` runs (a zombie child is reaped and counts as ended)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return True


def _is_service(pid: int) -> bool:
    """Is ``pid`` a scoring service: started here (``-m lifecycle.deploy.service``) or by the CLI's
    ``python -m lifecycle ... serve`` (a recycled PID is neither)?"""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc: trust the PID file
    return MODULE.encode() in arguments or (b"lifecycle" in arguments and b"serve" in arguments)


def health(host: str, port: int, *, timeout: float = 1.0) -> dict[str, Any] | None:
    """The service's ``/health`` answer (also when it says 503), or None when nothing answers."""
    address = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
    url = f"http://{address if ':' not in address else f'[{address}]'}:{port}/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own service
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            return json.loads(error.read() or b"{}")
        except ValueError:
            return {"status": f"HTTP {error.code}"}
    except (OSError, ValueError):
        return None


def service_status(deploy_folder: Path) -> ServiceStatus:
    """Is the folder's service running (its process alive and its own), and is it healthy?"""
    record = read_pid_file(deploy_folder)
    if record is None:
        return ServiceStatus(running=False, message="The scoring service is not running.")
    pid = record["pid"]
    if not alive(pid) or not _is_service(pid):
        pid_path(deploy_folder).unlink(missing_ok=True)  # left by a killed service
        return ServiceStatus(running=False, message=f"The scoring service (PID {pid}) has ended.")
    answer = health(record.get("host", "127.0.0.1"), int(record.get("port", 0)))
    healthy = bool(answer) and answer.get("status") == "ok"
    message = ("Serving." if healthy else
               f"Running but not serving: {answer.get('reason') or answer.get('status')}" if answer else
               "Running but /health does not answer.")
    return ServiceStatus(running=True, pid=pid, host=record.get("host"), port=record.get("port"),
                         started_at=record.get("started_at"), healthy=healthy, health=answer, message=message)


def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_taken_message(host: str, port: int) -> str:
    return f"Port {port} on {host} is already taken by another program."


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; PortTaken (naming the port) when it is in use."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortTaken(port_taken_message(host, port)) from None
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class PortTaken(OSError):
    """The port the service was asked to bind is in use."""


def start_service(deploy_folder: Path, log_folder: Path, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          parent_pid: int | None = None, timeout: float = 30.0, extra_args: tuple[str, ...] = (),
          env: dict[str, str] | None = None) -> ServiceStatus:
    """Start the service for ``deploy_folder`` and wait until it answers ``/health``.

    ``parent_pid`` (default: this process) is watched by the service, which exits when it ends.
    Returns the running service's status (the one already running if there is one). Raises
    InputError naming the port when it is taken, or with the service's own last words when it
    does not come up.
    """
    current = service_status(deploy_folder)
    if current.running:
        return current
    if not port_free(host, port):
        raise InputError(port_taken_message(host, port), "Stop that program or choose another port.")
    folder = Path(deploy_folder)
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", MODULE, "--deploy-dir", str(folder), "--log-dir", str(log_folder),
               "--host", host, "--port", str(port), "--parent-pid", str(parent_pid or os.getpid()), *extra_args]
    environment = dict(os.environ if env is None else env)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), environment.get("PYTHONPATH")]))
    with open(folder / LOG_FILE, "wb") as output:  # this run's output only
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                 env=environment, cwd=str(REPO_ROOT))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise InputError(f"The scoring service did not start: {_last_words(folder / LOG_FILE)}",
                             f"See {folder / LOG_FILE}.")
        record = read_pid_file(folder)
        if record is not None and record.get("pid") == child.pid and health(host, port, timeout=0.5) is not None:
            return service_status(folder)
        time.sleep(0.1)
    child.kill()
    child.wait()
    raise InputError(f"The scoring service did not answer within {timeout:.0f} s.", f"See {folder / LOG_FILE}.")


def stop_service(deploy_folder: Path, *, timeout: float = 10.0) -> bool:
    """Stop the folder's service; True when one was running."""
    record = read_pid_file(deploy_folder)
    if record is None:
        return False
    pid = record["pid"]
    if not alive(pid) or not _is_service(pid):
        pid_path(deploy_folder).unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.05)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
        while alive(pid):
            time.sleep(0.05)
    pid_path(deploy_folder).unlink(missing_ok=True)
    return True


def _last_words(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no output"
    errors = [line for line in lines if line.startswith("error:")]
    return (errors or lines or ["no output"])[-1].removeprefix("error: ")
