"""T1: `seq 1 N` through a pty; expect the exact final line, then EOF.
maxread 65536 (default 2000), searchwindowsize 65536 (default: unlimited)."""
import sys
import pexpect
from common import report, wait_ok

n = int(sys.argv[1])
p = pexpect.spawn("seq", ["1", str(n)], maxread=65536, searchwindowsize=65536, timeout=600)
p.expect_exact(b"\n%d\r\n" % n)
p.expect(pexpect.EOF, timeout=60)
wait_ok(p, "seq")
report()
