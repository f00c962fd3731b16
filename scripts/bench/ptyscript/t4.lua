-- T4: C concurrent cat sessions (echo off) in one process, R round trips
-- each, all interleaved: one pty.go task per session.
local B = dofile(arg[0]:match("^(.*/)") .. "common.lua")
local c = assert(math.tointeger(tonumber(arg[1])), "usage: t4.lua C ROUNDS")
local r = assert(math.tointeger(tonumber(arg[2])), "usage: t4.lua C ROUNDS")
local t0 = pty.now()
local procs = {}
for i = 1, c do procs[i] = pty.spawn{"cat", echo = false} end
local t1 = pty.now()
local c1 = B.cpu_s()
local tasks = {}
for i = 1, c do
  local p = procs[i]
  tasks[i] = pty.go(function()
    for j = 1, r do
      p:send("line " .. j .. "\r")
      local m = p:expect_exact("line " .. j .. "\r\n", 60)
      if m.before ~= "" then error("session " .. i .. ": unexpected output " .. m.before) end
    end
  end)
end
for i = 1, c do tasks[i]:wait() end
local t2 = pty.now()
local c2 = B.cpu_s()
for i = 1, c do procs[i]:close() end
B.report{ string.format("spawn_s=%.6f", t1 - t0), string.format("rt_s=%.6f", t2 - t1),
           string.format("rt_cpu_s=%.6f", c2 - c1) }
