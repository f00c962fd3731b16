-- Tasks on one event loop (doc/manual.md, "Tasks").  Under busted the test
-- body is the main thread: its waiting calls run the loop themselves,
-- which also resumes the tasks started with pty.go.  With the bad input
-- and faults of tasks: wrong arguments to pty.go, pty.sleep, pty.wrap,
-- pty.resume and t:wait, and errors in tasks and in the script's own
-- coroutines, in plain Lua and in the command.
local pty = require "ptyscript"
local H = require "helpers"

local SRC = debug.getinfo(1, "S").short_src   -- this file, as messages name it
local NAN = 0 / 0
local check, raises, victim, intact = H.check, H.raises, H.victim, H.intact

-- Run a script with the command (stdin given or /dev/null), bounded in
-- time: a hang fails the test instead of hanging the suite.
local run = H.run_bounded

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

describe("wrong argument types", function()
  it("to pty.exact, pty.re, pty.go and pty.sleep", function()
    local p = victim()
    raises("exact: expected a string, got nil", function() pty.exact() end)
    raises("exact: expected a string, got number", function() pty.exact(5) end)
    raises("re: pattern must be a string, got number", function() pty.re(5) end)
    raises("re: pattern must be a string, got table", function() pty.re(pty.exact("x")) end)
    raises('re: flags must be a string such as "i"', function() pty.re("a", 5) end)
    raises("go: expected a function, got nil", function() pty.go() end)
    raises("go: expected a function, got string", function() pty.go("print") end)
    raises('sleep: expected a number of seconds >= 0, got the string "x"', function() pty.sleep("x") end)
    raises("sleep: expected a number of seconds >= 0, got nil", function() pty.sleep() end)
    raises("sleep: expected a number of seconds >= 0, got -1", function() pty.sleep(-1) end)
    local _, msg = raises("sleep: expected a number of seconds >= 0, got ", function() pty.sleep(NAN) end)
    assert.matches("nan$", msg)
    raises("sleep: refusing to sleep forever", function() pty.sleep(math.huge) end)
    intact(p)
  end)

  it("to pty.wrap and pty.resume (coroutine.wrap and coroutine.resume in the command)", function()
    local p = victim()
    local wrong = {}
    local _, msg, bad = check("wrap: ", function() pty.wrap(5) end)
    if bad then wrong[#wrong + 1] = bad
    elseif not msg:find("function", 1, true) then wrong[#wrong + 1] = msg end
    _, msg, bad = check("resume: ", function() pty.resume(5) end)
    if bad then wrong[#wrong + 1] = bad
    elseif not msg:find("coroutine", 1, true) then wrong[#wrong + 1] = msg end
    assert(#wrong == 0, table.concat(wrong, "\n"))
    intact(p)
  end)

  it("to t:wait (timeouts)", function()
    local p = victim()
    local t = pty.go(function() p:expect({ "never", pty.TIMEOUT }, 0.05) return "done" end)
    finally(function() pcall(t.wait, t, 5) end)
    raises('wait: timeout must be a number of seconds >= 0 (got the string "x")', function() t:wait("x") end)
    raises("wait: timeout must be a number of seconds >= 0 (got -1)", function() t:wait(-1) end)
    local _, msg = raises("wait: timeout must be a number of seconds >= 0 (got ", function() t:wait(NAN) end)
    assert.matches("nan%)$", msg)
    -- the task itself is untouched
    assert.equal("done", t:wait(5))
    -- and its listed TIMEOUT took nothing from the buffer it shares with us
    intact(p)
  end)

  it("t.wait() and t.wait(5) for t:wait(...): a clear message, not \"attempt to index\"", function()
    local p = victim()
    local t = pty.go(function() p:expect({ "never", pty.TIMEOUT }, 0.05) return "done" end)
    finally(function() pcall(t.wait, t, 5) end)
    local _, msg = raises("wait: ", function() t.wait() end)
    assert.matches("t:wait", msg, 1, true)
    _, msg = raises("wait: ", function() t.wait(5) end)
    assert.matches("t:wait", msg, 1, true)
    assert.equal("done", t:wait(5))
    intact(p)
  end)

  it("t.wait(string) or t.wait(table) raises instead of hanging or deadlocking", function()
    -- run by the command and bounded: a hang shows as status 124
    local wrong = {}
    for _, case in ipairs{ { '"x"', "" }, { "{}", 'spawn("cat")' } } do
      local r = run(string.format([[
%s
local t = pty.go(function() pty.sleep(0.01) return 1 end)
local ok, e = pcall(function() return t.wait(%s) end)
print(ok, e)
print("result", t:wait(5))
]], case[2], case[1]), nil, "timeout -k 1 3 ")
      if r.code ~= 0 or not r.stdout:find("^false\t.-:3: wait: ") or not r.stdout:find("t:wait", 1, true)
          or not r.stdout:find("\nresult\t1\n") then
        wrong[#wrong + 1] = string.format("t.wait(%s)%s: status %s\n%s%s", case[1],
          case[2] ~= "" and " with a process running" or "", tostring(r.code), r.stdout, r.stderr)
        -- (124: it hung and was stopped by timeout)
      end
    end
    assert(#wrong == 0, table.concat(wrong, "\n"))
  end)
end)

describe("errors in tasks and coroutines", function()
  it("an error in a task is re-raised by t:wait with its file:line; the session goes on", function()
    local p = victim()
    local line, t_before
    local t = pty.go(function()
      p:sendline("ping")
      t_before = p:expect_exact("ping", 5).before   -- a real wait first: the error comes later
      line = debug.getinfo(1, "l").currentline; error("task failed")
    end)
    local ok, e = pcall(t.wait, t, 5)
    assert.is_false(ok)
    assert.equal(SRC .. ":" .. line .. ": task failed", e)
    -- again: the same error, the task does not run twice
    assert.equal(e, select(2, pcall(t.wait, t, 5)))
    p:sendline("after")
    assert.equal("\r\n", p:expect_exact("after", 5).before)
    assert.equal(" BBB\r\n", t_before)
    p:close()
  end)

  it("an error before a task's first wait is delivered by t:wait, not raised by pty.go", function()
    local p = victim()
    local t = pty.go(function() error("early failure") end)   -- (no raise here)
    assert.equal("ptyscript task (failed)", tostring(t))
    raises("early failure", function() pty.go(function() error("early failure") end):wait() end)
    raises("attempt to index a nil value", function() pty.go(function() local x; return x.y end):wait() end)
    assert.is_false(pcall(t.wait, t))
    intact(p)
  end)

  it("a pcall'd expect inside a pty.wrap coroutine inside a task: the error object, then the coroutine's own error", function()
    local p = victim()
    local lines = {}
    local t = pty.go(function()
      local gen = pty.wrap(function()
        local l1, ok, e = debug.getinfo(1, "l").currentline, pcall(p.expect, p, "never", 0.1)
        lines[1] = l1
        coroutine.yield(ok, e)
        p:sendline("inside")                          -- waits inside the coroutine
        coroutine.yield(p:expect_exact("inside", 5).before)
        lines[2] = debug.getinfo(1, "l").currentline; error("generator failed")
      end)
      local ok, e = gen()
      local before = gen()
      local ok2, e2 = pcall(gen)
      return ok, e, before, ok2, e2
    end)
    local ok, e, before, ok2, e2 = t:wait(10)
    assert.is_false(ok)
    assert.equal("timeout", e.kind)
    assert.equal(0.1, e.timeout)
    assert.equal(" BBB\r\n", e.before)                 -- a timeout consumes nothing
    assert.matches("^" .. SRC:gsub("%p", "%%%0") .. ":" .. lines[1]
      .. ": timeout %(0%.1s%) waiting for /never/ from victim", tostring(e))
    assert.equal(" BBB\r\n", before)                   -- then consumed by the expect inside
    assert.is_false(ok2)
    assert.equal(SRC .. ":" .. lines[2] .. ": generator failed", e2)
    p:sendline("after")
    assert.equal("\r\n", p:expect_exact("after\r\n", 5).before)
    p:close()
  end)

  it("the same outside any task (busted's main thread)", function()
    local p = victim()
    local gen = pty.wrap(function()
      local ok, e = pcall(p.expect, p, "never", 0.1)
      coroutine.yield(ok, e)
      error({ code = 42 })                             -- a non-string error passes through as is
    end)
    local ok, e = gen()
    assert.is_false(ok)
    assert.equal("timeout", e.kind)
    local ok2, e2 = pcall(gen)
    assert.is_false(ok2)
    assert.same({ code = 42 }, e2)
    intact(p)
  end)
end)

describe("script errors, run by the command", function()
  it("t:wait re-raises a task's error in the script, which goes on", function()
    local r = run([[
spawn{"cat", echo = false}
local t = pty.go(function()
  sendline("ping")
  expect("ping")
  local x = nil
  return x.field
end)
local ok, e = pcall(t.wait, t)
print("caught", ok, e)
sendline("after")
print(expect("after")[0])
]])
    assert.equal(0, r.code, r.stderr)
    assert.matches("caught\tfalse\t" .. r.path .. ":6: attempt to index a nil value (local 'x')\nafter\n",
      r.stdout, 1, true)
  end)

  it("a pcall'd expect inside coroutine.wrap, then an error in it", function()
    local r = run([[
spawn{"cat", echo = false}
local gen = coroutine.wrap(function()
  local ok, e = pcall(expect, "never", 0.1)
  coroutine.yield(ok, e.kind, tostring(e))
  sendline("inwrap")
  coroutine.yield(expect("inwrap")[0])
  error("gen failed")
end)
print(gen())
print(gen())
print(pcall(gen))
sendline("after")
print(expect("after")[0])
]])
    assert.equal(0, r.code, r.stderr)
    local want = "false\ttimeout\t" .. r.path .. ":3: timeout (0.1s) waiting for /never/ from cat"
    assert.equal(want, r.stdout:sub(1, #want))
    assert.matches("\ninwrap\nfalse\t" .. r.path .. ":7: gen failed\nafter\n", r.stdout, 1, true)
  end)
end)
