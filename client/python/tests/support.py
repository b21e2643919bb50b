"""support.py - what the Python client's tests share: ``flurry`` on the import path, and a real
local Flurry instance (``flurry start --ephemeral``) run as a subprocess in its own process group.

Invariant: an instance started here is stopped (SIGTERM to its process group, then SIGKILL) even
when a test fails or the interpreter exits early; its temporary directory is removed.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Optional

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "client" / "python"))

import flurry  # noqa: E402

#: Variables that would point the client (or the instance) somewhere else than the test's instance.
_INSTANCE_VARS = ("FLURRY_URI", "FLURRY_TOKEN", "FLURRY_TOKEN_FILE", "FLURRY_DIR")


class LocalInstance:
    """``node bin/flurry.mjs start --ephemeral --test-size N --cores-per-node C``.

    ``--ephemeral`` makes its own temporary instance directory (``flurry-*``) and takes no
    ``--dir``; TMPDIR points it inside this object's directory, where the test finds it.
    """

    def __init__(self, nodes: int = 2, cores_per_node: int = 2):
        self.nodes = nodes
        self.cores_per_node = cores_per_node
        self.proc: Optional[subprocess.Popen] = None
        self.tmp = tempfile.mkdtemp(prefix="flurry-py-")
        self.dir = ""
        self.log_path = os.path.join(self.tmp, "start.log")
        self.uri = ""
        self.token = ""

    @property
    def env(self) -> Dict[str, str]:
        """Variables that make ``flurry.Client()`` find this instance (as a notebook would)."""
        return {"FLURRY_DIR": self.dir}

    def client(self, **kwargs) -> flurry.Client:
        return flurry.Client(self.uri, self.token, **kwargs)

    def log_tail(self, lines: int = 40) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def start(self, timeout: float = 180.0) -> "LocalInstance":
        env = {k: v for k, v in os.environ.items() if k not in _INSTANCE_VARS}
        env["TMPDIR"] = self.tmp
        cmd = ["node", str(REPO / "bin" / "flurry.mjs"), "start", "--ephemeral",
               "--test-size", str(self.nodes), "--cores-per-node", str(self.cores_per_node)]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while not self._find_dir():
            if self.proc.poll() is not None:
                raise RuntimeError(f"flurry start exited with {self.proc.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"flurry start was not ready within {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.1)
        uri_file, token_file = os.path.join(self.dir, "uri"), os.path.join(self.dir, "token")
        with open(uri_file, encoding="utf-8") as f:
            self.uri = f.readline().strip()
        with open(token_file, encoding="utf-8") as f:
            self.token = f.read().strip()
        client = self.client()
        while True:
            free = client.resources()["free"]
            if free["nnodes"] >= self.nodes:
                return self
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {free['nnodes']} of {self.nodes} nodes joined:\n{self.log_tail()}")
            time.sleep(0.1)

    def _find_dir(self) -> bool:
        for name in sorted(os.listdir(self.tmp)):
            path = os.path.join(self.tmp, name)
            if name.startswith("flurry-") and all(os.path.exists(os.path.join(path, f)) for f in ("uri", "token")):
                self.dir = path
                return True
        return False

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
            # Whatever is left in the group (agents, tasks, DynamoDB Local) goes too.
            _signal_group(proc.pid, signal.SIGKILL)
            if proc.poll() is None:
                proc.wait(timeout=10)
        shutil.rmtree(self.tmp, ignore_errors=True)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
