-- T5: the child prints L bytes (no newline, no match), then DONE42;
-- expect /DONE[0-9]+/, then EOF.
local B = dofile(arg[0]:match("^(.*/)") .. "common.lua")
local emit, l = arg[1], assert(tonumber(arg[2]), "usage: t5.lua EMIT L")
local t0 = pty.now()
local p = pty.spawn(emit, "fill", l)
local m = p:expect("DONE[0-9]+", 600)
-- The tail may arrive split ("DONE4" | "2"): greedy takes what is there.
if m[0] ~= "DONE42" and m[0] ~= "DONE4" then B.fail("bad match " .. m[0]) end
local text = ("the quick brown fox jumps over a lazy dog 0123456789 "):rep(3)
if #m.before < 64 or not text:find(m.before:sub(-64), 1, true) then
  B.fail("bad text before the match")
end
p:expect(pty.EOF, 60)
B.wait_ok(p, "emit")
p:close()
B.report{ string.format("phase_s=%.6f", pty.now() - t0) }
