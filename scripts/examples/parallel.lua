#!/usr/bin/env ptyscript
-- parallel.lua: many sessions at once, one task each, on one event loop.
--   ./ptyscript scripts/examples/parallel.lua [sessions]
local n = tonumber(arg[1]) or 20
local t0 = pty.now()
local tasks = {}
for i = 1, n do
  tasks[i] = pty.go(function()
    local p = pty.spawn{ "bc", "-q", echo = false }
    p:sendline(i .. "^2")
    local square = p:expect("(\\d+)\r\n")[1]
    p:sendline("quit")
    p:wait()
    return tonumber(square)
  end)
end
local sum = 0
for i = 1, n do sum = sum + tasks[i]:wait() end
print(string.format("%d bc sessions, sum of squares = %d (expected %d), %.3f s",
  n, sum, n * (n + 1) * (2 * n + 1) // 6, pty.now() - t0))
