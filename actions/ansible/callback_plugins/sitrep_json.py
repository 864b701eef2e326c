# sitrep_json: a stdout callback for ansible-playbook, shipped with sitrep.
#
# It prints one short line per task result for the live pane and, when the
# play ends, writes a machine-readable summary (per-host ok / changed /
# failed / skipped / unreachable counts, and every diff) as JSON to the
# file named by SITREP_ANSIBLE_SUMMARY.
from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: sitrep_json
type: stdout
short_description: sitrep's line-per-task output and JSON summary
description:
  - Prints one line per task result and writes a JSON summary for sitrep.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "sitrep_json"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hosts = {}
        self.diffs = []
        self.check_mode = False

    def _host(self, name):
        return self.hosts.setdefault(
            name, {"ok": 0, "changed": 0, "failed": 0, "skipped": 0, "unreachable": 0}
        )

    def _line(self, status, result, extra=""):
        host = result._host.get_name()
        task = result._task.get_name()
        self._display.display("%s: [%s] %s%s" % (status, host, task, extra))

    def _collect_diff(self, result):
        diff = result._result.get("diff")
        if not diff:
            return
        for d in diff if isinstance(diff, list) else [diff]:
            try:
                text = self._get_diff(d)
            except Exception:  # a diff we cannot render is still worth a note
                text = json.dumps(d, default=str)
            if text:
                self.diffs.append(
                    {"host": result._host.get_name(), "task": result._task.get_name(), "diff": text}
                )
                self._display.display(text)

    def v2_playbook_on_play_start(self, play):
        self.check_mode = bool(getattr(play, "check_mode", False))
        self._display.display("PLAY %s" % play.get_name())

    def v2_runner_on_ok(self, result):
        changed = bool(result._result.get("changed"))
        h = self._host(result._host.get_name())
        h["ok"] += 1
        if changed:
            h["changed"] += 1
        self._line("changed" if changed else "ok", result)
        # Diffs arrive through v2_on_file_diff (ansible-playbook --diff).

    def v2_runner_on_failed(self, result, ignore_errors=False):
        h = self._host(result._host.get_name())
        if ignore_errors:
            h["ok"] += 1
        else:
            h["failed"] += 1
        msg = result._result.get("msg") or result._result.get("stderr") or ""
        self._line("failed", result, (": %s" % msg) if msg else "")

    def v2_runner_on_skipped(self, result):
        self._host(result._host.get_name())["skipped"] += 1
        self._line("skipped", result)

    def v2_runner_on_unreachable(self, result):
        self._host(result._host.get_name())["unreachable"] += 1
        self._line("unreachable", result, ": %s" % result._result.get("msg", ""))

    def v2_on_file_diff(self, result):
        self._collect_diff(result)

    def v2_playbook_on_stats(self, stats):
        for host in sorted(stats.processed.keys()):
            s = stats.summarize(host)
            self.hosts[host] = {
                "ok": s.get("ok", 0),
                "changed": s.get("changed", 0),
                "failed": s.get("failures", 0),
                "skipped": s.get("skipped", 0),
                "unreachable": s.get("unreachable", 0),
            }
            self._display.display(
                "RECAP [%s] ok=%d changed=%d failed=%d skipped=%d unreachable=%d"
                % (host, s.get("ok", 0), s.get("changed", 0), s.get("failures", 0),
                   s.get("skipped", 0), s.get("unreachable", 0))
            )
        path = os.environ.get("SITREP_ANSIBLE_SUMMARY")
        if path:
            with open(path, "w", encoding="utf-8") as f:
                json.dump({"hosts": self.hosts, "diffs": self.diffs, "check_mode": self.check_mode}, f)
