"""T4: C concurrent cat sessions (echo off), R round trips each, all
interleaved: one asyncio task per session, expect(..., async_=True).
delaybeforesend=None."""
import asyncio
import resource
import sys
import time
import pexpect
from common import report, fail

c, rounds = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def session(i, p):
    for j in range(1, rounds + 1):
        p.send(b"line %d\r" % j)
        await p.expect_exact(b"line %d\r\n" % j, timeout=60, async_=True)
        if p.before != b"":
            fail("session %d: unexpected output %r" % (i, p.before))


async def main():
    t0 = time.monotonic()
    procs = []
    for _ in range(c):
        p = pexpect.spawn("cat", echo=False)
        p.delaybeforesend = None
        procs.append(p)
    t1 = time.monotonic()
    await asyncio.gather(*(session(i, p) for i, p in enumerate(procs)))
    t2 = time.monotonic()
    # Clean up: ^D ends each cat; reap; then close (without ptyprocess's
    # 0.1 s sleep per close).
    for p in procs:
        p.sendeof()
    for p in procs:
        p.wait()
        p.ptyproc.delayafterclose = 0
        if p.async_pw_transport:
            p.async_pw_transport[1].close()   # closes the pty too
        else:
            p.close(force=True)
    return t1 - t0, t2 - t1


spawn_s, rt_s = asyncio.run(main())
report("spawn_s=%.6f" % spawn_s, "rt_s=%.6f" % rt_s)
