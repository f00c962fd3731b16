-- Tasks on one event loop (doc/manual.md, "Tasks").  Under busted the test
-- body is the main thread: its waiting calls run the loop themselves,
-- which also resumes the tasks started with pty.go.
local pty = require "ptyscript"
local H = require "helpers"

describe("tasks", function()
  it("drive 50 cat sessions concurrently, each getting its own replies", function()
    local tasks = {}
    for k = 1, 50 do
      tasks[k] = pty.go(function()
        local p = pty.spawn{ "cat", echo = false }
        local got = {}
        for i = 1, 20 do
          p:sendline(string.format("session %d line %d", k, i))
          local m = p:expect("session (\\d+) line (\\d+)\r\n", 10)
          got[#got + 1] = m[1] .. ":" .. m[2]
        end
        p:sendeof()
        assert(p:wait(10))
        return k, table.concat(got, ",")
      end)
    end
    for k = 1, 50 do
      local want = {}
      for i = 1, 20 do want[i] = k .. ":" .. i end
      local kk, got = tasks[k]:wait(30)
      assert.equal(k, kk)
      assert.equal(table.concat(want, ","), got)
    end
  end)

  it("interleave: a waiting task does not block the others", function()
    local order = {}
    local a = pty.go(function()
      local p = pty.sh("read x; echo reply-$x", { echo = false })
      order[#order + 1] = "a-start"
      local m = p:expect({ "reply-(\\w+)", pty.TIMEOUT }, 5)
      order[#order + 1] = "a-" .. (m[1] or "timeout")
      return p
    end)
    local b = pty.go(function()
      order[#order + 1] = "b-start"
      pty.sleep(0.05)
      order[#order + 1] = "b-slept"
    end)
    assert.same({ "a-start", "b-start" }, order)
    b:wait(5)
    assert.same({ "a-start", "b-start", "b-slept" }, order)
    assert.same({ nil, "timeout" }, { a:wait(0) })
  end)

  it("delivers through t:wait, not pty.go, an error the task hits before its first wait", function()
    local ok, t = pcall(pty.go, function() error("early failure") end)
    assert.is_true(ok)
    assert.equal("ptyscript task (failed)", tostring(t))
    local ok2, err = pcall(t.wait, t)
    assert.is_false(ok2)
    assert.matches("early failure", err)
    local p = pty.sh("read x")
    t = pty.go(function() p:expect("never", 0) end)
    ok, err = pcall(t.wait, t)
    assert.is_false(ok)
    assert.equal("timeout", err.kind)
    p:close()
  end)

  it("lets a script start many tasks and collect each one's failure, even one before its first wait", function()
    local ts = {}
    for i = 1, 20 do
      ts[i] = pty.go(function()
        if i % 2 == 1 then pty.spawn{ "/nonexistent/program" } end   -- fails at once
        local p = pty.sh("echo ok" .. i)
        p:expect("ok" .. i, 5)
        p:close()
        return i
      end)
    end
    for i = 1, 20 do
      local ok, r = pcall(ts[i].wait, ts[i], 10)
      if i % 2 == 1 then
        assert.is_false(ok)
        assert.matches("spawn /nonexistent/program: No such file or directory", r, 1, true)
      else
        assert.same({ true, i }, { ok, r })
      end
    end
  end)

  it("re-raises exactly the value a task raised, nil and false included", function()
    for _, v in ipairs{ "nil", "false", "table" } do
      local value = ({ ["nil"] = nil, ["false"] = false, table = {} })[v]
      local early = pty.go(function() error(value) end)
      local late = pty.go(function() pty.sleep(0.01) error(value) end)
      for _, t in ipairs{ early, late } do
        local r = table.pack(pcall(t.wait, t, 5))
        assert.equal(2, r.n)
        assert.is_false(r[1])
        assert.is_true(rawequal(value, r[2]), v)
        assert.equal("ptyscript task (failed)", tostring(t))
      end
    end
  end)

  it("raises a task's error nobody retrieved at the next wait once the task is collected (plain Lua)", function()
    if pty.in_command then return pending("plain Lua only: in the command this ends the script") end
    pty.go(function() error("lost failure") end)
    collectgarbage()
    collectgarbage()
    local ok, err = pcall(pty.sleep, 0.001)
    assert.is_false(ok)
    assert.matches("lost failure", err)
    assert.is_true(pcall(pty.sleep, 0.001))   -- told once
  end)

  it("names the line of the wait when nothing can wake any task (plain Lua)", function()
    -- (in a lua5.4 of its own: here other specs' sessions may still be
    -- open, and something could wake a task)
    local path = H.script(string.format([[
package.cpath = %q .. "/?.so;" .. package.cpath
local pty = require "ptyscript"
local t
t = pty.go(function() pty.sleep(0.01) return t:wait() end)   -- waits for itself
print(pcall(t.wait, t))
]], H.root))
    local r = H.sh("timeout 20 lua5.4 " .. H.q(path))
    os.remove(path)
    assert.equal("false\t" .. path .. ":5: every task is waiting and nothing can wake any "
      .. "of them (no process, timer or task left to wait for)\n", r.stdout, r.stderr)
  end)

  it("re-raises a task's error in t:wait and reports nil, 'timeout' for a running task", function()
    local t = pty.go(function()
      pty.sleep(0.05)
      error({ code = 7 })
    end)
    assert.same({ nil, "timeout" }, { t:wait(0) })
    local ok, e = pcall(t.wait, t, 5)
    assert.is_false(ok)
    assert.equal(7, e.code)
  end)

  it("returns all results of a task and passes arguments", function()
    local t = pty.go(function(a, b) pty.sleep(0.01) return a + b, "x", nil, 4 end, 2, 3)
    local r = table.pack(t:wait(5))
    assert.equal(4, r.n)
    assert.same({ 5, "x", nil, 4 }, { r[1], r[2], r[3], r[4] })
  end)

  it("suspends only the calling task inside pcall and xpcall", function()
    local log = {}
    local t1 = pty.go(function()
      local ok, v = pcall(function()
        local p = pty.sh("read x; echo got-$x", { echo = false })
        p:sendline("one")
        return p:expect("got-(\\w+)", 5)[1]
      end)
      log[#log + 1] = "pcall:" .. tostring(ok) .. ":" .. v
      local ok2, err = xpcall(function()
        local p = pty.sh("read x")
        p:expect("never", 0.05)
      end, function(e) return "handled " .. e.kind end)
      log[#log + 1] = "xpcall:" .. tostring(ok2) .. ":" .. err
    end)
    local t2 = pty.go(function()
      pty.sleep(0.01)
      log[#log + 1] = "other"
    end)
    t1:wait(5)
    t2:wait(5)
    table.sort(log)
    assert.same({ "other", "pcall:true:one", "xpcall:false:handled timeout" }, log)
  end)

  it("lets a script's own coroutines wait, through pty.wrap inside a task", function()
    local t = pty.go(function()
      local gen = pty.wrap(function()
        local p = pty.sh("for i in 1 2 3; do read x; echo item-$x; done", { echo = false })
        for i = 1, 3 do
          p:sendline("v" .. i)
          coroutine.yield(p:expect("item-(\\w+)", 5)[1])
        end
      end)
      local items = {}
      for _ = 1, 3 do items[#items + 1] = gen() end
      return table.concat(items, ",")
    end)
    assert.equal("v1,v2,v3", t:wait(10))
  end)

  it("lets plain coroutines wait when not inside a task (the loop runs inline)", function()
    local co = coroutine.wrap(function()
      local p = pty.sh("read x; echo back-$x", { echo = false })
      p:sendline("zz")
      coroutine.yield(p:expect("back-(\\w+)", 5)[1])
    end)
    assert.equal("zz", co())
  end)

  it("wakes every task waiting on the same process", function()
    local p = pty.sh("read x; echo bye; exit 5")
    local a = pty.go(function() return select(3, p:wait(5)) end)
    local b = pty.go(function() return select(3, p:wait(5)) end)
    local c = pty.go(function() return p:expect("bye", 5)[0] end)
    p:sendline("go")
    assert.equal(5, a:wait(5))
    assert.equal(5, b:wait(5))
    assert.equal("bye", c:wait(5))
    assert.equal(5, p.exitcode)
  end)

  it("keeps a task nobody holds a reference to alive while it waits", function()
    local done = false
    pty.go(function() pty.sleep(0.05); done = true end)   -- the task object is dropped
    collectgarbage()
    collectgarbage()
    assert.is_true(H.eventually(function() return done end, 3))
  end)

  it("sleeps and tells monotonic time", function()
    local t0 = pty.now()
    assert.is_number(t0)
    pty.sleep(0.05)
    local dt = pty.now() - t0
    assert.is_true(dt >= 0.045, "slept " .. dt)
    assert.has_error(function() pty.sleep(-1) end)
    assert.has_error(function() pty.sleep("x") end)
  end)

  it("leaves io.popen and os.execute statuses to their owners while sessions run", function()
    local sessions = {}
    for i = 1, 5 do
      sessions[i] = pty.spawn{ "cat", echo = false }
    end
    local bg = pty.go(function()
      for i = 1, 5 do
        sessions[i]:sendline("ping")
        sessions[i]:expect_exact("ping", 5)
      end
    end)
    for _ = 1, 10 do
      assert.same({ nil, "exit", 7 }, { io.popen("exit 7"):close() })
      assert.same({ true, "exit", 0 }, { os.execute("true") })
      assert.same({ nil, "exit", 3 }, { os.execute("exit 3") })
      assert.same({ nil, "signal", 9 }, { os.execute("kill -9 $$") })
    end
    bg:wait(10)
    for i = 1, 5 do
      sessions[i]:sendeof()
      assert.same({ true, "exit", 0 }, { sessions[i]:wait(5) })
    end
  end)
end)
