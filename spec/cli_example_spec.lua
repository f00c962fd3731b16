-- An example of testing an interactive command-line program with busted
-- and ptyscript: here scripts/examples/fake-installer.sh,
-- tested the way a project would test its own CLI.
--
--   busted --cpath=/path/to/ptyscript/?.so spec/cli_example_spec.lua
local pty = require "ptyscript"
local H = require "helpers"

local INSTALLER = H.root .. "/scripts/examples/fake-installer.sh"

describe("the installer", function()
  local p
  before_each(function() p = pty.spawn{ INSTALLER, timeout = 5 } end)
  after_each(function() p:close() end)

  it("stops when the license is refused", function()
    p:expect("license\\? \\[y/N\\] $")
    p:sendline("n")
    p:expect("Setup aborted\\.")
    assert.same({ nil, "exit", 1 }, { p:wait(5) })
  end)

  it("installs with defaults, hides the password, reports what it did", function()
    p:expect("license\\? \\[y/N\\] $")
    p:sendline("y")
    p:expect("Install directory \\[/opt/frob\\]: $")
    p:sendline("")                              -- take the default
    p:expect("plugins\\? \\[y/N\\] $")
    p:sendline("n")
    p:expect("Admin password: $")
    p:sendline("s3cret", { secret = true })
    local m = p:expect("Done: (.*)\r\n")
    assert.equal("dir=/opt/frob plugins=n channel=- pwlen=6", m[1])
    assert.is_nil(m.before:find("s3cret", 1, true), "the password is not echoed")
    assert.same({ true, "exit", 0 }, { p:wait(5) })
  end)
end)

describe("scripts/examples/installer.lua", function()
  it("answers every question, in any order, and the installer succeeds", function()
    local r = H.sh("INSTALL_PASSWORD=pw1234 " .. H.q(H.bin) .. " "
      .. H.q(H.root .. "/scripts/examples/installer.lua"))
    assert.equal(0, r.code, r.stderr)
    assert.matches("installer finished: dir=/tmp/frob plugins=y channel=stable pwlen=6", r.stdout)
    assert.matches("exit: exit 0", r.stdout)
  end)
end)
