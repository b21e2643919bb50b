"""test_units.py - the client's pure parts, without a server: job ids, idsets, durations, jobspecs,
instance discovery, results and errors."""

from __future__ import annotations

import os
import tempfile
import unittest
import warnings

import support  # noqa: F401  (puts flurry on the path)
import flurry


class JobIDTest(unittest.TestCase):
    def test_every_encoding_gives_the_same_f58_id(self):
        j = flurry.JobID("ƒuZZybuNNy")
        self.assertEqual(int(j), 6731191091817518)
        for text in ("fuZZybuNNy", "6731191091817518", "0x17e9fb8df16c2e", "0017.e9fb.8df1.6c2e", " ƒuZZybuNNy "):
            self.assertEqual(flurry.JobID(text), j, text)
        self.assertEqual(flurry.JobID(6731191091817518), "ƒuZZybuNNy")
        self.assertEqual((j.f58, j.dec, j.hex, j.dothex),
                         ("ƒuZZybuNNy", "6731191091817518", "0x17e9fb8df16c2e", "0017.e9fb.8df1.6c2e"))
        self.assertIsInstance(j, str)
        self.assertEqual(flurry.JobID(0), "ƒ1")

    def test_bad_ids_are_value_errors(self):
        for bad in ("", "ƒ", "ƒ0OIl", "node12", "0xZZ", "ƒ" + "z" * 13, str(2**64)):
            with self.assertRaises(ValueError, msg=bad):
                flurry.JobID(bad)
        with self.assertRaises(TypeError):
            flurry.JobID(1.5)  # type: ignore[arg-type]


class IdsetAndDurationTest(unittest.TestCase):
    def test_idsets(self):
        self.assertEqual(flurry.parse_idset("1-3,7,9"), [1, 2, 3, 7, 9])
        self.assertEqual(flurry.parse_idset("[0-2]"), [0, 1, 2])
        self.assertEqual(flurry.format_idset([7, 1, 2, 3, 9, 10]), "1-3,7,9-10")
        self.assertEqual(flurry.format_idset([]), "")
        for bad in ("3-1", "a", "1-"):
            with self.assertRaises(ValueError):
                flurry.parse_idset(bad)

    def test_durations(self):
        self.assertEqual(flurry.parse_fsd("1.5m"), 90)
        self.assertEqual(flurry.parse_fsd("250ms"), 0.25)
        self.assertEqual(flurry.parse_fsd("2h"), 7200)
        self.assertEqual(flurry.parse_fsd("10"), 10)
        self.assertEqual(flurry.parse_fsd("infinity"), float("inf"))
        for bad in ("-1", "10x", "", "m"):
            with self.assertRaises(ValueError):
                flurry.parse_fsd(bad)


def shape(js: flurry.Jobspec):
    return js.jobspec["resources"], js.jobspec["tasks"][0]["count"]


class JobspecTest(unittest.TestCase):
    """The shapes of control/core/jobspec/from-shape.ts (the vitest wrapper checks many more)."""

    def test_tasks_without_nodes(self):
        js = flurry.JobspecV1.from_command(["app", "-v"], num_tasks=4, cores_per_task=2, gpus_per_task=1, cwd="/tmp", environment={})
        self.assertEqual(js.jobspec, {
            "version": 1,
            "resources": [{"type": "slot", "count": 4, "label": "task",
                           "with": [{"type": "core", "count": 2}, {"type": "gpu", "count": 1}]}],
            "tasks": [{"command": ["app", "-v"], "slot": "task", "count": {"per_slot": 1}}],
            "attributes": {"system": {"duration": 0, "environment": {}, "cwd": "/tmp"}},
        })

    def test_nodes_spread_tasks_as_flux_does(self):
        resources, count = shape(flurry.JobspecV1.from_command(["app"], num_tasks=5, num_nodes=4))
        self.assertEqual(resources, [{"type": "node", "count": 4, "with": [
            {"type": "slot", "count": 2, "label": "task", "with": [{"type": "core", "count": 1}]}]}])
        self.assertEqual(count, {"total": 5})
        resources, count = shape(flurry.JobspecV1.from_command(["app"], num_nodes=2))
        self.assertEqual(resources[0]["exclusive"], True)
        self.assertEqual(resources[0]["with"][0]["count"], 1)
        self.assertEqual(count, {"per_slot": 1})
        resources, _ = shape(flurry.JobspecV1.from_command(["app"], num_tasks=4, num_nodes=2, exclusive=True))
        self.assertEqual((resources[0]["exclusive"], resources[0]["with"][0]["count"]), (True, 2))

    def test_bad_shapes_are_value_errors(self):
        cases = [dict(num_tasks=0), dict(num_nodes=3, num_tasks=2), dict(exclusive=True),
                 dict(cores_per_task=1.5), dict(gpus_per_task=-1), dict(cwd="relative"), dict(duration="soon")]
        for kwargs in cases:
            with self.assertRaises(ValueError, msg=kwargs):
                flurry.JobspecV1.from_command(["app"], **kwargs)
        for command in ([], "app", [""], [1]):
            with self.assertRaises(ValueError, msg=command):
                flurry.JobspecV1.from_command(command)  # type: ignore[arg-type]

    def test_attributes_and_defaults(self):
        env = {"PATH": "/bin", "FLURRY_TOKEN": "secret", "AWS_SECRET_ACCESS_KEY": "x", "AWS_SESSION_TOKEN": "y", "HOME": "/h"}
        old = dict(os.environ)
        try:
            os.environ.clear()
            os.environ.update(env)
            js = flurry.JobspecV1.from_command(["app"], duration="1.5m", name="build", queue="debug",
                                               dependencies=["afterok:ƒ2MU1GM7V"])
        finally:
            os.environ.clear()
            os.environ.update(old)
        self.assertEqual(js.environment, {"PATH": "/bin", "HOME": "/h"})
        self.assertEqual(js.cwd, os.getcwd())
        self.assertEqual(js.duration, 90)
        self.assertEqual(js.getattr("system.job.name"), "build")
        self.assertEqual(js.getattr("system.queue"), "debug")
        self.assertEqual(js.getattr("system.dependencies"), [{"scheme": "afterok", "value": "ƒ2MU1GM7V"}])
        js.duration = "inf"
        self.assertEqual(js.duration, 0)
        js.setattr("user.study", "a")
        js.setattr_shell_option("verbose", 1)
        self.assertEqual(js.attributes["user"], {"study": "a"})
        self.assertEqual(js.getattr("attributes.system.shell.options.verbose"), 1)
        with self.assertRaises(KeyError):
            js.getattr("system.nope")
        with self.assertRaises(ValueError):
            js.environment = {"A": 1}  # type: ignore[dict-item]
        self.assertIn('"command": ["app"]', js.dumps())


class FindInstanceTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(lambda: __import__("shutil").rmtree(self.dir))

    def write(self, name: str, text: str, mode: int = 0o600) -> str:
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def test_order_of_sources(self):
        self.write("uri", "http://127.0.0.1:9/\n")
        self.write("token", "dirtoken\n")
        self.assertEqual(flurry.find_instance({"FLURRY_DIR": self.dir}), ("http://127.0.0.1:9/", "dirtoken"))
        self.assertEqual(flurry.find_instance({"FLURRY_DIR": self.dir, "FLURRY_TOKEN": "t"}), ("http://127.0.0.1:9/", "t"))
        # The directory's token goes to the directory's URI only.
        self.assertEqual(flurry.find_instance({"FLURRY_DIR": self.dir, "FLURRY_URI": "http://127.0.0.1:9"})[1], "dirtoken")
        with self.assertRaises(flurry.FlurryError) as ctx:
            flurry.find_instance({"FLURRY_DIR": self.dir, "FLURRY_URI": "http://elsewhere:1"})
        self.assertEqual(ctx.exception.code, "no_instance")
        path = self.write("other-token", "filetoken")
        self.assertEqual(flurry.find_instance({"FLURRY_URI": "http://h:1", "FLURRY_TOKEN_FILE": path}), ("http://h:1", "filetoken"))

    def test_nothing_found_and_loose_token_files(self):
        with self.assertRaises(flurry.FlurryError) as ctx:
            flurry.find_instance({"FLURRY_DIR": self.dir})
        self.assertIn("flurry start", ctx.exception.message)
        path = self.write("loose", "tok", mode=0o644)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.assertEqual(flurry.find_instance({"FLURRY_URI": "http://h:1", "FLURRY_TOKEN_FILE": path})[1], "tok")
        self.assertTrue(any("chmod 600" in str(w.message) for w in caught))

    def test_client_arguments_win(self):
        c = flurry.Client("http://127.0.0.1:9/v1/", "tok")
        self.assertEqual(c.uri, "http://127.0.0.1:9")
        with self.assertRaises(ValueError):
            flurry.Client("ftp://x", "tok")


class ResultsAndErrorsTest(unittest.TestCase):
    def info(self, **kw):
        base = {"id": "ƒ2MU1GM7V", "owner": "u", "name": "a", "state": "INACTIVE", "stateCode": "CD",
                "urgency": 16, "t_submit": 1.0, "runtime": 0.5, "duration": 0}
        base.update(kw)
        return flurry.JobInfo(base)

    def test_returncode_follows_flux(self):
        self.assertEqual(self.info(result="COMPLETED", exitCode=0, waitstatus=0).returncode, 0)
        self.assertEqual(self.info(result="FAILED", exitCode=3, waitstatus=3 << 8).returncode, 3)
        self.assertEqual(self.info(result="FAILED", signal=9, waitstatus=9).returncode, -9)
        self.assertEqual(self.info(result="CANCELED", exception={"type": "cancel", "severity": 0, "note": ""}).returncode, -128)
        self.assertEqual(self.info(result="FAILED", exception={"type": "alloc", "severity": 0, "note": "x"}).returncode, 1)
        running = self.info(state="RUN", stateCode="R")
        self.assertIsNone(running.returncode)
        self.assertIsNone(running.success)
        self.assertFalse(running.exception)

    def test_error_bodies_become_flurry_errors(self):
        decode = flurry._Endpoint.decode
        with self.assertRaises(flurry.FlurryError) as ctx:
            decode("POST", "/v1/jobs", 400, "Bad Request",
                   b'{"error":{"code":"invalid","message":"body.urgency: must be \\u2264 31","field":"body.urgency"}}')
        e = ctx.exception
        self.assertEqual((e.status, e.code, e.field, str(e)), (400, "invalid", "body.urgency", "body.urgency: must be ≤ 31"))
        with self.assertRaises(flurry.FlurryError) as ctx:
            decode("GET", "/v1/jobs", 502, "Bad Gateway", b"<html>upstream</html>")
        self.assertEqual((ctx.exception.status, ctx.exception.code), (502, "internal"))
        self.assertEqual(decode("GET", "/v1/x", 200, "OK", b""), {})

    def test_unreachable_after_retries(self):
        client = flurry.Client("http://127.0.0.1:9", "tok", retries=2, backoff=0.01)
        with self.assertRaises(flurry.FlurryError) as ctx:
            client.health()
        self.assertEqual((ctx.exception.status, ctx.exception.code), (0, "unreachable"))


if __name__ == "__main__":
    unittest.main()
