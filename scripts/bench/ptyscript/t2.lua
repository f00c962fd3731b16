-- T2: cat with echo off; K x (send "line i\r", expect exactly "line i\r\n").
local B = dofile(arg[0]:match("^(.*/)") .. "common.lua")
local k = assert(math.tointeger(tonumber(arg[1])), "usage: t2.lua K")
local p = pty.spawn{"cat", echo = false}
for i = 1, k do
  p:send("line " .. i .. "\r")
  local m = p:expect_exact("line " .. i .. "\r\n", 10)
  if m.before ~= "" then B.fail("round trip " .. i .. ": unexpected output " .. m.before) end
end
p:close()
B.report()
