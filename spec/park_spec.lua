-- The wait of a task among others, parked in C: its process's output is
-- searched as it comes, and the task runs again only on a match, EOF,
-- the deadline or the end of the process.  The same results as a wait
-- through the scheduler (PTYSCRIPT_FAST_WAIT=0 runs this file too: see
-- wait_spec), nothing seen out of order, nothing lost.
local pty = require "ptyscript"
local H = require "spec.helpers"

-- Run src with the command; it must exit 0.  Its stdout.
local function output_of(src)
  local r = H.run_script(src)
  assert.equal(0, r.code, r.stdout .. r.stderr)
  return r.stdout
end

describe("a task's parked expect", function()
  it("matches across chunks, with before and groups of its own process, in many tasks at once", function()
    local out = output_of([[
      local tasks, got = {}, {}
      for i = 1, 20 do
        tasks[i] = pty.go(function()
          local p = pty.spawn{"sh", "-c", string.format("printf 'head %d '; sleep 0.1; printf 'mid'; " ..
            "sleep 0.1; printf 'dle%d-tail\\n'; sleep 0.1; printf 'more%d\\n'", i, i, i)}
          local m = p:expect("middle(\\d+)-(\\w+)", 10)
          local m2 = p:expect_exact("more" .. i, 10)
          got[i] = string.format("%s|%s|%s|%s", m.before, m[1], m[2], m2.before)
          p:close()
        end)
      end
      for i = 1, 20 do tasks[i]:wait() end
      for i = 1, 20 do print(got[i]) end
    ]])
    local want = {}
    for i = 1, 20 do want[i] = string.format("head %d |%d|tail|\r\n", i, i) end
    assert.equal(table.concat(want, "\n") .. "\n", out)
  end)

  it("times out at its deadline, also after a longer and a shorter timeout of the same task", function()
    local out = output_of([[
      local other = pty.go(function() pty.sleep(5) end)
      local t = pty.go(function()
        local p = pty.spawn{"cat"}
        local r = {}
        for _, timeout in ipairs{ 0.6, 0.2, 0.4 } do
          local t0 = pty.now()
          local ok, err = pcall(p.expect, p, "never", timeout)
          r[#r + 1] = string.format("%s %.1f", ok and "matched" or (tostring(err):find("timeout (", 1, true) and "timed out" or tostring(err)), pty.now() - t0)
        end
        local m = p:expect({ "never", pty.TIMEOUT }, 0.2)
        r[#r + 1] = "index " .. m.index
        p:close()
        return table.concat(r, ",")
      end)
      print(t:wait())
    ]])
    assert.equal("timed out 0.6,timed out 0.2,timed out 0.4,index 2\n", out)
  end)

  it("times out at its own deadline after a matched expect of a longer or a shorter timeout", function()
    local out = output_of([[
      local other = pty.go(function() pty.sleep(5) end)
      local t = pty.go(function()
        local p = pty.spawn{"cat"}
        local r = {}
        for _, pair in ipairs{ { 5, 0.3 }, { 0.2, 0.8 } } do
          p:send("hi\r")
          p:expect("hi", pair[1])
          local t0 = pty.now()
          local ok = pcall(p.expect, p, "never", pair[2])
          r[#r + 1] = string.format("%s %.1f", ok and "matched" or "timed out", pty.now() - t0)
        end
        p:close()
        return table.concat(r, ",")
      end)
      print(t:wait())
    ]])
    assert.equal("timed out 0.3,timed out 0.8\n", out)
  end)

  it("waits past an earlier, shorter deadline when its timeout is huge but not math.huge", function()
    -- (1e12 s in nanoseconds does not fit the deadline's integer: it wrapped
    -- to "now", and the timer left running by the 0.3 s expect ended it)
    local out = output_of([[
      local other = pty.go(function() pty.sleep(5) end)
      local t = pty.go(function()
        local p = pty.spawn{"cat"}
        p:send("hi\r")
        p:expect("hi", 0.3)
        pty.go(function() pty.sleep(0.8) p:send("late\r") end)
        local t0 = pty.now()
        local ok, err = pcall(p.expect, p, "late", 1e12)
        local r = string.format("%s %.1f", ok and "matched" or tostring(err), pty.now() - t0)
        p:close()
        return r
      end)
      print(t:wait())
    ]])
    assert.equal("matched 0.8\n", out)
  end)

  it("parks again on a new process after the one it last waited on was closed and collected", function()
    -- (under check-asan: the park must not touch the process that is gone)
    local out = output_of([[
      local other = pty.go(function() pty.sleep(5) end)
      local t = pty.go(function()
        local got = {}
        for i = 1, 5 do
          local p = pty.spawn{"sh", "-c", "sleep 0.05; echo round" .. i .. "; sleep 5"}
          collectgarbage()   -- (the last round's process, no longer current, goes)
          collectgarbage()
          got[i] = p:expect("round\\d", 5)[0]
          p:close()
        end
        return table.concat(got, ",")
      end)
      print(t:wait())
    ]])
    assert.equal("round1,round2,round3,round4,round5\n", out)
  end)

  it("sees EOF and the end of its process closed by another task", function()
    local out = output_of([[
      local p = pty.spawn{"cat"}
      local a = pty.go(function() return p:expect({ "never", pty.EOF }, 10).index end)
      local b = pty.go(function()
        local q = pty.spawn{"sh", "-c", "printf done; exit 0"}
        return q:expect({ "never", pty.EOF }, 10).before
      end)
      pty.sleep(0.2)
      p:close()
      print(a:wait(), b:wait())
    ]])
    assert.equal("2\tdone\n", out)
  end)

  it("shares a process with a second waiter: each gets its own match, neither hangs", function()
    local out = output_of([[
      local p = pty.spawn{"sh", "-c", "sleep 0.2; echo one; sleep 0.2; echo two; sleep 5"}
      local a = pty.go(function() return p:expect("one", 5)[0] end)
      local b = pty.go(function() return p:expect("two", 5)[0] end)
      print(a:wait(), b:wait())
      p:close()
    ]])
    assert.equal("one\ttwo\n", out)
  end)

  it("returns after the data callbacks have seen what it matched", function()
    local out = output_of([[
      local seen = {}
      local p = pty.spawn{"sh", "-c", "sleep 0.2; echo hello; sleep 5"}
      p:on("data", function(_, chunk) seen[#seen + 1] = chunk end)
      local idle = pty.go(function() pty.sleep(3) end)
      local t = pty.go(function()
        p:expect("hello", 5)
        return table.concat(seen)
      end)
      print((t:wait():gsub("\r\n", "|")))
      p:close()
    ]])
    assert.equal("hello|\n", out)
  end)

  it("hands an error raised right after it returns to t:wait, with the task's traceback", function()
    local r = H.run_script([[
      local idle = pty.go(function() pty.sleep(3) end)
      local t = pty.go(function()
        local p = pty.spawn{"sh", "-c", "sleep 0.1; echo ready; sleep 5"}
        p:expect("ready", 5)
        error("after the match")
      end)
      local ok, err = pcall(t.wait, t)
      print(ok, err)
      error(err, 0)
    ]])
    assert.equal(1, r.code)
    assert.matches("false\t[^\n]*:5: after the match", r.stdout)
    assert.matches("after the match", r.stderr)
  end)

  it("runs no Lua of the task for output that does not match", function()
    if os.getenv("PTYSCRIPT_FAST_WAIT") == "0" then pending("the fast wait is off (PTYSCRIPT_FAST_WAIT=0)") return end
    -- 100 chunks 10 ms apart before the match: a task resumed per chunk
    -- would call at least one Lua function each time.
    local out = output_of([[
      local idle = pty.go(function() pty.sleep(10) end)
      local calls = 0
      local t = pty.go(function()
        local p = pty.spawn{"sh", "-c", "i=0; while [ $i -lt 100 ]; do printf x; sleep 0.01; i=$((i+1)); done; echo END"}
        debug.sethook(function() calls = calls + 1 end, "c")
        local m = p:expect("END", 20)
        debug.sethook()
        p:close()
        return #m.before
      end)
      print(t:wait(), calls < 50 and "few" or calls)
    ]])
    assert.equal("100\tfew\n", out)
  end)
end)
