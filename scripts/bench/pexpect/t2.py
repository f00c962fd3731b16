"""T2: cat with echo off; K x (send "line i\\r", expect exactly "line i\\r\\n").
delaybeforesend=None (the default sleeps 50 ms before every send)."""
import sys
import pexpect
from common import report, fail

k = int(sys.argv[1])
p = pexpect.spawn("cat", echo=False, timeout=10)
p.delaybeforesend = None
for i in range(1, k + 1):
    p.send(b"line %d\r" % i)
    p.expect_exact(b"line %d\r\n" % i)
    if p.before != b"":
        fail("round trip %d: unexpected output %r" % (i, p.before))
p.ptyproc.delayafterclose = 0
p.close(force=True)
report()
