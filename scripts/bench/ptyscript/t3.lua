-- T3: S x (spawn sh -c 'echo ready', expect "ready", EOF, wait -> 0).
local B = dofile(arg[0]:match("^(.*/)") .. "common.lua")
local s = assert(math.tointeger(tonumber(arg[1])), "usage: t3.lua S")
for _ = 1, s do
  local p = pty.spawn("sh", "-c", "echo ready")
  p:expect("ready", 10)
  p:expect(pty.EOF, 10)
  B.wait_ok(p, "sh")
  p:close()
end
B.report()
