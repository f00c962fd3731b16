-- T8: the cost of the screen.  The child writes L bytes (MODE lines:
-- numbered 80-byte lines; fill: text with no newline, so every line
-- wraps), then DONE42; expect /DONE[0-9]+/, then EOF.  With SCREEN=1 the
-- session has screen = true, and the final screen is checked as well;
-- SCREEN=2 also turns the emulator's fast path off (libvterm alone).
local B = dofile(arg[0]:match("^(.*/)") .. "common.lua")
local emit, mode, l, on = arg[1], arg[2], assert(tonumber(arg[3]), "usage: t8.lua EMIT MODE L SCREEN"),
  arg[4] == "1" or arg[4] == "2"
local t0 = pty.now()
local p = pty.spawn{ emit, mode, l, screen = on }
if arg[4] == "2" then p:screen():_fastpath(false) end
local m = p:expect("DONE[0-9]+", 600)
if m[0] ~= "DONE42" and m[0] ~= "DONE4" then B.fail("bad match " .. m[0]) end
p:expect(pty.EOF, 60)
B.wait_ok(p, "emit")
local skipped = 0
if on then
  local s = p:screen()
  local last = s:find("DONE42")
  if not last then B.fail("DONE42 is not on the screen:\n" .. s:framed("  ")) end
  if mode == "lines" then
    local lines = l // 80
    local want = string.format("%010d the quick brown fox", lines - 1)
    if not s:find(want) then B.fail("the last line " .. want .. " is not on the screen:\n" .. s:framed("  ")) end
  end
  skipped = s:_fastpath()
end
p:close()
B.report{ string.format("phase_s=%.6f", pty.now() - t0), "skipped=" .. skipped }
