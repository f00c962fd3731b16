#!/usr/bin/env ptyscript
-- installer.lua: answer an interactive installer's questions, whatever
-- order they come in, until it is done.
--   INSTALL_PASSWORD=... ./ptyscript scripts/examples/installer.lua [installer]
local installer = arg[1] or (arg[0]:match("^(.*/)") or "./") .. "fake-installer.sh"
local password = os.getenv("INSTALL_PASSWORD") or "changeme"

-- question pattern -> answer (a string, or a function returning one)
local answers = {
  { "accept the license\\? \\[y/N\\] $", "y" },
  { "Install directory \\[[^]]*\\]: $", "/tmp/frob" },
  { "optional plugins\\? \\[y/N\\] $", "y" },
  { "Plugin channel \\(stable/beta\\): $", "stable" },
  { "Admin password: $", function() return password end, secret = true },
}

local p = pty.spawn{ installer, timeout = 30 }
local patterns = {}
for i, a in ipairs(answers) do patterns[i] = a[1] end
patterns[#patterns + 1] = "Done: (.*)\r\n"
patterns[#patterns + 1] = pty.EOF

while true do
  local m = p:expect(patterns)
  local a = answers[m.index]
  if a then
    local reply = type(a[2]) == "function" and a[2]() or a[2]
    sendline(reply, { secret = a.secret })
  elseif m.index == #answers + 1 then
    print("installer finished: " .. m[1])
    break
  else
    error("the installer ended without finishing: " .. m.before)
  end
end
local ok, how, code = p:wait(10)
print(string.format("exit: %s %s", how, code))
os.exit(ok and 0 or 1)
