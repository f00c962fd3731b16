"""T3: S x (spawn sh -c 'echo ready', expect "ready", EOF, wait -> 0)."""
import sys
import pexpect
from common import report, wait_ok

s = int(sys.argv[1])
for _ in range(s):
    p = pexpect.spawn("sh", ["-c", "echo ready"], timeout=10)
    p.expect_exact(b"ready")
    p.expect(pexpect.EOF)
    wait_ok(p, "sh")
report()
