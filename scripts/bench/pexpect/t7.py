"""T7: R x (a child writes a known 64 KiB and exits at once; read to EOF);
count the runs that received fewer bytes."""
import sys
import pexpect
from common import report, fail, wait_ok

emit, runs = sys.argv[1], int(sys.argv[2])
want = b"".join(b"%015d|" % i for i in range(4096))
lost, shorts = 0, []
for i in range(runs):
    p = pexpect.spawn(emit, ["records", "4096"], timeout=30)
    p.expect(pexpect.EOF)
    got = p.before
    wait_ok(p, "emit")
    if len(got) > len(want) or want[:len(got)] != got:
        fail("run %d: corrupted output (%d bytes)" % (i, len(got)))
    if len(got) < len(want):
        lost += 1
        shorts.append(str(len(got)))
report("lost=%d" % lost, "runs=%d" % runs, "short=" + (",".join(shorts) or "-"))
