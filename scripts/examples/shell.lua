#!/usr/bin/env ptyscript
-- shell.lua: drive an interactive shell with a known prompt, run commands,
-- capture each command's output and exit status.
--   ./ptyscript scripts/examples/shell.lua
local PROMPT = "PTYSCRIPT> "
local sh = pty.spawn{ "sh", env = { PS1 = PROMPT, PS2 = "" }, echo = false }
sh:expect(pty.exact(PROMPT))

-- Run one command line; return its output (without the prompt) and status.
local function run(cmd)
  sh:sendline(cmd)
  local out = sh:expect(pty.exact(PROMPT)).before
  sh:sendline("echo \"status=$?\"")
  local status = tonumber(sh:expect("status=(\\d+)\r\n")[1])
  sh:expect(pty.exact(PROMPT))
  return out, status
end

for _, cmd in ipairs{ "uname -s", "echo $((6 * 7))", "ls /nonexistent" } do
  local out, status = run(cmd)
  print(string.format("$ %s\n%s(exit %d)", cmd, out:gsub("\r\n", "\n"), status))
end
sh:sendline("exit")
sh:expect(pty.EOF)
print("shell:", sh:wait())
