#!/usr/bin/env ptyscript
-- timeout.lua: what a failed expect looks like, and how to handle one.
--   ./ptyscript scripts/examples/timeout.lua
local p = pty.sh("printf 'Login: '; read user; printf 'Connection closed by peer\\n'; sleep 5",
  { name = "fake-login" })
p:expect("Login: ")
p:sendline("alice")

-- Listing pty.TIMEOUT (or pty.EOF) makes it a value instead of an error.
local m = p:expect({ "[Pp]assword: ", "closed", pty.TIMEOUT }, 2)
if m.index == 2 then print("the peer closed the connection") end

-- Unlisted, a timeout raises an error object that explains itself:
local ok, err = pcall(p.expect, p, "[Pp]assword: ", 0.5)
print(err)            -- file:line, pattern, process, pid, state, last output
print("kind:", err.kind, "timeout:", err.timeout)
p:close()
