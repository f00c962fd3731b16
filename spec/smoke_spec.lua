-- The first check that anything works: the module loads, spawns bc on a
-- pty, sends it a line and reads the answer back.
local pty = require "ptyscript"

describe("smoke", function()
  it("drives bc", function()
    local p = pty.spawn{"bc", "-q", echo = false}
    p:sendline("2^100")
    local m = p:expect("(\\d+)\\r\\n")
    assert.equal("1267650600228229401496703205376", m[1])
    p:sendline("quit")
    assert.same({ true, "exit", 0 }, { p:wait(5) })
  end)
end)
