#!/usr/bin/env ptyscript
-- bc.lua: automate the bc calculator, the first thing to try.
--   ./ptyscript scripts/examples/bc.lua [expression...]
-- Echo is turned off so that the answer is the only thing bc prints back
-- (with echo on, a pattern like "(\d+)\r\n" would match the echoed input).
local exprs = { ... }
if #exprs == 0 then exprs = { "2^100", "scale=30; 4*a(1)", "sqrt(2)" } end

spawn{ "bc", "-lq", echo = false }
for _, e in ipairs(exprs) do
  sendline(e)
  local m = expect({ "([-0-9.]+)\r\n", "((?:Runtime error|\\(standard_in\\))[^\r]*)\r\n" }, 5)
  if m.index == 2 then
    print(string.format("%-20s -> error: %s", e, m[1]))
  else
    print(string.format("%-20s = %s", e, m[1]))
  end
end
sendline("quit")
local ok, how, code = wait(5)
print(string.format("bc exited: %s %s", how, code))
