-- T1: `seq 1 N` through a pty; expect the exact final line, then EOF.
local B = dofile(arg[0]:match("^(.*/)") .. "common.lua")
local n = assert(tonumber(arg[1]), "usage: t1.lua N")
local p = pty.spawn("seq", 1, n)
p:expect_exact("\n" .. n .. "\r\n", 600)
p:expect(pty.EOF, 60)
B.wait_ok(p, "seq")
p:close()
B.report()
