#!/usr/bin/env python3
"""run.py - the ptyscript benchmark; `make bench` runs it.

Runs every task for ptyscript, the C reference programs (build/bench/ref_tN,
the physical limit), and - when installed - Tcl Expect and pexpect.  Each
implementation is a separate process started through build/bench/rusage
(wall time from fork to wait4, ru_maxrss); each prints a line
"BENCH k=v ..." with its own peak RSS (VmHWM) and, for T4, the time of its
round-trip phase.  Every implementation checks its own result and exits
non-zero when it is wrong; a failure is shown in the table, never hidden.

Each task is run several times, alternating the tools (the order rotates
every round).  Where single runs are short (T2, T3, T5, T6), each timed run
comes right after an untimed warm-up run of the same command, so every
tool is timed after itself: a short run's speed can depend on what ran
just before it, and a rotating order keeps each tool's predecessor the
same (see scripts/bench/README.md).  The Markdown report goes to stdout
and to bench-results.md.

Environment:
  BENCH_QUICK=1        small sizes, few runs (a smoke test, ~1 minute)
  BENCH_RUNS=N         runs per task and size (default: per task, 3-5)
  BENCH_TASKS=T1,T4    only these tasks
  BENCH_TOOLS=ref,ptyscript   only these tools (ref, ptyscript, expect, pexpect)
  BENCH_OUT=FILE       where to write the report (default bench-results.md)
  BENCH_BASELINE=PATH  also run this ptyscript binary (an earlier build), as
                       the tool "before", side by side with ./ptyscript
`run.py --report` rebuilds the report from the last run's raw results
(build/bench/last-run.json) without running anything.
"""
import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BENCH = os.path.join(ROOT, "scripts", "bench")
BUILD = os.path.join(ROOT, "build", "bench")
RUSAGE = os.path.join(BUILD, "rusage")
EMIT = os.path.join(BUILD, "emit")
PTYSCRIPT_BUILT = os.path.join(ROOT, "ptyscript")
# The runs use a copy taken at start: a rebuild of ./ptyscript during the
# run (make test in another shell) must neither change nor crash them.
PTYSCRIPT = os.path.join(BUILD, "ptyscript-under-test")
BASELINE = os.path.join(BUILD, "ptyscript-before")

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
RUNS_ENV = os.environ.get("BENCH_RUNS")
TASKS_ENV = os.environ.get("BENCH_TASKS")
TOOLS_ENV = os.environ.get("BENCH_TOOLS")
BASELINE_BUILT = os.environ.get("BENCH_BASELINE")
OUT = os.environ.get("BENCH_OUT", os.path.join(ROOT, "bench-results.md"))

MiB = 1 << 20
ROUNDS_T4 = 50          # round trips per session in T4
TOOL_NAMES = {"ref": "C reference", "ptyscript": "ptyscript", "before": "ptyscript before",
              "expect": "Expect",
              "pexpect": "pexpect", "lua": "lua5.4 (baseline)",
              "screen": "ptyscript screen=true",
              "screen-nofast": "screen=true, no fast path"}
T8_TARGET = 3.0         # screen=true costs at most this many times without


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


# ---------------------------------------------------------------- tools

def find_pexpect_python():
    """The Python that has pexpect: Debian's first (make bench-deps)."""
    for py in ("/usr/bin/python3", sys.executable, shutil.which("python3")):
        if py and os.access(py, os.X_OK):
            r = subprocess.run([py, "-c", "import pexpect; print(pexpect.__version__)"],
                               capture_output=True, text=True)
            if r.returncode == 0:
                return py, r.stdout.strip()
    return None, None


def version_of(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


PEXPECT_PY, PEXPECT_VERSION = find_pexpect_python()
EXPECT = shutil.which("expect")
LUA = shutil.which("lua5.4")

AVAILABLE = {"ref": True, "ptyscript": os.access(PTYSCRIPT_BUILT, os.X_OK),
             "before": bool(BASELINE_BUILT) and os.access(BASELINE_BUILT, os.X_OK),
             "expect": EXPECT is not None, "pexpect": PEXPECT_PY is not None}
if TOOLS_ENV:
    wanted = set(TOOLS_ENV.split(","))
    for k in AVAILABLE:
        if k not in wanted and k not in ("ref", "before"):
            AVAILABLE[k] = False


def cmd_for(tool, task, *args):
    """The command line that runs `task` (t1..t7) for `tool`."""
    args = [str(a) for a in args]
    if tool == "ref":
        return [os.path.join(BUILD, "ref_" + task)] + args
    if tool == "ptyscript":
        return [PTYSCRIPT, os.path.join(BENCH, "ptyscript", task + ".lua")] + args
    if tool == "before":
        return [BASELINE, os.path.join(BENCH, "ptyscript", task + ".lua")] + args
    if tool == "expect":
        return [EXPECT, os.path.join(BENCH, "expect", task + ".exp")] + args
    if tool == "pexpect":
        return [PEXPECT_PY, os.path.join(BENCH, "pexpect", task + ".py")] + args
    raise ValueError(tool)


# ---------------------------------------------------------------- running

class Result:
    def __init__(self):
        self.ok = False
        self.wall = None
        self.rss_kb = None
        self.cpu = None
        self.fields = {}
        self.error = None


def run_one(cmd, timeout, require_bench=True):
    """Run cmd under rusage; return a Result."""
    res = Result()
    fd, tmp = tempfile.mkstemp(prefix="bench-rusage-")
    os.close(fd)
    try:
        p = subprocess.Popen([RUSAGE, "-o", tmp] + cmd, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             cwd=ROOT, start_new_session=True)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, 9)
            except ProcessLookupError:
                pass
            out, err = p.communicate()
            res.error = "timed out after %gs" % timeout
            return res
        with open(tmp) as f:
            ru = dict(kv.split("=", 1) for kv in f.read().split())
    except (OSError, ValueError) as e:
        res.error = "could not run: %s" % e
        return res
    finally:
        os.unlink(tmp)
    out = out.decode(errors="replace")
    err = err.decode(errors="replace")
    status = int(ru.get("status", -1))
    res.wall = float(ru["elapsed"])
    res.rss_kb = int(ru["maxrss_kb"])
    res.cpu = float(ru.get("cpu", "nan"))
    m = None
    for line in out.splitlines():
        if line.startswith("BENCH"):
            m = line
    if m:
        res.fields = dict(kv.split("=", 1) for kv in m.split()[1:])
        if "hwm_kb" in res.fields and int(res.fields["hwm_kb"]) > 0:
            res.rss_kb = int(res.fields["hwm_kb"])
    if status != 0:
        # The message is the first line (FAIL: ..., or ptyscript's error
        # before its traceback); the last line names where it was raised.
        errl = [l.strip() for l in err.strip().splitlines() if l.strip()]
        msg = errl[0] if errl else "(no message)"
        if len(errl) > 1:
            msg += " ... " + errl[-1]
        res.error = "exit status %d: %s" % (status, msg[:400])
        return res
    if m is None and require_bench:
        res.error = "no BENCH line in its output"
        return res
    res.ok = True
    return res


class Case:
    """One task at one size: a list of tools and their results."""

    def __init__(self, task, size, work, tools, timeout, runs, require_bench=True,
                 max_runs=None, warmup=False):
        self.max_runs = max_runs or {}    # tool -> fewer runs than the others
        self.warmup = warmup      # an untimed run of the same command before each
        self.task, self.size, self.work = task, size, work
        self.require_bench = require_bench
        self.tools = tools        # [(tool, cmd)]
        self.timeout, self.runs = timeout, runs
        self.results = {t: [] for t, _ in tools}
        self.failed = {}          # tool -> message of its first failure
        self.nfailed = {}         # tool -> failed runs
        self.given_up = set()     # tools not run again (timed out)
        self.skipped = {}         # tool -> reason
        self.precheck = None      # () -> None or a reason to skip this run
        self.skipped_runs = []    # reasons runs were not made

    def run(self):
        n = len(self.tools)
        for r in range(self.runs):
            order = self.tools[r % n:] + self.tools[:r % n] if n else []
            for tool, cmd in order:
                if tool in self.given_up or r >= self.max_runs.get(tool, self.runs):
                    continue
                why = self.precheck() if self.precheck else None
                if why:
                    self.skipped_runs.append("%s run %d: %s" % (tool, r + 1, why))
                    log("  %s %s %s: run skipped: %s" % (self.task, self.size, tool, why))
                    continue
                res = run_one(cmd, self.timeout, self.require_bench)
                if self.warmup and res.ok:   # that was the warm-up: now the timed run
                    res = run_one(cmd, self.timeout, self.require_bench)
                if not res.ok:
                    self.failed.setdefault(tool, res.error)
                    self.nfailed[tool] = self.nfailed.get(tool, 0) + 1
                    if res.error.startswith("timed out") or res.error.startswith("could not"):
                        self.given_up.add(tool)
                    log("  %s %s %s: FAILED: %s" % (self.task, self.size, tool, res.error))
                    continue
                self.results[tool].append(res)
            log("  %s %s round %d/%d: %s" % (self.task, self.size, r + 1, self.runs, "  ".join(
                "%s %.3fs" % (t, self.results[t][-1].wall) for t, _ in self.tools
                if self.results[t] and t not in self.given_up)))

    def walls(self, tool):
        return [r.wall for r in self.results.get(tool, [])]

    def median_wall(self, tool):
        w = self.walls(tool)
        return statistics.median(w) if w else None

    def median_field(self, tool, key):
        v = [float(r.fields[key]) for r in self.results.get(tool, []) if key in r.fields]
        return statistics.median(v) if v else None

    def median_cpu(self, tool):
        v = [r.cpu for r in self.results.get(tool, []) if r.cpu is not None]
        return statistics.median(v) if v else None

    def median_rss(self, tool):
        v = [r.rss_kb for r in self.results.get(tool, []) if r.rss_kb]
        return statistics.median(v) if v else None


# ---------------------------------------------------------------- tasks

def runs_for(default):
    if RUNS_ENV:
        return max(1, int(RUNS_ENV))
    return 1 if QUICK else default


def tools_for(task, *args, only=None):
    out = []
    for t in ("ref", "ptyscript", "before", "expect", "pexpect"):
        if AVAILABLE[t] and (only is None or t in only or (t == "before" and "ptyscript" in only)):
            out.append((t, cmd_for(t, task, *args)))
    return out


def seq_bytes(n):
    """Bytes of `seq 1 n` through a pty (each \\n becomes \\r\\n)."""
    total, lo, d = 0, 1, 1
    while lo <= n:
        hi = min(n, 10 ** d - 1)
        total += (hi - lo + 1) * (d + 2)
        lo, d = hi + 1, d + 1
    return total


def ptys_free():
    try:
        with open("/proc/sys/kernel/pty/max") as f:
            mx = int(f.read())
        with open("/proc/sys/kernel/pty/nr") as f:
            nr = int(f.read())
        return mx - nr, mx
    except OSError:
        return None, None


def plan():
    sel = set(TASKS_ENV.upper().split(",")) if TASKS_ENV else None
    want = lambda t: sel is None or t in sel
    cases = []
    if want("T1"):
        for n in ([300000, 1000000] if QUICK else [3000000, 10000000]):
            cases.append(Case("T1", "N=%s" % f"{n:,}", seq_bytes(n), tools_for("t1", n),
                              timeout=600, runs=runs_for(3)))
    if want("T2"):
        k = 1000 if QUICK else 5000
        cases.append(Case("T2", "K=%s" % f"{k:,}", k, tools_for("t2", k), 300, runs_for(7),
                          warmup=True))
    if want("T3"):
        s = 100 if QUICK else 300
        cases.append(Case("T3", "S=%d" % s, s, tools_for("t3", s), 300, runs_for(5),
                          warmup=True))
    if want("T4"):
        # Expect's Tcl 8.6 notifier uses select(): it aborts past fd 1023.
        # pexpect (asyncio) manages 4000 in about 35 s: one run only.
        sizes = [100, 1000] if QUICK else [100, 500, 1000, 4000]
        limits = {"ref": 10 ** 9, "ptyscript": 10 ** 9, "expect": 1000, "pexpect": 10 ** 9}
        for c in [0] + sizes:
            only = [t for t, lim in limits.items() if c <= lim]
            cases.append(Case("T4", "C=%d" % c, c * ROUNDS_T4,
                              tools_for("t4", c, ROUNDS_T4, only=only), 600,
                              runs_for(1 if c == 0 else 3),
                              max_runs={"pexpect": 1} if c >= 4000 else None))
    if want("T5"):
        for mb in ([1, 2, 4] if QUICK else [2, 8, 32]):
            cases.append(Case("T5", "L=%d MiB" % mb, mb * MiB,
                              tools_for("t5", EMIT, mb * MiB), 600, runs_for(5),
                              warmup=True))
    if want("T6"):
        tools = [("ref", [os.path.join(BUILD, "ref_t6")])]
        if AVAILABLE["ptyscript"]:
            tools.append(("ptyscript", [PTYSCRIPT, "-e", ""]))
        if AVAILABLE["before"]:
            tools.append(("before", [BASELINE, "-e", ""]))
        if LUA:
            tools.append(("lua", [LUA, "-e", ""]))
        if AVAILABLE["expect"]:
            tools.append(("expect", [EXPECT, "-c", "exit"]))
        if AVAILABLE["pexpect"]:
            tools.append(("pexpect", [PEXPECT_PY, "-c", "import pexpect"]))
        runs = max(5, 3 * int(RUNS_ENV)) if RUNS_ENV else (5 if QUICK else 21)
        cases.append(Case("T6", "start-up", 1, tools, 60, runs, require_bench=False,
                          warmup=True))
    if want("T8") and AVAILABLE["ptyscript"]:
        # The same output with and without the screen emulator: 80-byte
        # lines, and text with no line end at all (every row wraps).
        mb = 20 if QUICK else 100
        for mode in ("lines", "fill"):
            base = [PTYSCRIPT, os.path.join(BENCH, "ptyscript", "t8.lua"), EMIT, mode,
                    str(mb * 10 ** 6)]
            cases.append(Case("T8", "%s %d MB" % (mode, mb), mb * 10 ** 6,
                              [("ptyscript", base + ["0"]), ("screen", base + ["1"]),
                               ("screen-nofast", base + ["2"])],
                              300, runs_for(3), max_runs={"screen-nofast": 1}))
    if want("T7"):
        n = 50 if QUICK else 200
        cases.append(Case("T7", "%d×64 KiB" % n, n, tools_for("t7", EMIT, n), 300, runs_for(3)))
    return cases


def wait_for_ptys(c):
    """Before each T4 run: wait up to 20 s for c free ptys (other programs
    on the machine may hold some for a while); else a reason to skip."""
    deadline = time.monotonic() + 20
    while True:
        free, mx = ptys_free()
        if free is None or free >= c + 8:
            return None
        if time.monotonic() > deadline:
            return "only %d of kernel.pty.max=%d ptys free" % (free, mx)
        time.sleep(0.5)


def prepare_t4(case):
    """Skip T4 sizes the system cannot give (ptys, descriptors)."""
    c = int(case.size.split("=")[1])
    case.precheck = lambda: wait_for_ptys(c)
    free, mx = ptys_free()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    reason = None
    if free is not None and c + 8 > free:
        reason = ("only %d of kernel.pty.max=%d ptys free (raise /proc/sys/kernel/pty/max)"
                  % (free, mx))
    elif hard != resource.RLIM_INFINITY and 2 * c + 64 > hard:
        reason = "RLIMIT_NOFILE hard limit %d is too low for %d sessions" % (hard, c)
    if reason:
        for t, _ in case.tools:
            case.skipped[t] = reason
        case.tools = []
        log("  T4 %s skipped: %s" % (case.size, reason))


# ---------------------------------------------------------------- report

def fmt_time(s):
    if s is None:
        return "—"
    if s < 0.1:
        return "%.1f ms" % (s * 1000)
    return "%.3f s" % s


def fmt_rate(x, unit):
    if x is None:
        return "—"
    if x >= 100:
        return "%s %s" % (f"{x:,.0f}", unit)
    return "%.1f %s" % (x, unit)


def fmt_mib(kb):
    return "—" if kb is None else "%.1f MiB" % (kb / 1024)


def mark(ok):
    return "✅" if ok else "❌"


def build_report(cases, elapsed, started):
    lines = []
    targets = []      # (task, description, ok or None, value text)
    base_rss = {}     # T4 C=0 RSS per tool
    t5 = {}           # tool -> [(L, median)]
    t6_lua = None
    for case in cases:
        if case.task == "T4" and case.size == "C=0":
            for t in case.results:
                base_rss[t] = case.median_rss(t)
        if case.task == "T6":
            t6_lua = case.median_wall("lua")

    lines.append("# ptyscript benchmark")
    lines.append("")
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for l in f:
                if l.startswith("model name"):
                    cpu = l.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    lines.append("- date: %s; run took %.0f s%s" % (
        time.strftime("%Y-%m-%d %H:%M", time.localtime(started)), elapsed,
        " (BENCH_QUICK=1: reduced sizes)" if QUICK else ""))
    lines.append("- machine: %s, %d CPUs, Linux %s" % (cpu, os.cpu_count() or 0, platform.release()))
    lines.append("- tools: %s; %s; %s; pexpect %s (%s)" % (
        version_of([PTYSCRIPT, "--version"]), version_of([LUA, "-v"]) if LUA else "no lua5.4",
        version_of([EXPECT, "-v"]) if EXPECT else "Expect not installed",
        PEXPECT_VERSION or "not installed", PEXPECT_PY or "-"))
    lines.append("- ptyscript under test: %s" % PTYSCRIPT_ORIGIN)
    if BEFORE_ORIGIN[0]:
        lines.append("- ptyscript before (BENCH_BASELINE): %s" % BEFORE_ORIGIN[0])
    lines.append("- wall = whole process (fork to wait4), median of the runs; min–max over the runs; "
                 "CPU = user + system time of the process and its children (the children are the "
                 "same programs for every tool), median; peak RSS = the process's own VmHWM; "
                 "× C = time ÷ the C reference's time (T4: round-trip phase; T6: the empty C "
                 "program)")
    lines.append("")
    lines.append("| Task | Size | Tool | Median wall | Min–max | Rate | CPU | Peak RSS | × C | Target |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")

    for case in cases:
        if case.task == "T4" and case.size == "C=0":
            continue
        ref_wall = case.median_wall("ref")
        ref_rt = case.median_field("ref", "rt_s")
        names = [t for t, _ in case.tools] + [t for t in case.skipped] + \
            [t for t in case.results if t not in dict(case.tools) and t not in case.skipped]
        seen = set()
        for tool in names:
            if tool in seen:
                continue
            seen.add(tool)
            label = TOOL_NAMES.get(tool, tool)
            if tool in case.skipped:
                lines.append("| %s | %s | %s | skipped: %s | | | | | | |" % (
                    case.task, case.size, label, case.skipped[tool]))
                if tool == "ptyscript" and case.task == "T4" and case.size == "C=4000":
                    targets.append(("T4", "T4 4000 sessions work", None,
                                    "not measured: " + case.skipped[tool]))
                continue
            if tool in case.failed and not case.results[tool]:
                lines.append("| %s | %s | %s | **FAILED** (%d of %d runs): %s | | | | | | %s |" % (
                    case.task, case.size, label, case.nfailed.get(tool, 0),
                    case.nfailed.get(tool, 0), case.failed[tool].replace("|", "/"),
                    "❌" if tool == "ptyscript" else ""))
                if tool == "ptyscript":
                    targets.append((case.task, "%s %s runs" % (case.task, case.size), False,
                                    "failed: " + case.failed[tool]))
                continue
            walls = case.walls(tool)
            med = statistics.median(walls)
            rng = "%s – %s" % (fmt_time(min(walls)), fmt_time(max(walls)))
            rss = case.median_rss(tool)
            ratio = med / ref_wall if ref_wall else None
            rate, target = "—", ""
            if case.task == "T1":
                rate = fmt_rate(case.work / med / 1e6, "MB/s")
                if tool == "ptyscript" and ratio is not None:
                    ok = ratio <= 1.05
                    target = "%s ≤ 1.05×" % mark(ok)
                    targets.append(("T1", "T1 %s time ≤ 1.05× C" % case.size, ok, "%.2f×" % ratio))
            elif case.task == "T2":
                rate = fmt_rate(case.work / med, "rt/s")
                if tool == "ptyscript" and ratio:
                    ok = 1 / ratio >= 0.85
                    target = "%s rate %.2f× ≥ 0.85×" % (mark(ok), 1 / ratio)
                    targets.append(("T2", "T2 round-trip rate ≥ 0.85× C", ok, "%.2f×" % (1 / ratio)))
            elif case.task == "T3":
                rate = fmt_rate(case.work / med, "spawns/s")
                if tool == "ptyscript" and ratio:
                    ok = 1 / ratio >= 0.75
                    target = "%s rate %.2f× ≥ 0.75×" % (mark(ok), 1 / ratio)
                    targets.append(("T3", "T3 spawn rate ≥ 0.75× C", ok, "%.2f×" % (1 / ratio)))
            elif case.task == "T4":
                c = int(case.size.split("=")[1])
                rt = case.median_field(tool, "rt_s")
                ratio = rt / ref_rt if (rt and ref_rt) else None
                per = None
                if rss is not None and base_rss.get(tool) is not None and c:
                    per = max(0.0, (rss - base_rss[tool]) / c)
                rtc = case.median_field(tool, "rt_cpu_s")
                rate = "%s; %s/session" % (fmt_rate(case.work / rt if rt else None, "rt/s"),
                                           "—" if per is None else "%.1f KiB" % per)
                if rtc is not None and case.work:
                    rate += "; %.1f us CPU/rt" % (rtc / case.work * 1e6)
                if tool == "ptyscript" and c == 1000 and ratio:
                    ok1, ok2 = 1 / ratio >= 0.6, per is not None and per <= 64
                    target = "%s rate %.2f× ≥ 0.6×, %s %.1f ≤ 64 KiB/session" % (
                        mark(ok1), 1 / ratio, mark(ok2), per if per is not None else -1)
                    targets.append(("T4", "T4 1000 sessions: round-trip rate ≥ 0.6× C", ok1,
                                    "%.2f×" % (1 / ratio)))
                    targets.append(("T4", "T4 1000 sessions: ≤ 64 KiB RSS per session", ok2,
                                    "%.1f KiB" % per if per is not None else "?"))
                    ok3 = ratio <= 1.25
                    target += ", %s time %.2f× ≤ 1.25×" % (mark(ok3), ratio)
                    targets.append(("T4", "T4 1000 sessions: round-trip time ≤ 1.25× C", ok3,
                                    "%.2f×" % ratio))
                    rtc, ref_rtc = rtc, case.median_field("ref", "rt_cpu_s")
                    if rtc and ref_rtc:
                        ok4 = rtc / ref_rtc <= 1.5
                        target += ", %s CPU/rt %.2f× ≤ 1.5×" % (mark(ok4), rtc / ref_rtc)
                        targets.append(("T4", "T4 1000 sessions: own CPU per round trip ≤ 1.5× C",
                                        ok4, "%.2f×" % (rtc / ref_rtc)))
                if tool == "ptyscript" and c == 4000:
                    target = "%s works" % mark(True)
                    targets.append(("T4", "T4 4000 sessions work", True, "%.1f s" % med))
            elif case.task == "T5":
                rate = fmt_rate(case.work / med / 1e6, "MB/s")
                t5.setdefault(tool, []).append((case.work, case.median_field(tool, "phase_s") or med))
                if tool == "ptyscript" and case.size == "L=32 MiB" and ratio:
                    ok = ratio <= 1.2
                    target = "%s ≤ 1.2×" % mark(ok)
                    targets.append(("T5", "T5 32 MiB time ≤ 1.2× C", ok, "%.2f×" % ratio))
            elif case.task == "T6":
                if tool == "ptyscript" and t6_lua:
                    r = med / t6_lua
                    ok = r <= 2
                    target = "%s %.2f× lua5.4 ≤ 2×" % (mark(ok), r)
                    targets.append(("T6", "T6 start-up ≤ 2× lua5.4", ok, "%.2f×" % r))
            elif case.task == "T8":
                rate = fmt_rate(case.work / med / 1e6, "MB/s")
                plain = case.median_wall("ptyscript")
                if tool == "screen-nofast" and plain:
                    target = "(%.2f× without: libvterm alone)" % (med / plain)
                if tool == "screen" and plain:
                    r = med / plain
                    ok = r <= T8_TARGET
                    target = "%s %.2f× without ≤ %g×" % (mark(ok), r, T8_TARGET)
                    targets.append(("T8", "T8 %s: screen=true ≤ %g× without" % (
                        case.size, T8_TARGET), ok, "%.2f×" % r))
            elif case.task == "T7":
                lost = sum(int(r.fields.get("lost", 0)) for r in case.results[tool])
                total = sum(int(r.fields.get("runs", 0)) for r in case.results[tool])
                rate = "lost %d of %d" % (lost, total)
                got = [s for r in case.results[tool]
                       for s in r.fields.get("short", "-").split(",") if s != "-"]
                if got:
                    rate += " (bytes received: %s)" % ", ".join(got[:5])
                if tool == "ptyscript":
                    ok = lost == 0
                    target = "%s zero lost" % mark(ok)
                    targets.append(("T7", "T7 zero runs with lost output", ok,
                                    "%d of %d" % (lost, total)))
            if tool in case.failed:
                nf = case.nfailed.get(tool, 1)
                target += " ❌ **%d of %d runs FAILED**: %s" % (
                    nf, nf + len(walls), case.failed[tool].replace("|", "/"))
                if tool == "ptyscript":
                    targets.append((case.task, "%s %s: every run succeeds" % (case.task, case.size),
                                    False, "%d of %d runs failed: %s" % (
                                        nf, nf + len(walls), case.failed[tool])))
            cpu = case.median_cpu(tool)
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                case.task, case.size, label, fmt_time(med), rng, rate,
                "—" if cpu is None or cpu != cpu else fmt_time(cpu), fmt_mib(rss),
                "—" if ratio is None else "%.2f" % ratio, target))

    # T5 growth exponents: least-squares slope of log(time) on log(L).
    lines.append("")
    if t5:
        parts = []
        for tool, pts in t5.items():
            if len(pts) >= 2:
                xs = [math.log(l) for l, _ in pts]
                ys = [math.log(t) for _, t in pts]
                mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
                den = sum((x - mx) ** 2 for x in xs)
                slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else float("nan")
                parts.append("%s %.2f" % (TOOL_NAMES[tool], slope))
                if tool == "ptyscript":
                    ok = slope <= 1.1
                    targets.append(("T5", "T5 growth exponent ≤ 1.1", ok, "%.2f" % slope))
        lines.append("T5 growth exponent (least-squares slope of log time against log L; "
                     "time = each program's own timing from spawn to exit, so start-up "
                     "does not flatten the slope): " + ", ".join(parts) + ".")
        lines.append("")

    lines.append("## Targets (ptyscript)")
    lines.append("")
    lines.append("| Target | Result | Measured |")
    lines.append("|---|---|---|")
    order = ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"]
    for task, desc, ok, val in sorted(targets, key=lambda x: order.index(x[0])):
        lines.append("| %s | %s | %s |" % (
            desc, "not measured ⚠️" if ok is None else "met ✅" if ok else "missed ❌", val))
    lines.append("")
    lines.append("## Notes")
    lines.append("")
    lines.append("- Every implementation checks its result (final line, reply text, exit "
                 "status 0, match text, the 64 KiB content) and exits non-zero if wrong; a "
                 "failure shows as FAILED above.")
    lines.append("- T4 rate and × C use each program's own timing of the round-trip phase (all "
                 "sessions already spawned); the wall column includes spawning and clean-up. "
                 "RSS per session = (peak RSS at C sessions − peak RSS of the same program "
                 "run with C=0) ÷ C.")
    lines.append("- T4: Expect runs up to 1000 sessions only: Tcl 8.6's notifier uses "
                 "select() and aborts (\"bit out of range 0 - FD_SETSIZE on fd_set\") once a "
                 "descriptor passes 1023. pexpect runs once at 4000 sessions (about 35 s), "
                 "three times at the smaller sizes. Expect uses one "
                 "`expect_background` handler per session and `vwait`; pexpect one asyncio "
                 "task per session with `expect_exact(..., async_=True)`.")
    lines.append("- Expect: `log_user 0`; match_max left at its default (2000) for T1 and T5 "
                 "(the patterns fit; a larger buffer only makes Expect rescan more on every "
                 "read), 131072 for T7 (the whole 64 KiB must be kept); `stty_init -echo` for "
                 "the cat tasks.")
    lines.append("- pexpect: maxread=65536 and searchwindowsize=65536 for T1 and T5 (the "
                 "default unlimited window re-searches the whole buffer on every read); "
                 "delaybeforesend=None (the default sleeps 50 ms before every send); "
                 "ptyprocess's delayafterclose set to 0 before close (it sleeps 0.1 s on every "
                 "close otherwise).")
    lines.append("- ptyscript: defaults (maxbuf 1 MiB) with explicit timeouts on the long "
                 "expects.")
    lines.append("- T8: build/bench/emit writes L bytes (lines: numbered 80-byte lines; fill: "
                 "text with no line end, so every row wraps) then \"DONE42\"; ptyscript "
                 "expects /DONE[0-9]+/ and EOF, with and without screen = true (then it also "
                 "checks the final screen); the target compares the two. The third row, run "
                 "once, turns the emulator's fast path off (every byte through libvterm, which "
                 "moves the whole screen in memory for each scrolled row).")
    lines.append("- T5 child: build/bench/emit writes L bytes of text (no newline, no \"DONE\") "
                 "then \"DONE42\" in a write of its own; T7 child: emit writes 4096 records "
                 "\"%%015d|\" in one write and exits at once. The C reference counts the T1 "
                 "bytes: %s." % T1_CHECK.get("msg", "not run"))
    extra = [c for c in cases if c.failed or c.skipped]
    for c in cases:
        for why in getattr(c, "skipped_runs", []):
            lines.append("- %s %s: %s (run skipped, not counted)" % (c.task, c.size, why))
    for c in extra:
        for t, msg in c.failed.items():
            lines.append("- %s %s %s failed in %d run(s); first failure: %s" % (
                c.task, c.size, TOOL_NAMES[t], c.nfailed.get(t, 1), msg))
    return "\n".join(lines) + "\n"


T1_CHECK = {}
PTYSCRIPT_ORIGIN = "?"
BEFORE_ORIGIN = [None]


def snapshot_ptyscript():
    """Copy ./ptyscript to build/bench (see PTYSCRIPT); describe its origin."""
    global PTYSCRIPT_ORIGIN
    shutil.copy2(PTYSCRIPT_BUILT, PTYSCRIPT + ".tmp")
    os.replace(PTYSCRIPT + ".tmp", PTYSCRIPT)
    mtime = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.stat(PTYSCRIPT_BUILT).st_mtime))
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "src", "lua"],
                           capture_output=True, text=True).stdout.strip()
    PTYSCRIPT_ORIGIN = ("copy of ./ptyscript (built %s) taken at start; git %s%s" % (
        mtime, head, ", src/ or lua/ modified" if dirty else ", src/ and lua/ clean"))
RAW = os.path.join(BUILD, "last-run.json")


def save(cases, elapsed, started):
    """Keep the raw results (build/bench/last-run.json) for --report."""
    data = {"elapsed": elapsed, "started": started, "t1_check": T1_CHECK,
            "origin": PTYSCRIPT_ORIGIN, "before_origin": BEFORE_ORIGIN[0], "cases": [
        {"task": c.task, "size": c.size, "work": c.work, "runs": c.runs,
         "tools": c.tools, "failed": c.failed, "nfailed": c.nfailed, "skipped": c.skipped,
         "skipped_runs": c.skipped_runs,
         "results": {t: [{"wall": r.wall, "rss_kb": r.rss_kb, "cpu": r.cpu, "fields": r.fields}
                         for r in rs] for t, rs in c.results.items()}}
        for c in cases]}
    with open(RAW, "w") as f:
        json.dump(data, f)


def load():
    with open(RAW) as f:
        data = json.load(f)
    T1_CHECK.update(data["t1_check"])
    global PTYSCRIPT_ORIGIN
    PTYSCRIPT_ORIGIN = data.get("origin", "?")
    BEFORE_ORIGIN[0] = data.get("before_origin")
    cases = []
    for d in data["cases"]:
        c = Case(d["task"], d["size"], d["work"], [tuple(t) for t in d["tools"]], 0, d["runs"])
        c.failed, c.skipped, c.nfailed = d["failed"], d["skipped"], d.get("nfailed", {})
        c.skipped_runs = d.get("skipped_runs", [])
        for t, rs in d["results"].items():
            for r in rs:
                res = Result()
                res.ok, res.wall, res.rss_kb, res.fields = True, r["wall"], r["rss_kb"], r["fields"]
                res.cpu = r.get("cpu")
                c.results.setdefault(t, []).append(res)
        cases.append(c)
    return cases, data["elapsed"], data["started"]


def main():
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"   # no __pycache__ in scripts/bench/pexpect
    if sys.argv[1:] == ["--report"]:
        # Rebuild the report from the last run's raw results.
        report = build_report(*load())
        with open(OUT, "w") as f:
            f.write(report)
        sys.stdout.write(report)
        return 0
    started = time.time()
    t0 = time.monotonic()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    for path in (RUSAGE, EMIT, os.path.join(BUILD, "ref_t1")):
        if not os.access(path, os.X_OK):
            sys.exit("run.py: %s is missing: run `make bench` (or make bench-build)" % path)
    missing = [t for t in ("expect", "pexpect") if not AVAILABLE[t] and
               (not TOOLS_ENV or t in TOOLS_ENV)]
    if missing:
        log("run.py: not installed, skipped: %s (`make bench-deps` installs them)"
            % ", ".join(missing))
    if AVAILABLE["ptyscript"]:
        snapshot_ptyscript()
    if AVAILABLE["before"]:
        shutil.copy2(BASELINE_BUILT, BASELINE + ".tmp")
        os.replace(BASELINE + ".tmp", BASELINE)
        BEFORE_ORIGIN[0] = "copy of %s (%s) taken at start" % (
            BASELINE_BUILT, version_of([BASELINE, "--version"]))
    cases = plan()
    for case in cases:
        if case.task == "T4":
            prepare_t4(case)
        log("%s %s (%d runs: %s)" % (case.task, case.size, case.runs,
                                     ", ".join(t for t, _ in case.tools)))
        case.run()
        if case.task == "T1" and case.results.get("ref"):
            got = int(case.results["ref"][0].fields.get("bytes", -1))
            ok = got == case.work
            T1_CHECK["msg"] = T1_CHECK.get("msg", "") + ("%s%s: %d bytes, %s" % (
                "; " if T1_CHECK.get("msg") else "", case.size, got,
                "as computed" if ok else "EXPECTED %d" % case.work))
    elapsed = time.monotonic() - t0
    save(cases, elapsed, started)
    report = build_report(cases, elapsed, started)
    with open(OUT, "w") as f:
        f.write(report)
    sys.stdout.write(report)
    log("run.py: wrote %s" % OUT)
    failed = [c for c in cases if c.failed.get("ref") or c.failed.get("ptyscript")
              or c.failed.get("screen")]
    if failed:
        log("run.py: FAILED runs of the C reference or ptyscript: %s" % ", ".join(
            "%s %s" % (c.task, c.size) for c in failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
