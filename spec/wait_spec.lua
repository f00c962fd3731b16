-- The one wait with its fast path off (PTYSCRIPT_FAST_WAIT=0): Lua
-- searches and every wait goes through the scheduler, and the specs of
-- the scheduler, of matching and of parked waits must hold all the same.
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

  it("passes the scheduler's, the matcher's and the parked waits' specs #slow", function()
    local r = H.sh("cd " .. H.q(H.root) .. " && PTYSCRIPT_FAST_WAIT=0 " .. H.q(H.bin)
      .. " /usr/bin/busted spec/sched_spec.lua spec/match_spec.lua spec/park_spec.lua 2>&1")
    local last = r.stdout:match("busted: [^\n]*") or r.stdout
    assert.matches("^busted: [1-9]%d* passed, 0 failed", last, r.stdout)
  end)
end)

describe("the lone task's wait in C", function()
  it("leaves a wait where the task cannot yield to the scheduler: callbacks see every chunk and the exit", function()
    -- (a gsub callback: the task cannot yield there, so what fired while
    -- it waited could not be handed to the callbacks' tasks)
    local r = H.run_script([[
      local p = pty.spawn{"sh", "-c", "for i in 1 2 3; do printf \"c$i \"; sleep 0.05; done; printf done; sleep 0.2", echo = false}
      local seen, exited = {}, false
      p:on("data", function(_, chunk) seen[#seen + 1] = chunk end)
      p:on("exit", function() exited = true end)
      string.gsub("x", "x", function() p:expect("done", 5) end)
      string.gsub("x", "x", function() p:expect(pty.EOF, 5) end)
      local t0 = pty.now()   -- (p:wait would see the exit itself: not it)
      while not exited and pty.now() - t0 < 5 do pty.sleep(0.02) end
      print(table.concat(seen), exited)
    ]])
    assert.equal(0, r.code, r.stderr)
    assert.equal("c1 c2 c3 done\ttrue\n", r.stdout)
  end)
end)

describe("the search of a pattern list in C", function()
  it("gives a regex listed twice the groups of its own search (\\G sees where that began)", function()
    local pty = require "ptyscript"
    local p = pty.spawn{"sh", "-c", "printf xb; sleep 5", echo = false}
    local R = pty.re("(\\G)?b")   -- (at the b, \G holds only for a search begun there)
    local m = p:expect({ R, R }, 5)
    assert.same({ 1, "b", false }, { m.index, m[0], m[1] })
    p:close()
  end)
end)
