-- The one wait with its fast path off (PTYSCRIPT_FAST_WAIT=0): Lua
-- searches and every wait goes through the scheduler, and the specs of
-- the scheduler and of matching must hold all the same.
local H = require "spec.helpers"

describe("the wait with PTYSCRIPT_FAST_WAIT=0", function()
  it("tells the switch to the Lua side", function()
    for _, v in ipairs{ "0", "1" } do
      local r = H.run_script([[print(require("ptyscript.core").FAST_WAIT)]], nil,
        "PTYSCRIPT_FAST_WAIT=" .. v .. " ")
      assert.equal(0, r.code, r.stderr)
      assert.equal(v == "1" and "true\n" or "false\n", r.stdout)
    end
  end)

  it("passes the scheduler's and the matcher's specs #slow", function()
    local r = H.sh("cd " .. H.q(H.root) .. " && PTYSCRIPT_FAST_WAIT=0 " .. H.q(H.bin)
      .. " /usr/bin/busted spec/sched_spec.lua spec/match_spec.lua 2>&1")
    local last = r.stdout:match("busted: [^\n]*") or r.stdout
    assert.matches("^busted: [1-9]%d* passed, 0 failed", last, r.stdout)
  end)
end)
