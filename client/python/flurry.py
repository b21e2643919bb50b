"""flurry.py - a Python client for Flurry, a workload manager in the spirit of Flux.

One module with no dependency outside Python's standard library (3.9+), so a notebook can
``import flurry`` without ``pip install``: copy this file next to the notebook, or put
``client/python`` on ``sys.path``. It talks to the REST API (``/v1``, docs/rest-api.md) and names
things as Flux's Python API does (``flux.job``): ``JobspecV1.from_command``, ``submit``,
``result``, ``wait``, ``cancel``, ``event_watch``, and ``FlurryExecutor`` for
``concurrent.futures``.

Invariants: submissions always carry a client token, so retrying one after a network error or a
5xx creates nothing twice; GETs are retried with backoff, other calls are not; job ids are f58
strings (``JobID``); every refusal from the server is a ``FlurryError`` holding its HTTP status,
code, field and message; the executor watches any number of jobs from one background thread.

Example::

    import flurry
    client = flurry.Client()                     # FLURRY_URI/FLURRY_TOKEN, or ~/.flurry
    jobid = client.submit(flurry.JobspecV1.from_command(["hostname"], num_tasks=2))
    print(client.result(jobid).returncode, client.output_text(jobid))
    with flurry.FlurryExecutor(client) as ex:
        print(list(ex.map(lambda i: ["sh", "-c", f"exit {i % 2}"], range(10))))
"""

from __future__ import annotations

import asyncio
import base64
import collections
import concurrent.futures
import http.client
import json
import logging
import math
import os
import random
import re
import ssl
import threading
import time
import urllib.parse
import uuid
import warnings
from typing import (
    Any, Callable, Dict, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple,
    Union,
)

__version__ = "0.1.0"

__all__ = [
    "Client", "FlurryError", "JobException", "JobID", "Jobspec", "JobspecV1", "JobInfo",
    "ExceptionInfo", "EventLogEvent", "OutputEntry", "JobWaitResult", "KVS", "KVSTxn", "KVSChange", "Symlink",
    "FlurryExecutor", "FlurryExecutorFuture", "find_instance", "parse_fsd", "parse_idset",
    "format_idset", "SECRET_ENV_NAMES", "MAIN_EVENTS",
]

#: Variables never copied from the caller's environment into a job (credentials).
SECRET_ENV_NAMES = ("FLURRY_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID")

#: The RFC 21 events that mark a job's progress (those FlurryExecutorFuture callbacks accept).
MAIN_EVENTS = frozenset(
    ["submit", "validate", "depend", "priority", "alloc", "start", "finish", "release", "free",
     "clean", "exception", "urgency"]
)

#: How long one long poll may wait on the server (it clamps to ≤ 60 s).
DEFAULT_WAIT = 25.0

_log = logging.getLogger("flurry")

#: "No default given" (None is a value a KVS key may hold).
_MISSING: Any = object()


# ----------------------------------------------------------------------------------------- errors

class FlurryError(Exception):
    """A request the server refused, or one that could not reach it.

    ``status`` is the HTTP status (0 when no answer came), ``code`` the server's error code
    (``invalid``, ``unauthorized``, ``forbidden``, ``not_found``, ``conflict``, ``too_large``,
    ``unavailable``, ``internal``; ``unreachable`` or ``no_instance`` from the client), ``field``
    the offending field path for ``invalid`` (``body.urgency``, ``path.id``), ``message`` the
    server's message.
    """

    def __init__(self, status: int, code: str, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        extra = f", field={self.field!r}" if self.field else ""
        return f"FlurryError({self.status}, {self.code!r}, {self.message!r}{extra})"


class JobException(Exception):
    """A job ended on a fatal (severity 0) exception, e.g. ``cancel`` or ``timeout``; as Flux's.

    ``event`` is the ``exception`` EventLogEvent; ``type``, ``severity`` and ``note`` come from it.
    """

    def __init__(self, event: "EventLogEvent"):
        self.event = event
        self.type = str(event.context.get("type", ""))
        self.severity = int(event.context.get("severity", 0))
        self.note = str(event.context.get("note", ""))
        super().__init__(f"job.exception type={self.type} severity={self.severity} {self.note}".rstrip())


# ---------------------------------------------------------------------------------------- job ids

_F58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_F58_VALUE = {c: i for i, c in enumerate(_F58)}
_F58_PREFIX = "\u0192"  # ƒ
_FLUID_MAX = 2**64 - 1


def _decode_fluid(text: str) -> int:
    s = text.strip()
    if not s:
        raise ValueError("invalid job id: empty")
    if "." in s:
        if not re.fullmatch(r"[0-9a-fA-F]{1,4}(\.[0-9a-fA-F]{1,4}){3}", s):
            raise ValueError(f"invalid job id {text!r}: dotted hex must be four groups of hex digits")
        value = int("".join(g.zfill(4) for g in s.split(".")), 16)
    elif s[0] in (_F58_PREFIX, "f"):
        digits = s[1:]
        if not digits or len(digits) > 12:
            raise ValueError(f"invalid job id {text!r}: f58 needs 1 to 12 base58 digits")
        value = 0
        for c in digits:
            if c not in _F58_VALUE:
                raise ValueError(f"invalid job id {text!r}: {c!r} is not a base58 digit")
            value = value * 58 + _F58_VALUE[c]
    elif re.fullmatch(r"0[xX][0-9a-fA-F]+", s):
        value = int(s, 16)
    elif s.isdigit():
        value = int(s)
    else:
        raise ValueError(f"invalid job id {text!r}: expected f58 (ƒ…), decimal, 0x hex or dotted hex")
    if value > _FLUID_MAX:
        raise ValueError(f"invalid job id {text!r}: larger than 64 bits")
    return value


def _encode_f58(value: int) -> str:
    digits = ""
    while True:
        value, rem = divmod(value, 58)
        digits = _F58[rem] + digits
        if value == 0:
            return _F58_PREFIX + digits


class JobID(str):
    """A job id (RFC 19 FLUID). The string is always its f58 form (``ƒ2MU1GM7V``).

    Built from any encoding (``JobID("ƒ2MU1GM7V")``, ``JobID("f2MU1GM7V")``,
    ``JobID(0x…)``, ``JobID("0017.e9fb.8df1.6c2e")``), so two spellings of one job compare equal.
    """

    def __new__(cls, value: Union[str, int]) -> "JobID":
        if isinstance(value, JobID):
            return value
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise TypeError(f"a job id is a string or an int, not {type(value).__name__}")
        number = value if isinstance(value, int) else _decode_fluid(value)
        if not 0 <= number <= _FLUID_MAX:
            raise ValueError(f"invalid job id {value!r}: must be in 0..2**64-1")
        obj = super().__new__(cls, _encode_f58(number))
        obj._value = number  # type: ignore[attr-defined]
        return obj

    @property
    def f58(self) -> str:
        """``ƒ2MU1GM7V``"""
        return str(self)

    @property
    def dec(self) -> str:
        """The decimal form."""
        return str(self._value)  # type: ignore[attr-defined]

    @property
    def hex(self) -> str:
        """``0x…``"""
        return hex(self._value)  # type: ignore[attr-defined]

    @property
    def dothex(self) -> str:
        """``0017.e9fb.8df1.6c2e``"""
        h = format(self._value, "016x")  # type: ignore[attr-defined]
        return ".".join(h[i:i + 4] for i in range(0, 16, 4))

    def __int__(self) -> int:
        return self._value  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"JobID({str(self)!r})"


# ---------------------------------------------------------------------- idsets and durations

def parse_idset(text: str) -> List[int]:
    """Parse an RFC 22 idset (``"1-10,20"``, ``"[0-3]"``) into a sorted list of ints.

    >>> parse_idset("1-3,7")
    [1, 2, 3, 7]
    """
    s = text.strip()
    if s.startswith("[") and s.endswith("]"):
        s = s[1:-1]
    out = set()
    for part in filter(None, (p.strip() for p in s.split(","))):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not m:
            raise ValueError(f"invalid idset {text!r}: {part!r} is not N or N-M")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo:
            raise ValueError(f"invalid idset {text!r}: {part!r} is a descending range")
        out.update(range(lo, hi + 1))
    return sorted(out)


def format_idset(ids: Iterable[int]) -> str:
    """Format ints as an RFC 22 idset. ``format_idset([1, 2, 3, 7])`` is ``"1-3,7"``."""
    parts: List[str] = []
    run: List[int] = []
    for i in sorted(set(ids)):
        if run and i == run[-1] + 1:
            run.append(i)
            continue
        if run:
            parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
        run = [i]
    if run:
        parts.append(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}")
    return ",".join(parts)


_FSD_UNITS = {"ms": 0.001, "": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_fsd(text: str) -> float:
    """Parse an RFC 23 duration (``"90s"``, ``"1.5m"``, ``"2h"``, ``"inf"``) into seconds.

    >>> parse_fsd("1.5m")
    90.0
    """
    s = text.strip()
    if re.fullmatch(r"\+?inf(inity)?", s, re.IGNORECASE):
        return math.inf
    m = re.fullmatch(r"\+?((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(ms|s|m|h|d)?", s)
    if not m:
        raise ValueError(f"invalid duration {text!r}: expected a number and an optional unit (ms, s, m, h, d)")
    return float(m.group(1)) * _FSD_UNITS[m.group(2) or ""]


def _duration_seconds(value: Union[int, float, str]) -> float:
    """Seconds, or an FSD string, as the jobspec's ``duration``: 0 means unlimited."""
    if isinstance(value, bool):
        raise ValueError("duration must be a number of seconds or an FSD string")
    seconds = parse_fsd(value) if isinstance(value, str) else float(value)
    if math.isnan(seconds) or seconds < 0:
        raise ValueError(f"duration must be ≥ 0, not {value!r}")
    if math.isinf(seconds):
        return 0
    return int(seconds) if seconds == int(seconds) else seconds


def _job_environment(environ: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """A copy of ``environ`` (default ``os.environ``) without the credential variables."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if k not in SECRET_ENV_NAMES}


# --------------------------------------------------------------------------------------- jobspec

def _set_tree(tree: Dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for key in keys[:-1]:
        tree = tree.setdefault(key, {})
    tree[keys[-1]] = value


class Jobspec:
    """A jobspec (RFC 14/25) held as a dict in ``.jobspec``; attributes set with dotted keys."""

    def __init__(self, resources: List[Dict[str, Any]], tasks: List[Dict[str, Any]],
                 attributes: Optional[Dict[str, Any]] = None, version: int = 1):
        self.jobspec: Dict[str, Any] = {
            "version": version,
            "resources": resources,
            "tasks": tasks,
            "attributes": attributes if attributes is not None else {"system": {"duration": 0}},
        }

    def setattr(self, key: str, val: Any) -> None:
        """Set an attribute by dotted key; ``attributes.`` is implied (``"system.duration"``)."""
        if not key.startswith("attributes."):
            key = "attributes." + key
        _set_tree(self.jobspec, key, val)

    def getattr(self, key: str) -> Any:
        """Get an attribute by dotted key (``"system.cwd"``); KeyError if absent."""
        if not key.startswith("attributes."):
            key = "attributes." + key
        value: Any = self.jobspec
        for part in key.split("."):
            if not isinstance(value, dict) or part not in value:
                raise KeyError(key)
            value = value[part]
        return value

    def setattr_shell_option(self, key: str, val: Any) -> None:
        """Set ``attributes.system.shell.options.<key>``."""
        self.setattr("system.shell.options." + key, val)

    @property
    def duration(self) -> float:
        """Time limit in seconds (0 = unlimited); set seconds or an FSD string like ``"10m"``."""
        return self.jobspec["attributes"]["system"].get("duration", 0)

    @duration.setter
    def duration(self, value: Union[int, float, str]) -> None:
        self.setattr("system.duration", _duration_seconds(value))

    @property
    def cwd(self) -> Optional[str]:
        """The tasks' working directory (absolute)."""
        return self.jobspec["attributes"]["system"].get("cwd")

    @cwd.setter
    def cwd(self, value: str) -> None:
        path = os.fspath(value)
        if not os.path.isabs(path):
            raise ValueError(f"cwd must be an absolute path, not {path!r}")
        self.setattr("system.cwd", path)

    @property
    def environment(self) -> Optional[Dict[str, str]]:
        """The tasks' environment (a dict of strings)."""
        return self.jobspec["attributes"]["system"].get("environment")

    @environment.setter
    def environment(self, environ: Mapping[str, str]) -> None:
        if not isinstance(environ, Mapping):
            raise ValueError("environment must be a mapping")
        env = {}
        for k, v in environ.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise ValueError(f"environment entries must be strings: {k!r}={v!r}")
            env[k] = v
        self.setattr("system.environment", env)

    @property
    def resources(self) -> List[Dict[str, Any]]:
        return self.jobspec["resources"]

    @property
    def tasks(self) -> List[Dict[str, Any]]:
        return self.jobspec["tasks"]

    @property
    def attributes(self) -> Dict[str, Any]:
        return self.jobspec["attributes"]

    def dumps(self, **kwargs: Any) -> str:
        """The jobspec as JSON text."""
        return json.dumps(self.jobspec, ensure_ascii=False, **kwargs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Jobspec) and other.jobspec == self.jobspec

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.jobspec!r})"


def _check_int(value: Optional[int], name: str, minimum: int) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < minimum):
        raise ValueError(f"{name} must be an integer ≥ {minimum}, not {value!r}")


class JobspecV1(Jobspec):
    """A version 1 jobspec (RFC 25): ``[node→]slot→core[,gpu]`` with one task."""

    @classmethod
    def from_command(
        cls,
        command: Sequence[str],
        num_tasks: Optional[int] = None,
        cores_per_task: int = 1,
        gpus_per_task: Optional[int] = None,
        num_nodes: Optional[int] = None,
        exclusive: bool = False,
        duration: Union[int, float, str, None] = None,
        cwd: Optional[str] = None,
        environment: Optional[Mapping[str, str]] = None,
        name: Optional[str] = None,
        queue: Optional[str] = None,
        dependencies: Optional[Iterable[str]] = None,
    ) -> "JobspecV1":
        """The jobspec ``flurry submit -n -c -g -N -x`` builds for ``command``, with Flux's rules.

        ``num_tasks`` defaults to 1, or one task per node on whole nodes when only ``num_nodes``
        is given (``flux submit -N``); ``num_nodes`` greater than ``num_tasks`` is an error, and
        tasks that do not divide evenly over the nodes give a ``total`` task count.
        ``duration`` is seconds or an FSD string (0 or ``"inf"``: unlimited); ``cwd`` defaults to
        ``os.getcwd()`` and ``environment`` to a copy of ``os.environ`` without credentials
        (``SECRET_ENV_NAMES``), as the CLI does. ``dependencies`` are RFC 26 strings
        (``"afterok:ƒ2MU1GM7V"``).

        >>> JobspecV1.from_command(["app"], num_tasks=5, num_nodes=4).resources[0]["with"][0]["count"]
        2
        """
        if isinstance(command, (str, bytes)) or not command or not all(isinstance(w, str) for w in command):
            raise ValueError("command must be a non-empty list of strings, e.g. ['hostname']")
        if command[0] == "":
            raise ValueError("command must not start with an empty string")
        _check_int(num_tasks, "num_tasks", 1)
        _check_int(cores_per_task, "cores_per_task", 1)
        _check_int(gpus_per_task, "gpus_per_task", 0)
        _check_int(num_nodes, "num_nodes", 1)
        if exclusive and num_nodes is None:
            raise ValueError("exclusive requires num_nodes")

        children: List[Dict[str, Any]] = [{"type": "core", "count": cores_per_task}]
        if gpus_per_task:
            children.append({"type": "gpu", "count": gpus_per_task})
        count: Dict[str, int] = {"per_slot": 1}
        if num_nodes is None:
            top: Dict[str, Any] = {"type": "slot", "count": num_tasks or 1, "label": "task", "with": children}
        else:
            ntasks = num_nodes if num_tasks is None else num_tasks
            whole = num_tasks is None or exclusive
            if num_nodes > ntasks:
                raise ValueError(f"num_nodes ({num_nodes}) must not be greater than num_tasks ({ntasks})")
            slot = {"type": "slot", "count": -(-ntasks // num_nodes), "label": "task", "with": children}
            if ntasks % num_nodes:
                count = {"total": ntasks}
            top = {"type": "node", "count": num_nodes, **({"exclusive": True} if whole else {}), "with": [slot]}
        spec = cls([top], [{"command": list(command), "slot": "task", "count": count}])
        if duration is not None:
            spec.duration = duration
        spec.environment = _job_environment() if environment is None else environment
        spec.cwd = os.getcwd() if cwd is None else cwd
        if queue is not None:
            if not queue:
                raise ValueError("queue must not be empty")
            spec.setattr("system.queue", queue)
        if name is not None:
            if not name:
                raise ValueError("name must not be empty")
            spec.setattr("system.job", {"name": name})
        if dependencies:
            spec.setattr("system.dependencies", [_parse_dependency(d) for d in dependencies])
        return spec


def _parse_dependency(spec: str) -> Dict[str, str]:
    m = re.fullmatch(r"([A-Za-z][\w-]*):([^?]+)(?:\?(.*))?", spec.strip())
    if not m:
        raise ValueError(f"dependency {spec!r} must be scheme:value, e.g. afterok:ƒ2MU1GM7V")
    dep = {"scheme": m.group(1), "value": m.group(2)}
    for pair in filter(None, re.split(r"[&;]", m.group(3) or "")):
        key, eq, val = pair.partition("=")
        if not eq or not key or key in ("scheme", "value"):
            raise ValueError(f"{pair!r} in dependency {spec!r} must be key=value")
        dep[key] = val
    return dep


JobspecLike = Union[Jobspec, Mapping[str, Any], str, Sequence[str]]


def _jobspec_payload(jobspec: JobspecLike) -> Union[Dict[str, Any], str]:
    """What goes in the request: a Jobspec's dict, a dict, YAML/JSON text, or a command's jobspec."""
    if isinstance(jobspec, Jobspec):
        return jobspec.jobspec
    if isinstance(jobspec, str):
        return jobspec
    if isinstance(jobspec, Mapping):
        return dict(jobspec)
    if isinstance(jobspec, (list, tuple)):
        return JobspecV1.from_command(jobspec).jobspec
    raise TypeError(f"expected a Jobspec, a dict, jobspec text or a command list, not {type(jobspec).__name__}")


# -------------------------------------------------------------------------------------- results

class EventLogEvent(dict):
    """One eventlog entry (RFC 18): a dict with ``name``, ``timestamp`` and ``context``."""

    @property
    def name(self) -> str:
        return self["name"]

    @property
    def timestamp(self) -> float:
        return self["timestamp"]

    @property
    def context(self) -> Dict[str, Any]:
        return self.get("context") or {}

    def __str__(self) -> str:
        ctx = " ".join(f"{k}={json.dumps(v)}" for k, v in self.context.items())
        return f"{self.timestamp:.3f} {self.name} {ctx}".rstrip()


class OutputEntry(NamedTuple):
    """A chunk of a task's output: ``stream`` is ``"stdout"`` or ``"stderr"``."""

    stream: str
    task: int
    data: str


class JobWaitResult(NamedTuple):
    """What ``Client.wait`` returns, as Flux's ``flux.job.wait``."""

    jobid: JobID
    success: bool
    errstr: str


class ExceptionInfo:
    """A job's exception: ``occurred`` is False when there was none."""

    def __init__(self, exc: Optional[Mapping[str, Any]]):
        self.occurred = exc is not None
        self.severity: Optional[int] = exc.get("severity") if exc else None
        self.type: str = exc.get("type", "") if exc else ""
        self.note: str = exc.get("note", "") if exc else ""

    def __bool__(self) -> bool:
        return self.occurred

    def __repr__(self) -> str:
        if not self.occurred:
            return "ExceptionInfo(occurred=False)"
        return f"ExceptionInfo(type={self.type!r}, severity={self.severity}, note={self.note!r})"


class JobInfo:
    """A job as the server describes it (JobSummary/JobInfo), with Flux's ``JobInfo`` names.

    ``result`` is COMPLETED, FAILED, CANCELED or TIMEOUT once inactive (else None);
    ``returncode`` follows Flux: the exit code, ``-signal`` when killed by a signal, -128 when
    canceled before running, 1 for another failure before running, None while active;
    ``exitcode`` is the exit code the server reported (None if the tasks did not exit normally).
    ``jobspec`` and ``R`` are set by ``Client.job_info``. ``to_dict()`` gives the raw JSON.
    """

    def __init__(self, data: Mapping[str, Any]):
        self._data = dict(data)
        self.id = JobID(data["id"])
        self.owner: str = data.get("owner", "")
        self.username = self.owner
        self.name: str = data.get("name", "")
        self.state: str = data.get("state", "")
        self.state_single: str = data.get("stateCode", "")
        self.result: Optional[str] = data.get("result")
        self.exitcode: Optional[int] = data.get("exitCode")
        self.signal: Optional[int] = data.get("signal")
        self.waitstatus: Optional[int] = data.get("waitstatus")
        self.urgency: int = data.get("urgency", 16)
        self.priority: Optional[float] = data.get("priority")
        self.ntasks: Optional[int] = data.get("ntasks")
        self.nnodes: Optional[int] = data.get("nnodes")
        self.nodelist: str = data.get("nodelist", "")
        self.t_submit: float = data.get("t_submit", 0.0)
        self.t_run: float = data.get("t_run", 0.0)
        self.t_inactive: float = data.get("t_inactive", 0.0)
        self.runtime: float = data.get("runtime", 0.0)
        self.duration: float = data.get("duration", 0.0)
        self.exception = ExceptionInfo(data.get("exception"))
        self.jobspec: Optional[Dict[str, Any]] = data.get("jobspec")
        self.R: Optional[Dict[str, Any]] = data.get("R")

    @property
    def active(self) -> bool:
        return self.state != "INACTIVE"

    @property
    def success(self) -> Optional[bool]:
        """True if the job completed with exit code 0; None while active."""
        return None if self.active else self.result == "COMPLETED"

    @property
    def returncode(self) -> Optional[int]:
        if self.active:
            return None
        status = self.waitstatus
        if status is None:
            if self.signal is not None:
                return -self.signal
            if self.exitcode is not None:
                return self.exitcode
            return -128 if self.result == "CANCELED" else 1
        if os.WIFSIGNALED(status):
            return -os.WTERMSIG(status)
        return os.WEXITSTATUS(status)

    def to_dict(self) -> Dict[str, Any]:
        return dict(self._data)

    def __repr__(self) -> str:
        tail = f" result={self.result} returncode={self.returncode}" if not self.active else ""
        return f"<JobInfo {self.id} {self.name!r} {self.state}{tail}>"


def _returncode_from_events(events: Sequence[EventLogEvent]) -> Tuple[Optional[int], Optional[EventLogEvent]]:
    """The return code from the ``finish`` event and the first fatal exception, if any."""
    code: Optional[int] = None
    fatal: Optional[EventLogEvent] = None
    for ev in events:
        if ev.name == "finish" and isinstance(ev.context.get("status"), int):
            status = ev.context["status"]
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        elif ev.name == "exception" and ev.context.get("severity", 0) == 0 and fatal is None:
            fatal = ev
    return code, fatal


# ---------------------------------------------------------------------------- instance discovery

NO_INSTANCE = 'no Flurry instance found: start one with "flurry start", or set FLURRY_URI and FLURRY_TOKEN'


def _read_token(path: str, what: str) -> str:
    try:
        mode = os.stat(path).st_mode
        with open(path, encoding="utf-8") as f:
            token = f.read().strip()
    except OSError as err:
        raise FlurryError(0, "no_instance", f"{what}: cannot read token file {path}: {err.strerror}") from err
    if mode & 0o077:
        warnings.warn(f"token file {path} is readable by group or others; run \"chmod 600 {path}\"", stacklevel=3)
    if not token:
        raise FlurryError(0, "no_instance", f"{what}: token file {path} is empty")
    return token


def find_instance(env: Optional[Mapping[str, str]] = None) -> Tuple[str, str]:
    """The ``(uri, token)`` the ``flurry`` CLI would use, from ``env`` (default ``os.environ``).

    FLURRY_URI with FLURRY_TOKEN or FLURRY_TOKEN_FILE; else the instance directory
    (``$FLURRY_DIR`` or ``~/.flurry``, files ``uri`` and ``token`` written by ``flurry start``).
    The directory's token is only sent to the directory's URI.
    """
    env = os.environ if env is None else env
    directory = env.get("FLURRY_DIR") or os.path.join(os.path.expanduser("~"), ".flurry")

    def explicit_token() -> Optional[str]:
        if env.get("FLURRY_TOKEN"):
            return env["FLURRY_TOKEN"].strip()
        if env.get("FLURRY_TOKEN_FILE"):
            return _read_token(env["FLURRY_TOKEN_FILE"], "FLURRY_TOKEN_FILE")
        return None

    def dir_uri() -> Optional[str]:
        try:
            with open(os.path.join(directory, "uri"), encoding="utf-8") as f:
                return f.readline().strip() or None
        except OSError:
            return None

    def dir_token() -> Optional[str]:
        path = os.path.join(directory, "token")
        return _read_token(path, directory) if os.path.exists(path) else None

    given = env.get("FLURRY_URI", "").strip()
    if given:
        here = dir_uri()
        token = explicit_token()
        if token is None and here is not None and here.rstrip("/") == given.rstrip("/"):
            token = dir_token()
        if token is None:
            raise FlurryError(0, "no_instance",
                              f"no token for {given} (from FLURRY_URI): set FLURRY_TOKEN or FLURRY_TOKEN_FILE")
        return given, token
    uri = dir_uri()
    if uri is None:
        raise FlurryError(0, "no_instance", NO_INSTANCE)
    token = explicit_token() or dir_token()
    if token is None:
        raise FlurryError(0, "no_instance", f"the instance in {directory} has no token file: set FLURRY_TOKEN")
    return uri, token


# ------------------------------------------------------------------------------------------ HTTP

_RETRY_STATUS = frozenset([429, 500, 502, 503, 504])


class _Endpoint:
    """The parts of the instance URI every request needs, and the shared request/answer rules."""

    def __init__(self, uri: str, token: str, retries: int, backoff: float, max_backoff: float):
        u = uri.strip().rstrip("/")
        if u.endswith("/v1"):
            u = u[:-3]
        parts = urllib.parse.urlsplit(u)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URI: {uri!r}")
        self.uri = u
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.netloc = parts.netloc
        self.prefix = parts.path.rstrip("/")
        self.token = token
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff

    def prepare(self, method: str, path: str, query: Optional[Mapping[str, Any]],
                body: Optional[Mapping[str, Any]]) -> Tuple[str, Dict[str, str], Optional[bytes]]:
        q = {k: str(v) for k, v in (query or {}).items() if v is not None}
        target = self.prefix + path + ("?" + urllib.parse.urlencode(q) if q else "")
        headers = {
            "Host": self.netloc,
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/json",
            "User-Agent": f"flurry-python/{__version__}",
        }
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        headers["Content-Length"] = str(len(data or b""))
        return target, headers, data

    @staticmethod
    def decode(method: str, path: str, status: int, reason: str, data: bytes) -> Any:
        """The JSON answer of a 2xx, or the FlurryError of anything else."""
        text = data.decode("utf-8", errors="replace")
        if 200 <= status < 300:
            try:
                return json.loads(text) if text else {}
            except ValueError:
                raise FlurryError(status, "internal", f"{method} {path}: the answer is not JSON") from None
        try:
            err = json.loads(text)["error"]
            return_error = FlurryError(status, str(err["code"]), str(err["message"]), err.get("field"))
        except (ValueError, KeyError, TypeError):
            code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
                    413: "too_large", 503: "unavailable"}.get(status, "internal")
            snippet = " ".join(text.split())[:200]
            return_error = FlurryError(status, code, f"{method} {path}: {status} {reason} {snippet}".rstrip())
        raise return_error

    def delay(self, attempt: int, retry_after: Optional[str]) -> float:
        """Exponential backoff with jitter; a server's Retry-After (seconds) wins, capped at 10 s."""
        try:
            after = float(retry_after) if retry_after else math.nan
        except ValueError:
            after = math.nan
        if after >= 0:
            return min(after, 10.0)
        top = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return top / 2 + random.random() * top / 2

    def unreachable(self, err: BaseException) -> FlurryError:
        return FlurryError(0, "unreachable", f"cannot reach Flurry at {self.uri}: {err}")


class _SyncTransport:
    """Blocking requests over http.client, one keep-alive connection per thread."""

    def __init__(self, ep: _Endpoint, ssl_context: Optional[ssl.SSLContext]):
        self.ep = ep
        self.ssl_context = ssl_context
        self.local = threading.local()
        # Each thread's connection: those of threads that ended are closed when another one opens.
        self.conns: List[Tuple[threading.Thread, http.client.HTTPConnection]] = []
        self.conns_lock = threading.Lock()

    def close(self) -> None:
        """Close every thread's connection (they reopen on the next request)."""
        with self.conns_lock:
            conns, self.conns = self.conns, []
        for _, conn in conns:
            conn.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - at interpreter exit anything may be gone
            pass

    def _connection(self, timeout: float) -> Tuple[http.client.HTTPConnection, bool]:
        conn = getattr(self.local, "conn", None)
        if conn is not None and getattr(self.local, "pid", None) == os.getpid():
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            return conn, conn.sock is not None
        if self.ep.https:
            conn = http.client.HTTPSConnection(self.ep.host, self.ep.port, timeout=timeout, context=self.ssl_context)
        else:
            conn = http.client.HTTPConnection(self.ep.host, self.ep.port, timeout=timeout)
        self.local.conn, self.local.pid = conn, os.getpid()
        me = threading.current_thread()
        with self.conns_lock:
            gone = [c for t, c in self.conns if t is me or not t.is_alive()]
            self.conns = [(t, c) for t, c in self.conns if t is not me and t.is_alive()] + [(me, conn)]
        for old in gone:
            old.close()
        return conn, False

    def _drop(self) -> None:
        conn = getattr(self.local, "conn", None)
        self.local.conn = None
        if conn is not None:
            conn.close()

    def _once(self, method: str, target: str, headers: Dict[str, str], data: Optional[bytes],
              timeout: float) -> Tuple[int, str, Optional[str], bytes]:
        for fresh_try in (False, True):
            conn, reused = self._connection(timeout)
            try:
                conn.request(method, target, body=data, headers=headers)
                res = conn.getresponse()
                body = res.read()
                if res.will_close:
                    self._drop()
                return res.status, res.reason, res.getheader("Retry-After"), body
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._drop()
                if not reused or fresh_try:
                    raise
                # A keep-alive connection the server had closed: send again on a new one.
            except BaseException:
                self._drop()
                raise
        raise AssertionError("unreachable")

    def call(self, method: str, path: str, query: Optional[Mapping[str, Any]] = None,
             body: Optional[Mapping[str, Any]] = None, retry: bool = False, timeout: float = 60.0) -> Any:
        target, headers, data = self.ep.prepare(method, path, query, body)
        attempts = self.ep.retries + 1 if retry else 1
        for attempt in range(1, attempts + 1):
            try:
                status, reason, retry_after, raw = self._once(method, target, headers, data, timeout)
            except (OSError, http.client.HTTPException) as err:
                if attempt < attempts:
                    time.sleep(self.ep.delay(attempt, None))
                    continue
                raise self.ep.unreachable(err) from err
            if status in _RETRY_STATUS and attempt < attempts:
                time.sleep(self.ep.delay(attempt, retry_after))
                continue
            return self.ep.decode(method, path, status, reason, raw)
        raise AssertionError("unreachable")


class _AsyncTransport:
    """Requests on an asyncio loop: a minimal HTTP/1.1 client with a pool of keep-alive sockets.

    Used by FlurryExecutor so that many long polls share one thread. Only what the Flurry API
    needs: JSON bodies, Content-Length or chunked answers.
    """

    IDLE_SECONDS = 4.0  # the server closes idle keep-alive sockets after 5 s

    def __init__(self, ep: _Endpoint, ssl_context: Optional[ssl.SSLContext]):
        self.ep = ep
        self.ssl_context = (ssl_context or ssl.create_default_context()) if ep.https else None
        self.idle: List[Tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def _acquire(self) -> Tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
        now = time.monotonic()
        while self.idle:
            reader, writer, since = self.idle.pop()
            if now - since < self.IDLE_SECONDS and not writer.is_closing() and not reader.at_eof():
                return reader, writer, True
            writer.close()
        reader, writer = await asyncio.open_connection(
            self.ep.host, self.ep.port, ssl=self.ssl_context,
            server_hostname=self.ep.host if self.ssl_context else None)
        return reader, writer, False

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, method: str,
                        target: str, headers: Dict[str, str], data: Optional[bytes]
                        ) -> Tuple[int, str, Dict[str, str], bytes, bool]:
        head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        writer.write(head.encode("utf-8") + (data or b""))
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        version, _, rest = status_line.decode("latin-1").strip().partition(" ")
        code, _, reason = rest.partition(" ")
        answer_headers: Dict[str, str] = {}
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                raise ConnectionResetError("the connection closed inside the headers")
            key, _, value = line.decode("latin-1").partition(":")
            answer_headers[key.strip().lower()] = value.strip()
        keep = version == "HTTP/1.1" and answer_headers.get("connection", "").lower() != "close"
        status = int(code)
        if status in (204, 304) or method == "HEAD":
            body = b""
        elif "chunked" in answer_headers.get("transfer-encoding", "").lower():
            chunks = []
            while True:
                size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(await reader.readexactly(size))
                await reader.readline()
            body = b"".join(chunks)
        elif "content-length" in answer_headers:
            body = await reader.readexactly(int(answer_headers["content-length"]))
        else:
            body = await reader.read()
            keep = False
        return status, reason, answer_headers, body, keep

    async def _once(self, method: str, target: str, headers: Dict[str, str], data: Optional[bytes],
                    timeout: float) -> Tuple[int, str, Dict[str, str], bytes]:
        for fresh_try in (False, True):
            reader, writer, reused = await self._acquire()
            try:
                status, reason, hdrs, body, keep = await asyncio.wait_for(
                    self._exchange(reader, writer, method, target, headers, data), timeout)
            except (ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError):
                writer.close()
                if not reused or fresh_try:
                    raise
                continue
            except BaseException:
                writer.close()
                raise
            if keep:
                self.idle.append((reader, writer, time.monotonic()))
            else:
                writer.close()
            return status, reason, hdrs, body
        raise AssertionError("unreachable")

    async def call(self, method: str, path: str, query: Optional[Mapping[str, Any]] = None,
                   body: Optional[Mapping[str, Any]] = None, retry: bool = False, timeout: float = 60.0) -> Any:
        target, headers, data = self.ep.prepare(method, path, query, body)
        attempts = self.ep.retries + 1 if retry else 1
        for attempt in range(1, attempts + 1):
            try:
                status, reason, hdrs, raw = await self._once(method, target, headers, data, timeout)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as err:
                if attempt < attempts:
                    await asyncio.sleep(self.ep.delay(attempt, None))
                    continue
                raise self.ep.unreachable(err) from err
            if status in _RETRY_STATUS and attempt < attempts:
                await asyncio.sleep(self.ep.delay(attempt, hdrs.get("retry-after")))
                continue
            return self.ep.decode(method, path, status, reason, raw)
        raise AssertionError("unreachable")

    def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()
        self.idle.clear()


# ---------------------------------------------------------------------------------------- client

def _job_path(jobid: Union[str, int], tail: str = "") -> str:
    return "/v1/jobs/" + urllib.parse.quote(str(JobID(jobid)), safe="") + tail


def _new_token() -> str:
    return uuid.uuid4().hex


#: Per-request caps of POST /v1/jobs (control/api/routes/jobs.ts); cc is sent in smaller chunks.
_MAX_JOBSPECS = 1000
_CC_CHUNK = 5000


class Client:
    """A client of one Flurry instance.

    ``uri`` and ``token`` default to what the ``flurry`` CLI finds (``find_instance``).
    ``retries`` bounds the repeats of safe calls (GETs, submissions) on network errors, 429 and
    5xx, with exponential backoff from ``backoff`` seconds. Safe to share between threads.
    """

    def __init__(self, uri: Optional[str] = None, token: Optional[str] = None, *, retries: int = 4,
                 backoff: float = 0.1, max_backoff: float = 2.0, ssl_context: Optional[ssl.SSLContext] = None):
        if uri is None or token is None:
            env = dict(os.environ)
            if uri is not None:
                env["FLURRY_URI"] = uri
            if token is not None:
                env["FLURRY_TOKEN"] = token
            uri, token = find_instance(env)
        self._endpoint = _Endpoint(uri, token, retries, backoff, max_backoff)
        self._ssl_context = ssl_context
        self._http = _SyncTransport(self._endpoint, ssl_context)
        self._kvs: Optional[KVS] = None

    @property
    def uri(self) -> str:
        """The instance's base URI (without ``/v1``)."""
        return self._endpoint.uri

    def __repr__(self) -> str:
        return f"Client({self.uri!r})"

    def close(self) -> None:
        """Close the keep-alive connections (the client stays usable: they reopen on demand)."""
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _call(self, method: str, path: str, query: Optional[Mapping[str, Any]] = None,
              body: Optional[Mapping[str, Any]] = None, retry: bool = False, timeout: float = 60.0) -> Any:
        return self._http.call(method, path, query, body, retry, timeout)

    # --- instance

    def health(self) -> Dict[str, Any]:
        """``{"ok": True, "version": ...}``"""
        return self._call("GET", "/v1/health", retry=True)

    def whoami(self) -> Dict[str, str]:
        """``{"user": ..., "role": "owner" | "user"}``"""
        return self._call("GET", "/v1/whoami", retry=True)

    def resources(self) -> Dict[str, Any]:
        """The nodes and the free/allocated/down/drained summaries (GET /v1/resources)."""
        return self._call("GET", "/v1/resources", retry=True)

    # --- submission

    def _submit_body(self, body: Dict[str, Any], urgency: Optional[int], client_token: Optional[str]) -> List[JobID]:
        body["clientToken"] = client_token or _new_token()
        if urgency is not None:
            body["urgency"] = urgency
        answer = self._call("POST", "/v1/jobs", body=body, retry=True)
        return [JobID(i) for i in answer["ids"]]

    def submit(self, jobspec: JobspecLike, urgency: int = 16, waitable: bool = True,
               client_token: Optional[str] = None) -> JobID:
        """Submit one job and return its id once it is durable.

        ``jobspec`` is a Jobspec, a jobspec dict, its YAML/JSON text, or a command list (run with
        ``JobspecV1.from_command`` defaults). ``urgency`` is 0–31 (RFC 30). Every job can be
        waited for, so ``waitable`` is accepted for Flux compatibility only. A retry with the same
        ``client_token`` (default: a fresh one per call) returns the same id.
        """
        return self._submit_body({"jobspec": _jobspec_payload(jobspec)}, urgency, client_token)[0]

    def submit_cc(self, jobspec: JobspecLike, cc: Union[str, Iterable[int]] = "1-10", urgency: int = 16,
                  client_token: Optional[str] = None) -> List[JobID]:
        """Submit one copy of ``jobspec`` per id of ``cc`` (``flurry submit --cc``); ids in order.

        Each copy sees ``FLURRY_JOB_CC=<id>`` in its environment.
        """
        ids = parse_idset(cc) if isinstance(cc, str) else sorted(set(cc))
        if not ids:
            raise ValueError("cc must name at least one id")
        payload = _jobspec_payload(jobspec)
        base = client_token or _new_token()
        out: List[JobID] = []
        for n, start in enumerate(range(0, len(ids), _CC_CHUNK)):
            chunk = format_idset(ids[start:start + _CC_CHUNK])
            out += self._submit_body({"jobspec": payload, "cc": chunk}, urgency, f"{base[:116]}#{n}")
        return out

    def submit_many(self, jobspecs: Iterable[JobspecLike], urgency: int = 16) -> List[JobID]:
        """Submit several jobs in requests of up to 1000; ids in the same order."""
        payloads = [_jobspec_payload(j) for j in jobspecs]
        out: List[JobID] = []
        for start in range(0, len(payloads), _MAX_JOBSPECS):
            out += self._submit_body({"jobspecs": payloads[start:start + _MAX_JOBSPECS]}, urgency, None)
        return out

    # --- queries and changes

    def job_info(self, jobid: Union[str, int]) -> JobInfo:
        """One job, with its ``jobspec`` and ``R``."""
        return JobInfo(self._call("GET", _job_path(jobid), retry=True))

    def jobs(self, filter: Optional[str] = None, user: Optional[str] = None, name: Optional[str] = None,
             max_entries: int = 1000) -> List[JobInfo]:
        """Jobs newest first, across pages, up to ``max_entries``.

        ``filter`` is comma-separated states/results (``"pending,running"``, ``"inactive"``,
        ``"failed"``; default: active jobs); ``user`` is whose (default the caller, ``"*"`` all:
        instance owner only).
        """
        out: List[JobInfo] = []
        cursor = None
        while len(out) < max_entries:
            query = {"filter": filter, "user": user, "name": name,
                     "limit": min(1000, max_entries - len(out)), "cursor": cursor}
            page = self._call("GET", "/v1/jobs", query=query, retry=True)
            out += [JobInfo(j) for j in page["jobs"]]
            cursor = page.get("cursor")
            if not cursor:
                break
        return out[:max_entries]

    def cancel(self, jobid: Union[str, int], note: Optional[str] = None) -> JobInfo:
        """Raise a ``cancel`` exception on the job; FlurryError ``conflict`` if it is already inactive."""
        return JobInfo(self._call("POST", _job_path(jobid, "/cancel"), body={} if note is None else {"note": note}))

    def set_urgency(self, jobid: Union[str, int], urgency: int) -> JobInfo:
        """Change a pending job's urgency (0–31)."""
        return JobInfo(self._call("POST", _job_path(jobid, "/urgency"), body={"urgency": urgency}))

    # --- watching

    def _eventlog_page(self, jobid: Union[str, int], start: int, wait: float) -> Dict[str, Any]:
        return self._call("GET", _job_path(jobid, "/eventlog"), query={"from": start, "wait": wait},
                          retry=True, timeout=wait + 30)

    def event_watch(self, jobid: Union[str, int], start: int = 0,
                    wait: float = DEFAULT_WAIT) -> Iterator[EventLogEvent]:
        """Yield the job's eventlog (RFC 21) from index ``start`` as events happen, ending after
        the last one (``clean``) once the job is inactive. Each request waits up to ``wait`` s."""
        while True:
            page = self._eventlog_page(jobid, start, wait)
            for ev in page["events"]:
                yield EventLogEvent(ev)
            if page["done"]:
                return
            start = page["next"]

    def event_wait(self, jobid: Union[str, int], name: str, timeout: Optional[float] = None) -> EventLogEvent:
        """Wait for the job's first event called ``name`` and return it.

        Raises FlurryError (``not_found``) if the job ends without it, TimeoutError after ``timeout`` s.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        start = 0
        while True:
            wait = DEFAULT_WAIT if deadline is None else max(0.0, min(DEFAULT_WAIT, deadline - time.monotonic()))
            page = self._eventlog_page(jobid, start, wait)
            for ev in page["events"]:
                if ev["name"] == name:
                    return EventLogEvent(ev)
            if page["done"]:
                raise FlurryError(0, "not_found", f"job {JobID(jobid)} is inactive and had no {name} event")
            start = page["next"]
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"no {name} event for job {JobID(jobid)} within {timeout} s")

    def result(self, jobid: Union[str, int], timeout: Optional[float] = None) -> JobInfo:
        """Wait until the job is inactive and return its JobInfo (``result``, ``returncode``,
        ``exitcode``, ``exception``); TimeoutError after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        start = 0
        while True:
            wait = DEFAULT_WAIT if deadline is None else max(0.0, min(DEFAULT_WAIT, deadline - time.monotonic()))
            page = self._eventlog_page(jobid, start, wait)
            if page["done"]:
                return self.job_info(jobid)
            start = page["next"]
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"job {JobID(jobid)} still active after {timeout} s")

    def wait(self, jobid: Union[str, int], timeout: Optional[float] = None) -> JobWaitResult:
        """Wait for the job and return ``(jobid, success, errstr)`` as Flux's ``flux.job.wait``."""
        info = self.result(jobid, timeout)
        if info.result == "COMPLETED":
            return JobWaitResult(info.id, True, "")
        if info.exception.occurred and info.exception.severity == 0:
            errstr = f"Fatal exception type={info.exception.type} {info.exception.note}".rstrip()
        elif info.returncode is not None and info.returncode < 0:
            errstr = f"task(s) terminated by signal {-info.returncode}"
        else:
            errstr = f"task(s) exited with exit code {info.returncode}"
        return JobWaitResult(info.id, False, errstr)

    def output(self, jobid: Union[str, int], follow: bool = True, wait: float = DEFAULT_WAIT) -> Iterator[OutputEntry]:
        """Yield the job's output as ``(stream, task, data)`` chunks in order, ending once the job is
        inactive and everything was read (or, with ``follow=False``, after what exists now).
        Warns once if the server dropped output at its per-job cap."""
        cursor: Optional[str] = None
        truncated = False
        while True:
            page = self._call("GET", _job_path(jobid, "/output"),
                              query={"cursor": cursor, "wait": wait if follow else 0},
                              retry=True, timeout=wait + 30)
            if page.get("truncated") and not truncated:
                truncated = True
                warnings.warn(f"job {JobID(jobid)}: some output was dropped at the server's per-job cap", stacklevel=2)
            for e in page["entries"]:
                yield OutputEntry(e["stream"], e["task"], e["data"])
            if page["done"] or (not follow and not page["entries"]):
                return
            cursor = page["cursor"]

    def output_text(self, jobid: Union[str, int], stream: Optional[str] = "stdout") -> str:
        """The job's whole output as text, once it is inactive: ``"stdout"``, ``"stderr"``, or
        both interleaved with ``stream=None``."""
        return "".join(e.data for e in self.output(jobid) if stream is None or e.stream == stream)

    # --- KVS

    @property
    def kvs(self) -> "KVS":
        """The instance's key-value store (``client.kvs.get("a.b")``)."""
        if self._kvs is None:
            self._kvs = KVS(self)
        return self._kvs


# ------------------------------------------------------------------------------------------- KVS

class Symlink(NamedTuple):
    """A KVS symbolic link: the key it points to, and the namespace when not its own."""

    target: str
    namespace: Optional[str] = None


class KVSChange(NamedTuple):
    """A change of a watched key: ``op`` is ``set`` (``value`` the new value), ``append`` (``value``
    what was appended) or ``unlink`` (``value`` None), made by commit ``version``."""

    version: int
    op: str
    value: Any


def _entry_value(entry: Mapping[str, Any]) -> Any:
    """A lookup entry as Python: JSON values as they are, raw bytes as ``bytes``, links as Symlink."""
    kind = entry.get("type")
    if kind == "json":
        return entry.get("value")
    if kind == "raw":
        return base64.b64decode(entry.get("data", ""))
    if kind == "symlink":
        return Symlink(entry["target"], entry.get("namespace"))
    return {}


def _value_op(op: str, key: str, value: Any) -> Dict[str, Any]:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"op": op, "key": key, "data": base64.b64encode(bytes(value)).decode("ascii")}
    return {"op": op, "key": key, "value": value}


class KVSTxn:
    """A KVS transaction: operations staged in order, committed all or none (as Flux's ``KVSTxn``).

    ``with kvs.txn() as t: t.put("a.b", 1)`` commits when the block ends without an exception.
    """

    def __init__(self, kvs: "KVS"):
        self._kvs = kvs
        self.ops: List[Dict[str, Any]] = []

    def put(self, key: str, value: Any) -> "KVSTxn":
        """Store a JSON-serializable value (``bytes``: a raw value), replacing what is there."""
        self.ops.append(_value_op("put", key, value))
        return self

    def append(self, key: str, value: Union[str, bytes]) -> "KVSTxn":
        """Append text to a string value, or bytes to a raw value; creates the key."""
        self.ops.append(_value_op("append", key, value))
        return self

    def mkdir(self, key: str) -> "KVSTxn":
        """Make ``key`` an empty directory (replacing what is there)."""
        self.ops.append({"op": "mkdir", "key": key})
        return self

    def unlink(self, key: str, recursive: bool = False, force: bool = False) -> "KVSTxn":
        """Remove ``key`` (a directory needs ``recursive``; a missing key fails unless ``force``)."""
        self.ops.append({"op": "unlink", "key": key, "recursive": recursive, "force": force})
        return self

    def symlink(self, key: str, target: str, namespace: Optional[str] = None) -> "KVSTxn":
        """Make ``key`` a link to ``target`` (in ``namespace``, default this one)."""
        op = {"op": "link", "key": key, "target": target}
        if namespace is not None:
            op["namespace"] = namespace
        self.ops.append(op)
        return self

    def check(self, key: str, version: int) -> "KVSTxn":
        """Fail the commit (FlurryError ``conflict``) unless ``key`` was last written by commit
        ``version`` (its ``modified``; 0: unless it does not exist)."""
        self.ops.append({"op": "check", "key": key, "version": version})
        return self

    def commit(self) -> int:
        """Send the operations; return the namespace version they made. Empty: the current version."""
        ops, self.ops = self.ops, []
        if not ops:
            return self._kvs.version()
        answer = self._kvs._call("POST", "/commit", body={"ops": ops})
        return int(answer["version"])

    def __enter__(self) -> "KVSTxn":
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is None:
            self.commit()


class KVS:
    """A KVS namespace (``client.kvs`` is ``primary``), with Flux's names (``flux.kvs``).

    Reads go to the server: ``get``, ``exists``, ``isdir``, ``ls``, ``version``, ``watch``.
    ``put``, ``append``, ``mkdir``, ``unlink``, ``symlink`` stage operations in this object's
    pending transaction, which ``commit()`` sends all or none, as ``flux.kvs.put`` then
    ``flux.kvs.commit``; ``txn()`` gives an explicit transaction. Keys are dotted (``a.b.c``);
    values are JSON (``bytes``: raw values).
    """

    def __init__(self, client: Client, namespace: str = "primary"):
        self._client = client
        self.name = namespace
        self._pending = KVSTxn(self)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<KVS {self.name} at {self._client.uri}>"

    def namespace(self, name: str) -> "KVS":
        """Another namespace (``job-<id>`` of a job, or one made with ``create_namespace``)."""
        return KVS(self._client, name)

    def _call(self, method: str, tail: str, query: Optional[Mapping[str, Any]] = None,
              body: Optional[Mapping[str, Any]] = None, timeout: float = 60.0) -> Any:
        path = "/v1/kvs/namespaces/" + urllib.parse.quote(self.name, safe="") + tail
        return self._client._call(method, path, query=query, body=body, retry=method == "GET", timeout=timeout)

    # --- reads

    def lookup(self, key: str, readdir: bool = False, recursive: bool = False, readlink: bool = False,
               values: bool = True) -> Dict[str, Any]:
        """The server's answer for ``key``: ``namespace``, ``key``, ``version``, ``modified``,
        ``entry`` and, with ``readdir``, ``entries``."""
        query = {"key": key, "readdir": readdir or None, "recursive": recursive or None,
                 "readlink": readlink or None, "values": None if values else "false"}
        return self._call("GET", "/lookup", query={k: ("true" if v is True else v) for k, v in query.items()})

    def _find(self, key: str) -> Dict[str, Any]:
        """A plain lookup, or for a directory (which a plain lookup refuses) its recursive listing."""
        try:
            return self.lookup(key)
        except FlurryError as err:
            if err.code != "invalid":
                raise
            try:
                return self.lookup(key, readdir=True, recursive=True)
            except FlurryError:
                raise err from None

    def get(self, key: str, default: Any = _MISSING) -> Any:
        """The value at ``key`` (links followed): JSON as decoded, raw as ``bytes``, a directory
        as a dict of its contents. A missing key returns ``default`` if given, else raises
        FlurryError ``not_found``."""
        try:
            answer = self._find(key)
        except FlurryError as err:
            if err.code == "not_found" and default is not _MISSING:
                return default
            raise
        if "entries" not in answer:
            return _entry_value(answer["entry"])
        root: Dict[str, Any] = {}
        prefix = "" if answer["key"] == "." else answer["key"] + "."
        for item in answer["entries"]:
            parts = item["key"][len(prefix):].split(".")
            node = root
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            if item["entry"].get("type") == "dir":
                node.setdefault(parts[-1], {})
            else:
                node[parts[-1]] = _entry_value(item["entry"])
        return root

    def exists(self, key: str) -> bool:
        try:
            self._find(key)
            return True
        except FlurryError as err:
            if err.code == "not_found":
                return False
            raise

    def isdir(self, key: str) -> bool:
        try:
            return "entries" in self._find(key)
        except FlurryError as err:
            if err.code == "not_found":
                return False
            raise

    def ls(self, key: str = ".") -> List[str]:
        """The names in directory ``key`` (``"."``: the root), sorted."""
        answer = self.lookup(key, readdir=True, values=False)
        prefix = "" if answer["key"] == "." else answer["key"] + "."
        return sorted(e["key"][len(prefix):] for e in answer.get("entries", []))

    def readlink(self, key: str) -> Symlink:
        """Where the link ``key`` points."""
        entry = self.lookup(key, readlink=True)["entry"]
        return Symlink(entry["target"], entry.get("namespace"))

    def version(self) -> int:
        """The namespace's version: its number of commits."""
        return int(self._call("GET", "/version")["version"])

    def wait_version(self, version: int, timeout: Optional[float] = None) -> int:
        """Wait until the namespace reaches ``version``; return the version then.
        TimeoutError after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = DEFAULT_WAIT if deadline is None else max(0.0, min(DEFAULT_WAIT, deadline - time.monotonic()))
            answer = self._call("GET", "/wait", query={"version": version, "wait": wait}, timeout=wait + 30)
            if answer["reached"]:
                return int(answer["version"])
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"KVS namespace {self.name} did not reach version {version} within {timeout} s")

    def watch(self, key: str, after: Optional[int] = None, wait: float = DEFAULT_WAIT) -> Iterator[KVSChange]:
        """Yield the changes of ``key`` in commits after version ``after`` (default: from now on),
        as they happen. The generator runs until you stop iterating."""
        if after is None:
            after = self.version()
        while True:
            page = self._call("GET", "/watch", query={"key": key, "after": after, "wait": wait}, timeout=wait + 30)
            for ch in page["changes"]:
                if ch["op"] == "set":
                    value = _entry_value(ch["entry"])
                elif ch["op"] == "append":
                    value = _entry_value(ch["data"])
                else:
                    value = None
                yield KVSChange(int(ch["version"]), ch["op"], value)
            after = int(page["version"])

    # --- writes (staged in the pending transaction)

    def put(self, key: str, value: Any) -> None:
        """Stage storing ``value`` at ``key``; ``commit()`` sends it."""
        with self._lock:
            self._pending.put(key, value)

    def append(self, key: str, value: Union[str, bytes]) -> None:
        with self._lock:
            self._pending.append(key, value)

    def mkdir(self, key: str) -> None:
        with self._lock:
            self._pending.mkdir(key)

    def unlink(self, key: str, recursive: bool = False, force: bool = False) -> None:
        with self._lock:
            self._pending.unlink(key, recursive, force)

    def symlink(self, key: str, target: str, namespace: Optional[str] = None) -> None:
        with self._lock:
            self._pending.symlink(key, target, namespace)

    def commit(self) -> int:
        """Send the staged operations as one transaction; return the version it made."""
        with self._lock:
            pending, self._pending = self._pending, KVSTxn(self)
        return pending.commit()

    def txn(self) -> KVSTxn:
        """A new transaction of its own (``with kvs.txn() as t: ...`` commits at the end)."""
        return KVSTxn(self)

    # --- namespaces

    def namespaces(self) -> List[Dict[str, Any]]:
        """The namespaces you may see (all for the instance owner)."""
        return self._client._call("GET", "/v1/kvs/namespaces", retry=True)["namespaces"]

    def create_namespace(self, name: str, owner: Optional[str] = None) -> "KVS":
        """Create a namespace (instance owner, or ``job-<id>`` of your own job) and return it."""
        body = {"name": name} if owner is None else {"name": name, "owner": owner}
        self._client._call("POST", "/v1/kvs/namespaces", body=body)
        return self.namespace(name)

    def remove_namespace(self, name: str) -> None:
        """Remove a namespace and everything in it."""
        self._client._call("DELETE", "/v1/kvs/namespaces/" + urllib.parse.quote(name, safe=""))


# -------------------------------------------------------------------------------------- executor

class FlurryExecutorFuture(concurrent.futures.Future):
    """A Future for one Flurry job, as Flux's ``FluxExecutorFuture``.

    ``result()`` is the job's return code (``JobInfo.returncode``); a job that ended on a fatal
    exception (``cancel``, ``timeout``…) raises JobException instead; a refused submission raises
    its FlurryError. ``jobid()`` waits for the id; callbacks run in the executor's thread, which
    must not wait on an unfinished future.
    """

    EVENTS = MAIN_EVENTS

    def __init__(self, owning_thread_id: Optional[int] = None):
        super().__init__()
        self._owner = owning_thread_id
        self._jobid_ready = threading.Event()
        self._jobid_value: Optional[JobID] = None
        self._jobid_error: Optional[BaseException] = None
        self._jobid_callbacks: List[Callable[["FlurryExecutorFuture"], Any]] = []
        self._event_callbacks: Dict[str, List[Callable[..., Any]]] = collections.defaultdict(list)
        self._events: List[EventLogEvent] = []
        self._cb_lock = threading.Lock()

    def _guard(self) -> None:
        if not self.done() and self._owner is not None and threading.get_ident() == self._owner:
            raise RuntimeError("cannot wait for a future from inside an executor callback")

    def jobid(self, timeout: Optional[float] = None) -> JobID:
        """The job's id; ``concurrent.futures.TimeoutError`` if not known within ``timeout`` s."""
        if not self._jobid_ready.is_set():
            self._guard()
        if not self._jobid_ready.wait(timeout):
            raise concurrent.futures.TimeoutError()
        if self._jobid_error is not None:
            raise self._jobid_error
        assert self._jobid_value is not None
        return self._jobid_value

    def add_jobid_callback(self, callback: Callable[["FlurryExecutorFuture"], Any]) -> "FlurryExecutorFuture":
        """Call ``callback(future)`` once the id is known (at once if it is)."""
        with self._cb_lock:
            if not self._jobid_ready.is_set():
                self._jobid_callbacks.append(callback)
                return self
        self._invoke(callback)
        return self

    def add_event_callback(self, event: str, callback: Callable[["FlurryExecutorFuture", EventLogEvent], Any]
                           ) -> "FlurryExecutorFuture":
        """Call ``callback(future, event)`` for each event called ``event`` (including past ones)."""
        if event not in self.EVENTS:
            raise ValueError(f"{event!r} is not one of {sorted(self.EVENTS)}")
        with self._cb_lock:
            self._event_callbacks[event].append(callback)
            past = [e for e in self._events if e.name == event]
        for e in past:
            self._invoke(callback, e)
        return self

    def result(self, timeout: Optional[float] = None) -> int:
        self._guard()
        return super().result(timeout)

    def exception(self, timeout: Optional[float] = None) -> Optional[BaseException]:
        self._guard()
        return super().exception(timeout)

    def cancel(self) -> bool:
        """Cancel the future if its job was not submitted yet (use Client.cancel for a job)."""
        cancelled = super().cancel()
        if cancelled and not self._jobid_ready.is_set():
            self._set_jobid(None, concurrent.futures.CancelledError())
        return cancelled

    def set_exception(self, exception: Optional[BaseException]) -> None:
        if not self._jobid_ready.is_set():
            self._set_jobid(None, RuntimeError(f"job could not be submitted: {exception}"))
        super().set_exception(exception)

    def _set_jobid(self, jobid: Optional[JobID], error: Optional[BaseException] = None) -> None:
        with self._cb_lock:
            if self._jobid_ready.is_set():
                return
            self._jobid_value, self._jobid_error = jobid, error
            self._jobid_ready.set()
            callbacks, self._jobid_callbacks = self._jobid_callbacks, []
        for cb in callbacks:
            self._invoke(cb)

    def _add_event(self, event: EventLogEvent) -> None:
        with self._cb_lock:
            self._events.append(event)
            callbacks = list(self._event_callbacks.get(event.name, ()))
        for cb in callbacks:
            self._invoke(cb, event)

    def _invoke(self, callback: Callable[..., Any], *args: Any) -> None:
        try:
            callback(self, *args)
        except Exception:  # a user's callback must not break the executor
            _log.exception("exception calling callback for %r", self)


class _Submission(NamedTuple):
    future: FlurryExecutorFuture
    payload: Union[Dict[str, Any], str]
    urgency: Optional[int]


class FlurryExecutor(concurrent.futures.Executor):
    """Run jobs as futures (``concurrent.futures.Executor``), as Flux's ``FluxExecutor``.

    ``submit(jobspec)`` takes a Jobspec, a dict, jobspec text or a command list (with
    ``JobspecV1.from_command`` keyword arguments) and returns a FlurryExecutorFuture;
    ``map(fn, *iterables)`` submits ``fn(*args)`` for each set of arguments (``fn`` returns a
    jobspec or a command) and yields the return codes in order.

    One background thread runs an asyncio loop: submissions arriving within ``batch_window``
    seconds go out in one request (≤ 1000 jobs), and each job is watched by long-polling its
    eventlog on a shared pool of keep-alive sockets, so many jobs in flight cost no thread each.
    Beyond ``max_connections`` watched jobs, polls stop waiting on the server and are spread
    out in time instead. ``shutdown(wait=True)`` (or leaving a ``with`` block) waits for every
    job; jobs themselves are never cancelled by the executor.
    """

    def __init__(self, client: Optional[Client] = None, *, uri: Optional[str] = None, token: Optional[str] = None,
                 urgency: int = 16, batch_window: float = 0.005, max_connections: int = 128,
                 poll_wait: float = DEFAULT_WAIT, thread_name_prefix: str = "flurry-executor"):
        self._client = client if client is not None else Client(uri, token)
        self._urgency = urgency
        self._batch_window = batch_window
        self._max_connections = max_connections
        self._poll_wait = poll_wait
        self._loop = asyncio.new_event_loop()
        self._http = _AsyncTransport(self._client._endpoint, self._client._ssl_context)
        self._lock = threading.Lock()
        self._shutdown = False
        self._unfinished: set = set()
        self._all_done = threading.Event()
        self._all_done.set()
        self._batch: List[_Submission] = []
        self._flush_handle: Optional[asyncio.TimerHandle] = None
        self._watching = 0
        self._tasks: set = set()
        self._sem: asyncio.Semaphore = None  # type: ignore[assignment]  # made in _run_loop
        self._thread = threading.Thread(target=self._run_loop, name=thread_name_prefix, daemon=True)
        started = threading.Event()
        self._loop.call_soon_threadsafe(started.set)
        self._thread.start()
        started.wait()

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        # Made here: before 3.10 a Semaphore binds to the loop current where it is created.
        self._sem = asyncio.Semaphore(self._max_connections)
        try:
            self._loop.run_forever()
        finally:
            for task in self._tasks:
                task.cancel()
            self._http.close()
            # One more turn lets the cancelled tasks end and the closed sockets go.
            self._loop.run_until_complete(asyncio.sleep(0.01))
            self._loop.close()

    # --- public API

    def submit(self, jobspec: JobspecLike, *args: Any, urgency: Optional[int] = None,
               **kwargs: Any) -> FlurryExecutorFuture:  # type: ignore[override]
        """Submit a job; extra arguments go to ``JobspecV1.from_command`` when ``jobspec`` is a command."""
        if isinstance(jobspec, (list, tuple)):
            payload: Union[Dict[str, Any], str] = JobspecV1.from_command(jobspec, *args, **kwargs).jobspec
        elif args or kwargs:
            raise TypeError("extra arguments are only allowed with a command list")
        else:
            payload = _jobspec_payload(jobspec)
        future = self._new_future()
        sub = _Submission(future, payload, self._urgency if urgency is None else urgency)
        self._loop.call_soon_threadsafe(self._enqueue, sub)
        return future

    def _new_future(self) -> FlurryExecutorFuture:
        """A future counted as unfinished until it is done (refused once the executor is shut down)."""
        future = FlurryExecutorFuture(self._thread.ident)
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._unfinished.add(future)
            self._all_done.clear()
        future.add_done_callback(self._forget)
        return future

    def attach(self, jobid: Union[str, int]) -> FlurryExecutorFuture:
        """A future for a job submitted earlier (by anyone you may see), as ``FluxExecutor.attach``."""
        jid = JobID(jobid)
        future = self._new_future()
        future.set_running_or_notify_cancel()
        future._set_jobid(jid)
        self._loop.call_soon_threadsafe(self._spawn, self._watch(future, jid))
        return future

    def map(self, fn: Union[Callable[..., JobspecLike], Iterable[JobspecLike]], *iterables: Iterable[Any],
            timeout: Optional[float] = None, chunksize: int = 1) -> Iterator[int]:
        """Submit ``fn(*args)`` for each ``args`` in ``zip(*iterables)`` (or each jobspec of ``fn``
        when it is an iterable and no iterables follow); yield the return codes in order.
        ``chunksize`` is ignored: submissions are batched anyway."""
        if callable(fn):
            specs: Iterable[JobspecLike] = (fn(*args) for args in zip(*iterables))
        elif not iterables:
            specs = fn
        else:
            raise TypeError("map(fn, *iterables): fn must be callable when iterables are given")
        futures = [self.submit(spec) for spec in specs]
        deadline = None if timeout is None else time.monotonic() + timeout

        def results() -> Iterator[int]:
            try:
                for f in futures:
                    left = None if deadline is None else max(0.0, deadline - time.monotonic())
                    yield f.result(left)
            finally:
                for f in futures:
                    f.cancel()
        return results()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Accept no more jobs; with ``wait``, return once every submitted job is done.

        ``cancel_futures`` cancels futures whose jobs were not submitted yet.
        """
        with self._lock:
            self._shutdown = True
            pending = list(self._unfinished)
        if cancel_futures:
            for f in pending:
                f.cancel()
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._maybe_stop)
        if wait:
            self._all_done.wait()
            if threading.get_ident() != self._thread.ident:
                self._thread.join()

    # --- loop side

    def _forget(self, future: concurrent.futures.Future) -> None:
        with self._lock:
            self._unfinished.discard(future)
            if not self._unfinished:
                self._all_done.set()
                stop = self._shutdown
            else:
                stop = False
        if stop and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._maybe_stop)
            except RuntimeError:
                pass  # the loop closed meanwhile

    def _maybe_stop(self) -> None:
        with self._lock:
            idle = self._shutdown and not self._unfinished
        if idle:
            self._loop.stop()

    def _spawn(self, coro: Any) -> None:
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _enqueue(self, sub: _Submission) -> None:
        if not sub.future.set_running_or_notify_cancel():
            return
        self._batch.append(sub)
        if len(self._batch) >= _MAX_JOBSPECS:
            self._flush()
        elif self._flush_handle is None:
            self._flush_handle = self._loop.call_later(self._batch_window, self._flush)

    def _flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        batch, self._batch = self._batch, []
        by_urgency: Dict[Optional[int], List[_Submission]] = collections.defaultdict(list)
        for sub in batch:
            by_urgency[sub.urgency].append(sub)
        for group in by_urgency.values():
            for start in range(0, len(group), _MAX_JOBSPECS):
                self._spawn(self._submit_batch(group[start:start + _MAX_JOBSPECS]))

    async def _submit_batch(self, subs: List[_Submission]) -> None:
        body: Dict[str, Any] = ({"jobspec": subs[0].payload} if len(subs) == 1
                                else {"jobspecs": [s.payload for s in subs]})
        body["clientToken"] = _new_token()
        if subs[0].urgency is not None:
            body["urgency"] = subs[0].urgency
        try:
            async with self._sem:
                answer = await self._http.call("POST", "/v1/jobs", body=body, retry=True)
        except FlurryError as err:
            bad = re.match(r"body\.jobspecs\[(\d+)\]", err.field or "")
            if bad and len(subs) > 1 and int(bad.group(1)) < len(subs):
                # One bad jobspec refuses the whole request: fail it alone and send the others again.
                i = int(bad.group(1))
                field = "body.jobspec" + (err.field or "")[bad.end():]
                message = err.message.replace(bad.group(0), "body.jobspec", 1)
                subs[i].future.set_exception(FlurryError(err.status, err.code, message, field))
                rest = subs[:i] + subs[i + 1:]
                self._spawn(self._submit_batch(rest))
                return
            for s in subs:
                s.future.set_exception(err)
            return
        except Exception as err:  # noqa: BLE001 - every failure must reach the futures
            for s in subs:
                s.future.set_exception(err)
            return
        for sub, raw in zip(subs, answer["ids"]):
            jobid = JobID(raw)
            sub.future._set_jobid(jobid)
            self._spawn(self._watch(sub.future, jobid))

    async def _watch(self, future: FlurryExecutorFuture, jobid: JobID) -> None:
        self._watching += 1
        start = 0
        events: List[EventLogEvent] = []
        try:
            while True:
                crowded = self._watching > self._max_connections
                wait = 0.0 if crowded else self._poll_wait
                async with self._sem:
                    page = await self._http.call("GET", _job_path(jobid, "/eventlog"),
                                                 query={"from": start, "wait": wait}, retry=True, timeout=wait + 30)
                for raw in page["events"]:
                    ev = EventLogEvent(raw)
                    events.append(ev)
                    future._add_event(ev)
                if page["done"]:
                    break
                start = page["next"]
                if crowded:
                    # Spread the polls: about 200 requests per second across all watched jobs.
                    await asyncio.sleep(max(0.5, self._watching / 200) * (0.5 + random.random()))
        except Exception as err:  # noqa: BLE001
            future.set_exception(err)
            return
        finally:
            self._watching -= 1
        code, fatal = _returncode_from_events(events)
        if fatal is not None:
            future.set_exception(JobException(fatal))
        elif code is not None:
            future.set_result(code)
        else:
            try:
                info = await self._http.call("GET", _job_path(jobid), retry=True)
                future.set_result(JobInfo(info).returncode)
            except Exception as err:  # noqa: BLE001
                future.set_exception(err)
