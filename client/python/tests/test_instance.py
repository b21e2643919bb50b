"""test_instance.py - the client against a real local instance: ``flurry start --ephemeral`` with
2 nodes of 2 cores, started once for this module and stopped even when tests fail.

Set FLURRY_TEST_DIR to the directory of an instance that is already running to use it instead.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
import time
import unittest
from typing import Optional

import support
import flurry

INSTANCE: Optional[support.LocalInstance] = None
CLIENT: flurry.Client

RFC21_EVENTS = ["submit", "validate", "depend", "priority", "alloc", "start", "finish", "release", "free", "clean"]


def setUpModule() -> None:
    global INSTANCE, CLIENT
    existing = os.environ.get("FLURRY_TEST_DIR")
    if existing:
        uri, token = flurry.find_instance({"FLURRY_DIR": existing})
        CLIENT = flurry.Client(uri, token)
        return
    INSTANCE = support.LocalInstance(nodes=2, cores_per_node=2)
    try:
        INSTANCE.start()
    except BaseException:
        INSTANCE.stop()
        raise
    CLIENT = INSTANCE.client()


def tearDownModule() -> None:
    CLIENT.close()
    if INSTANCE is not None:
        INSTANCE.stop()


def cmd(script: str, **kwargs) -> flurry.JobspecV1:
    """A jobspec running a shell script in /tmp."""
    return flurry.JobspecV1.from_command(["sh", "-c", script], cwd="/tmp", **kwargs)


class SubmitAndResultTest(unittest.TestCase):
    def test_submit_and_result_keep_the_exit_code(self):
        ok = CLIENT.submit(cmd("exit 0"))
        three = CLIENT.submit(cmd("exit 3"), urgency=20)
        self.assertIsInstance(ok, flurry.JobID)
        self.assertTrue(ok.startswith("ƒ"))
        info = CLIENT.result(ok, timeout=60)
        self.assertEqual((info.result, info.returncode, info.exitcode, info.success), ("COMPLETED", 0, 0, True))
        self.assertFalse(info.exception)
        info = CLIENT.result(three, timeout=60)
        self.assertEqual((info.result, info.returncode, info.exitcode, info.urgency), ("FAILED", 3, 3, 20))
        self.assertEqual(CLIENT.wait(ok), (ok, True, ""))

    def test_a_failing_job(self):
        jobid = CLIENT.submit(["false"])
        info = CLIENT.result(jobid, timeout=60)
        self.assertEqual(info.result, "FAILED")
        self.assertNotEqual(info.returncode, 0)
        waited = CLIENT.wait(jobid)
        self.assertFalse(waited.success)
        self.assertIn("exit code 1", waited.errstr)
        full = CLIENT.job_info(jobid)
        self.assertEqual(full.jobspec["tasks"][0]["command"], ["false"])
        self.assertEqual(full.R["version"], 1)

    def test_submit_cc_gives_each_copy_its_index(self):
        ids = CLIENT.submit_cc(cmd("echo cc=$FLURRY_JOB_CC"), cc="1-4")
        self.assertEqual(len(set(ids)), 4)
        self.assertEqual([CLIENT.output_text(i) for i in ids], [f"cc={n}\n" for n in range(1, 5)])

    def test_a_retried_submission_creates_nothing_new(self):
        token = "py-retry-" + str(time.time())
        first = CLIENT.submit(cmd("true"), client_token=token)
        self.assertEqual(CLIENT.submit(cmd("true"), client_token=token), first)
        listed = [j.id for j in CLIENT.jobs(filter="pending,running,inactive", max_entries=50)]
        self.assertIn(first, listed)
        self.assertEqual(listed.count(first), 1)


class WatchTest(unittest.TestCase):
    def test_event_watch_yields_rfc21_events_in_order(self):
        jobid = CLIENT.submit(cmd("true"))
        events = list(CLIENT.event_watch(jobid))
        self.assertEqual([e.name for e in events], RFC21_EVENTS)
        self.assertEqual(events[0].context["urgency"], 16)
        self.assertEqual(events[6].context["status"], 0)
        stamps = [e.timestamp for e in events]
        self.assertEqual(stamps, sorted(stamps))

    def test_output_text_and_entries(self):
        jobid = CLIENT.submit(cmd("echo out-$FLURRY_TASK_RANK; echo err >&2", num_tasks=2))
        self.assertEqual(sorted(CLIENT.output_text(jobid).splitlines()), ["out-0", "out-1"])
        self.assertEqual(CLIENT.output_text(jobid, "stderr"), "err\nerr\n")
        entries = list(CLIENT.output(jobid))
        self.assertEqual({(e.stream, e.task) for e in entries},
                         {("stdout", 0), ("stdout", 1), ("stderr", 0), ("stderr", 1)})

    def test_cancel_a_running_sleep(self):
        jobid = CLIENT.submit(["sleep", "60"])
        CLIENT.event_wait(jobid, "start", timeout=60)
        CLIENT.cancel(jobid, note="from python")
        info = CLIENT.result(jobid, timeout=60)
        self.assertEqual(info.result, "CANCELED")
        self.assertEqual((info.exception.type, info.exception.severity, info.exception.note), ("cancel", 0, "from python"))
        self.assertIn("cancel", CLIENT.wait(jobid).errstr)
        with self.assertRaises(flurry.FlurryError) as ctx:
            CLIENT.cancel(jobid)
        self.assertEqual((ctx.exception.status, ctx.exception.code), (409, "conflict"))


class ErrorTest(unittest.TestCase):
    def test_a_bad_urgency_names_the_field(self):
        with self.assertRaises(flurry.FlurryError) as ctx:
            CLIENT.submit(cmd("true"), urgency=99)
        e = ctx.exception
        self.assertEqual((e.status, e.code, e.field), (400, "invalid", "body.urgency"))
        self.assertIn("31", e.message)

    def test_a_malformed_jobspec_names_the_field(self):
        js = cmd("true")
        js.jobspec["tasks"][0]["count"] = {"per_slot": 2}
        with self.assertRaises(flurry.FlurryError) as ctx:
            CLIENT.submit(js)
        self.assertEqual(ctx.exception.status, 400)
        self.assertTrue(ctx.exception.field.endswith("jobspec.tasks[0].count.per_slot"), ctx.exception.field)
        self.assertIn(ctx.exception.field, str(ctx.exception))
        with self.assertRaises(flurry.FlurryError) as ctx:
            CLIENT.submit("version: [")
        self.assertEqual((ctx.exception.code, ctx.exception.field), ("invalid", "body.jobspec"))

    def test_unknown_jobs_and_bad_tokens(self):
        with self.assertRaises(flurry.FlurryError) as ctx:
            CLIENT.job_info(flurry.JobID(12345))
        self.assertEqual((ctx.exception.status, ctx.exception.code), (404, "not_found"))
        with self.assertRaises(flurry.FlurryError) as ctx, flurry.Client(CLIENT.uri, "not-a-token") as stranger:
            stranger.whoami()
        self.assertEqual((ctx.exception.status, ctx.exception.code), (401, "unauthorized"))


class KVSTest(unittest.TestCase):
    def setUp(self):
        self.kvs = CLIENT.kvs
        self.top = f"pytest{time.time_ns()}"

    def test_round_trip(self):
        kvs, top = self.kvs, self.top
        kvs.put(f"{top}.json", {"x": [1, 2.5, None], "s": "ƒ"})
        kvs.put(f"{top}.raw", b"\x00\xffbytes")
        kvs.put(f"{top}.text", "a")
        kvs.append(f"{top}.text", "bc")
        kvs.mkdir(f"{top}.empty")
        kvs.symlink(f"{top}.link", f"{top}.json")
        version = kvs.commit()
        self.assertGreaterEqual(kvs.version(), version)
        self.assertEqual(kvs.get(f"{top}.json"), {"x": [1, 2.5, None], "s": "ƒ"})
        self.assertEqual(kvs.get(f"{top}.raw"), b"\x00\xffbytes")
        self.assertEqual(kvs.get(f"{top}.link"), {"x": [1, 2.5, None], "s": "ƒ"})
        self.assertEqual(kvs.readlink(f"{top}.link"), flurry.Symlink(f"{top}.json"))
        self.assertEqual(kvs.ls(top), ["empty", "json", "link", "raw", "text"])
        self.assertIn(top, kvs.ls())
        tree = kvs.get(top)
        self.assertEqual((tree["text"], tree["empty"], tree["raw"]), ("abc", {}, b"\x00\xffbytes"))
        self.assertTrue(kvs.isdir(f"{top}.empty"))
        self.assertFalse(kvs.isdir(f"{top}.json"))
        self.assertFalse(kvs.exists(f"{top}.missing"))
        self.assertIsNone(kvs.get(f"{top}.missing", None))
        with self.assertRaises(flurry.FlurryError) as ctx:
            kvs.get(f"{top}.missing")
        self.assertEqual((ctx.exception.status, ctx.exception.code), (404, "not_found"))
        kvs.unlink(top, recursive=True)
        kvs.commit()
        self.assertFalse(kvs.exists(top))

    def test_transactions_are_all_or_nothing(self):
        kvs, key = self.kvs, f"{self.top}.counter"
        with kvs.txn() as txn:
            txn.check(key, 0).put(key, 1)
        modified = kvs.lookup(key)["modified"]
        with self.assertRaises(flurry.FlurryError) as ctx:
            with kvs.txn() as txn:
                txn.put(f"{self.top}.other", 1).check(key, modified - 1).put(key, 99)
        self.assertEqual((ctx.exception.status, ctx.exception.code), (409, "conflict"))
        self.assertEqual(kvs.get(key), 1)
        self.assertFalse(kvs.exists(f"{self.top}.other"))

    def test_watch_sees_later_commits(self):
        kvs, key = self.kvs, f"{self.top}.watched"

        def writer():
            time.sleep(0.3)
            kvs.txn().put(key, "one").commit()
            kvs.txn().unlink(key).commit()

        thread = threading.Thread(target=writer)
        thread.start()
        self.addCleanup(thread.join)
        changes = kvs.watch(key)
        first, second = next(changes), next(changes)
        changes.close()
        self.assertEqual((first.op, first.value, second.op), ("set", "one", "unlink"))
        self.assertLess(first.version, second.version)


class ExecutorTest(unittest.TestCase):
    def test_map_over_100_jobs_keeps_the_order(self):
        before = threading.active_count()
        with flurry.FlurryExecutor(CLIENT) as ex:
            results = ex.map(lambda i: ["sh", "-c", f"exit {i % 4}"], range(100))
            self.assertLessEqual(threading.active_count(), before + 1)  # one thread, not one per job
            self.assertEqual(list(results), [i % 4 for i in range(100)])

    def test_futures_carry_ids_events_and_exceptions(self):
        seen = []
        with flurry.FlurryExecutor(CLIENT) as ex:
            good = ex.submit(["sh", "-c", "echo hi"], cwd="/tmp")
            good.add_event_callback("start", lambda f, ev: seen.append(ev.name))
            sleeper = ex.submit(cmd("sleep 60"))
            bad = cmd("true")
            bad.jobspec["version"] = 2
            refused = ex.submit(bad)
            self.assertEqual(good.result(timeout=60), 0)
            self.assertEqual(CLIENT.output_text(good.jobid()), "hi\n")
            CLIENT.event_wait(sleeper.jobid(timeout=30), "start", timeout=60)
            CLIENT.cancel(sleeper.jobid())
            with self.assertRaises(flurry.JobException) as ctx:
                sleeper.result(timeout=60)
            self.assertEqual(ctx.exception.type, "cancel")
            with self.assertRaises(flurry.FlurryError) as ctx:
                refused.result(timeout=60)
            self.assertTrue(ctx.exception.field.endswith("jobspec.version"), ctx.exception.field)
            with self.assertRaises(RuntimeError):
                refused.jobid()
            again = ex.attach(good.jobid())
            self.assertEqual((again.jobid(), again.result(timeout=60)), (good.jobid(), 0))
        self.assertEqual(seen, ["start"])
        with self.assertRaises(RuntimeError):
            ex.submit(["true"])
        done, _ = concurrent.futures.wait([good, sleeper, refused], timeout=0)
        self.assertEqual(len(done), 3)


if __name__ == "__main__":
    unittest.main()
