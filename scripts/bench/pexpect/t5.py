"""T5: the child prints L bytes (no newline, no match), then DONE42;
expect /DONE[0-9]+/, then EOF.  maxread 65536, searchwindowsize 65536
(unlimited, the default, rescans the whole buffer on every read)."""
import sys
import time
import pexpect
from common import report, fail, wait_ok

emit, l = sys.argv[1], int(sys.argv[2])
t0 = time.monotonic()
p = pexpect.spawn(emit, ["fill", str(l)], maxread=65536, searchwindowsize=65536, timeout=600)
p.expect(rb"DONE[0-9]+")
m = p.match.group(0)
if m not in (b"DONE42", b"DONE4"):
    fail("bad match %r" % m)
p.expect(pexpect.EOF, timeout=60)
wait_ok(p, "emit")
report("phase_s=%.6f" % (time.monotonic() - t0))
