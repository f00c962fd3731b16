-- The scheduler's corners: the command's lone-task fast path (a signal
-- that comes with the awaited event, the current process of callbacks)
-- and wake-ups for exits reaped outside the loop.  Found by review.
local pty = require "ptyscript"
local H = require "spec.helpers"

-- Run src with the command (args as its arg); it must exit 0.  Its stdout.
local function output_of(src, args)
  local r = H.run_script(src, args)
  assert.equal(0, r.code, r.stderr)
  return r.stdout
end

-- Run src with the command: it must die of SIGINT before it prints
-- "not reached".
local function interrupted(src)
  local r = H.run_script(src)
  assert.equal(130, r.code, r.stdout .. r.stderr)
  assert.is_nil(r.stdout:find("not reached", 1, true))
end

describe("the scheduler", function()
  it("acts on a signal that arrives together with the awaited output", function()
    -- The child prints, then signals ptyscript at once; the script busies
    -- itself first so that both are seen in the same pass of the loop.
    local t0 = pty.now()
    interrupted([[
      local p = pty.spawn{"sh", "-c", "sleep 0.2; echo x; kill -INT $PPID; sleep 30"}
      local t = os.clock() while os.clock() - t < 0.6 do end
      p:expect("x")
      p:wait()
      print("not reached")
    ]])
    assert.is_true(pty.now() - t0 < 10, "not after the child's 30 s sleep")
  end)

  it("acts on a signal caught while the script computes before an expect its buffer already matches", function()
    -- The output is read with the first expect; the signal comes while
    -- the script computes; the second expect must not return its match.
    for _, other in ipairs{ "", "pty.go(function() pty.sleep(30) end)" } do
      interrupted(other .. [[
        local p = pty.spawn{"sh", "-c", "echo ready x; sleep 0.2; kill -INT $PPID; sleep 30"}
        p:expect("ready")
        local t = os.clock() while os.clock() - t < 0.6 do end
        p:expect("x")
        print("not reached")
      ]])
    end
  end)

  it("gives callbacks their own process as the current one, with or without other tasks", function()
    for _, other in ipairs{ "", "pty.go(function() pty.sleep(5) end)" } do
      assert.matches("^P[,P]*\n$", output_of([[
        local p = pty.spawn{"sh", "-c", "sleep 0.1; echo one; sleep 0.1; echo two", name = "P"}
        pty.spawn{"true", name = "latest"}
        ]] .. other .. [[
        local seen = {}
        p:on("data", function() seen[#seen + 1] = pty.current().name end)
        p:expect("two")
        print(table.concat(seen, ","))
        os.exit(0)
      ]]))
    end
  end)

  it("wakes a wait at once for an exit another task reaped #slow", function()
    for _, pipes in ipairs{ false, true } do
      local p = pty.spawn{ "sh", "-c", "sleep 0.2; exit 0", pty = not pipes }
      local t0 = pty.now()
      local a = pty.go(function() p:wait(10) return pty.now() - t0 end)
      local b = pty.go(function()
        local t = os.clock() while os.clock() - t < 0.5 do end   -- busy while the child exits
        assert.is_false(p:alive())   -- reaps it here, outside the loop
        pty.sleep(3)
      end)
      local waited = a:wait(10)
      assert.is_true(waited < 2, "woke after " .. waited .. " s")
      b:wait(10)
    end
  end)

  -- The command's lone task searches and waits in C (core.wait); a task
  -- among others searches there, then waits in the scheduler.
  -- Both must see output split over many reads, time out on time while
  -- output that never matches keeps coming, and see EOF.
  local await_script = [[
    local others = ...
    if others == "1" then pty.go(function() pty.sleep(30) end) end
    local p = pty.spawn{"sh", "-c", "for i in 1 2 3 4 5; do printf 'ab'; sleep 0.05; done; printf 'END\\n'"}
    local m = p:expect("(ab)+END", 10)
    print("matched " .. #m[0])
    local q = pty.spawn{"sh", "-c", "while :; do printf .; sleep 0.03; done"}
    local t0 = pty.now()
    local ok, err = pcall(q.expect, q, "never", 0.5)
    print(string.format("timeout %s %.1f", tostring(not ok and err.kind), pty.now() - t0))
    local r = pty.spawn{"sh", "-c", "printf 'bye'"}
    ok, err = pcall(r.expect_exact, r, "never", 10)
    print("eof " .. tostring(not ok and err.kind) .. " " .. tostring(not ok and err.before))
    os.exit(0)
  ]]
  for _, others in ipairs{ "0", "1" } do
    it("expect matches across reads, times out and sees EOF (other tasks: " .. others .. ")", function()
      -- (the timeout is on time: not before 0.5 s, and not pushed back by
      -- the output that keeps coming - which would make it never end; a
      -- loaded machine may add a second)
      local out = output_of(await_script, { others })
      assert.matches("^matched 13\ntimeout timeout %d+%.%d\neof eof bye\n$", out)
      local took = tonumber(out:match("timeout timeout (%S+)"))
      assert.is_true(took >= 0.5 and took < 3, out)
    end)
  end

  -- A task among others searches in C and waits in the scheduler
  -- (core.wait without the lone task's wait in C).
  it("lets two tasks expect on one process at once (the second through the scheduler)", function()
    assert.equal("x y\n", output_of([[
      pty.go(function() pty.sleep(30) end)
      local p = pty.spawn{"sh", "-c", "sleep 0.3; echo x; sleep 0.3; echo y; sleep 5"}
      local a = pty.go(function() return p:expect("x", 5)[0] end)
      local b = pty.go(function() return p:expect("y", 5)[0] end)
      print(a:wait(10) .. " " .. b:wait(10))
      os.exit(0)
    ]]))
  end)

  it("leaves no wait armed after a task's expect timed out", function()
    -- Output that comes after the timeout must not wake the task's next
    -- wait (here a sleep) early.
    assert.matches("^timeout slept 1%.%d\n$", output_of([[
      pty.go(function() pty.sleep(30) end)
      local p = pty.spawn{"sh", "-c", "sleep 0.5; echo late; sleep 5"}
      local t = pty.go(function()
        local ok, err = pcall(p.expect, p, "never", 0.2)
        local t0 = pty.now()
        pty.sleep(1)
        return err.kind .. string.format(" slept %.1f", pty.now() - t0)
      end)
      print(t:wait(10))
      os.exit(0)
    ]]))
  end)

  it("gives a waiting task output that arrived while another task ran", function()
    -- The output and the exit are reaped by another task (p:alive(),
    -- outside the loop) while this one waits in C: it must be woken.
    assert.equal("bye\n", output_of([[
      local p = pty.spawn{"sh", "-c", "sleep 0.2; printf bye"}
      local a = pty.go(function() return p:expect("bye", 5)[0] end)
      pty.go(function()
        local t = os.clock() while os.clock() - t < 0.5 do end
        assert(not p:alive())
      end)
      print(a:wait(10))
      os.exit(0)
    ]]))
  end)

  -- Found by review of the wait of a task among others.
  it("wakes a task waiting on output when another task closes the process", function()
    assert.equal("eof eof\n", output_of([[
      local p = pty.spawn{"sh", "-c", "trap '' HUP; echo hi; sleep 10"}
      local q = pty.spawn{"sh", "-c", "echo x >&2; sleep 10", pty = false}
      local function waiter(obj)
        return pty.go(function()
          local t0 = pty.now()
          local ok, err = pcall(obj.expect, obj, "never", 5)
          assert(pty.now() - t0 < 3, "woken after " .. pty.now() - t0 .. " s")
          return err.kind
        end)
      end
      local a, b = waiter(p), waiter(q.stderr)
      pty.go(function() pty.sleep(0.3) p:close{grace = 0} q:close{grace = 0} end)
      print(a:wait(10) .. " " .. b:wait(10))
      os.exit(0)
    ]]))
  end)

  it("reports every byte of streaming output to callbacks while the lone task polls for it", function()
    -- The lone task's wait polls for streaming output (full 4 KiB reads)
    -- for a moment before the loop sleeps (src/wait.c, spin):
    -- what it reads must reach data callbacks and the search like any read.
    local out = output_of([[
      local p = pty.spawn{"python3", "-c", "import sys\nfor i in range(4096): sys.stdout.write('%01023d\\n' % i)\nsys.stdout.write('END\\n')", echo = false}
      local seen = 0
      p:on("data", function(_, d) seen = seen + #d end)
      local m = p:expect("END\r\n", 30)
      p:expect(pty.EOF, 10)
      -- (m.before: the newest maxbuf = 1 MiB)
      print(seen, m.before:sub(-1026), #m.before)
      os.exit(0)
    ]])
    assert.equal(4096 * 1025 + 5 .. "\t" .. "\n" .. string.rep("0", 1019) .. "4095\r\n" .. "\t"
      .. 1024 * 1024 - 5 .. "\n", out)   -- (the window holds END too)
  end)

  it("gets every reply and every callback byte while the lone task spins for replies", function()
    -- After a send whose reply came quickly, the lone task polls the loop
    -- for the next reply before it sleeps (src/wait.c, spin); a
    -- reply that comes later (the 0.2 s pause) goes through the sleeping loop.
    local r = H.run_script([[
      local p = pty.spawn{"sh", "-c", "cat", echo = false}
      local seen = 0
      p:on("data", function(_, d) seen = seen + #d end)
      local want = 0
      for i = 1, 500 do
        local line = "line " .. i
        p:send(line .. "\r")
        local m = p:expect_exact(line .. "\r\n", 10)
        if m.before ~= "" then print("stray", m.before) end
        want = want + #line + 2
        if i == 250 then pty.sleep(0.2) end
      end
      p:send("slow\r")
      pty.sleep(0.2)
      p:expect_exact("slow\r\n", 10)
      print(seen == want + 6, seen)
      p:close()
      os.exit(0)
    ]], nil, "timeout 60 ")   -- (a lost wake-up would hang, not fail)
    assert.equal(0, r.code, r.stderr)
    assert.matches("^true\t%d+\n$", r.stdout)
  end)

  it("times the lone task's expect out while output streams without a pause", function()
    -- The spin may find output on every try when the child never pauses;
    -- its polls run the loop's timers too, so the timeout is seen.
    local out = output_of([[
      local p = pty.spawn{"yes", string.rep("x", 500), echo = false}
      local t0 = pty.now()
      local m = p:expect({ "NEVER", pty.TIMEOUT }, 0.5)
      local dt = pty.now() - t0
      print(m.index, dt >= 0.5 and dt < 3, #m.before > 0)
      p:close()
      os.exit(0)
    ]])
    assert.equal("2\ttrue\ttrue\n", out)
  end)

  it("gives a task started by a callback its turn while the lone task waits", function()
    -- The data callback starts a task; the expect must then leave the
    -- waiting to the scheduler, which runs that task long before "two".
    assert.equal("task\nmatched\n", output_of([[
      local p = pty.spawn{"sh", "-c", "echo one; sleep 1.5; echo two"}
      local started = false
      p:on("data", function()
        if started then return end
        started = true
        pty.go(function() pty.sleep(0.1) print("task") end)
      end)
      p:expect("two", 10)
      print("matched")
      os.exit(0)
    ]]))
  end)

  it("finds output that arrives together with EOF and the exit (the lone task's wait)", function()
    -- Output, EOF and the exit often come in one pass of the loop: the
    -- search must see the output before EOF is reported.
    assert.equal("ok\n", output_of([[
      for i = 1, 40 do
        local p = pty.spawn{"sh", "-c", "echo bye" .. i}
        p:expect("bye" .. i .. "\r\n", 10)
        p:close()
      end
      print("ok")
      os.exit(0)
    ]]))
  end)

  -- Found by review of the lone task's C wait (core.wait).
  it("lets an expect without a time limit wait past the timer of an earlier wait", function()
    assert.equal("matched\n", output_of([[
      local p = pty.spawn{"sh", "-c", "echo ready; sleep 1; echo done"}
      p:expect("ready", 0.5)   -- its timer runs on after the match
      local ok, err = pcall(p.expect, p, "done", math.huge)
      print(ok and "matched" or tostring(err))
      os.exit(0)
    ]]))
  end)

  for _, others in ipairs{ "", "pty.go(function() pty.sleep(30) end)" } do
  it("runs data callbacks on a chunk before expect returns its match" .. (others ~= "" and " (other tasks)" or ""), function()
    assert.equal("[hello]H[world]W\n", output_of(others .. [[
      local p = pty.spawn{"sh", "-c", "sleep 0.2; printf 'hello\\n'; sleep 0.4; printf 'world\\n'; sleep 5"}
      p:on("data", function(_, chunk) io.write("[", (chunk:gsub("%c", "")), "]") end)
      p:expect("hello", 5) io.write("H")
      p:expect("world", 5) io.write("W\n")
      os.exit(0)
    ]]))
  end)
  end

  it("gives a waiting data callback one chunk at a time and stops reading while it is behind", function()
    -- A fast child and a callback that waits: one call at a time, in
    -- order, and while it is behind the chunks kept for it stay few (the
    -- reading stops) instead of a task per chunk piling up.
    local out = output_of([[
      collectgarbage() collectgarbage()
      local base = collectgarbage("count")
      local p = pty.spawn{"seq", "1", "200000"}
      local opened, active, max_active, last, partial, in_order, done = false, 0, 0, 0, "", true, false
      p:on("data", function(_, chunk)
        active = active + 1
        if active > max_active then max_active = active end
        while not opened do pty.sleep(0.01) end
        partial = partial .. chunk
        local cut = 0
        for n, e in partial:gmatch("(%d+)\r\n()") do
          if tonumber(n) ~= last + 1 then in_order = false end
          last, cut = tonumber(n), e - 1
        end
        partial = partial:sub(cut + 1)
        active = active - 1
      end)
      p:on("exit", function() done = true end)
      pty.sleep(0.5)
      collectgarbage() collectgarbage()
      local grown = collectgarbage("count") - base
      opened = true
      p:expect(pty.EOF, 60)
      while not done do pty.sleep(0.01) end
      print(max_active, in_order, last, grown < 1024 or grown)
      os.exit(0)
    ]])
    assert.equal("1\ttrue\t200000\ttrue\n", out)
  end)

  it("runs data and exit callbacks for output that comes with EOF", function()
    assert.equal("eof: data bye, exit 3\n", output_of([[
      local p = pty.spawn{"sh", "-c", "sleep 0.1; printf bye; exit 3"}
      local seen = {}
      p:on("data", function(_, chunk) seen[#seen + 1] = "data " .. chunk end)
      p:on("exit", function(_, ok, how, n) seen[#seen + 1] = how .. " " .. n end)
      local t = pty.now() while pty.now() - t < 0.4 do end   -- output, EOF, exit: one pass
      assert(not p:alive())   -- (reaps it here, outside the loop: EOF is in before expect)
      local ok, err = pcall(p.expect, p, "never", 5)
      pty.sleep(0.2)
      print(err.kind .. ": " .. table.concat(seen, ", "))
      os.exit(0)
    ]]))
  end)

  it("acts on a signal caught in the same pass as the matching output", function()
    -- The child stops ptyscript, prints, signals it and lets it go on:
    -- output and signal are then seen together.
    interrupted([[
      local p = pty.spawn{"sh", "-c", "sleep 0.2; kill -STOP $PPID; echo done; sleep 0.1; kill -INT $PPID; kill -CONT $PPID; sleep 5"}
      p:expect("done", 5)
      print("not reached")
    ]])
  end)

  it("acts on a signal caught while the lone task's expect searches a large buffer", function()
    -- The search takes a while; the signal's wake-up is used up by the
    -- loop pass that follows it, so the wait must look at the signal
    -- itself rather than sleep until the deadline.  Found by review.
    local t0 = pty.now()
    interrupted([[
      local p = pty.spawn{"sh", "-c", "head -c 2000000 /dev/zero | tr '\\0' a; sleep 30", maxbuf = 4000000}
      local t0 = pty.now()
      while #p._c:peek() < 2000000 and pty.now() - t0 < 10 do pty.sleep(0.05) end
      pty.spawn{"sh", "-c", "sleep 0.05; kill -INT $PPID; sleep 30"}
      p:expect("a{1,400}c", 20)
      print("not reached")
    ]])
    local took = pty.now() - t0
    assert.is_true(took < 12, "the signal waited for the deadline: " .. took .. " s")
  end)

  it("sleeps while a task waits where it cannot yield and the ready tasks are only that one", function()
    -- The task's earlier expect left its timer running; when it fires the
    -- task is ready but up the stack (in the gsub callback's wait): the
    -- loop must sleep until something happens, not poll again and again.
    local out = output_of([[
      local idle = pty.go(function() pty.sleep(5) end)
      local t = pty.go(function()
        local p = pty.spawn{"sh", "-c", "echo hi; sleep 5"}
        p:expect("hi", 0.2)
        local c0, t0 = os.clock(), pty.now()
        local _ = ("x"):gsub("x", function() pcall(p.expect, p, "never", 1.0) end)
        local cpu, wall = os.clock() - c0, pty.now() - t0
        p:close()
        return wall >= 0.9 and cpu < wall / 2 and "slept" or string.format("cpu %.2f s in %.2f s", cpu, wall)
      end)
      print(t:wait())
      os.exit(0)
    ]])
    assert.equal("slept\n", out)
  end)

  it("polls the loop between the turns of a task that yields bare until another task's output came", function()
    local r = H.run_script([[
      local flag = false
      local a = pty.go(function()
        local p = pty.spawn{"sh", "-c", "sleep 0.1; echo hi"}
        p:expect("hi", 5)
        flag = true
      end)
      local b = pty.go(function()
        while not flag do coroutine.yield() end
        return "saw it"
      end)
      print(b:wait(5))
      a:wait()
    ]], nil, "timeout 30 ")
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.equal("saw it\n", r.stdout)
  end)

  it("lets a pty.wrap function wait when a task calls it where the task cannot yield (a gsub callback)", function()
    local r = H.run_script([[
      local idle = pty.go(function() pty.sleep(1) end)
      local t = pty.go(function()
        local p = pty.spawn{"sh", "-c", "sleep 0.1; echo hi; sleep 5"}
        local f = pty.wrap(function() return p:expect("hi", 5)[0] end)
        local out = ("x"):gsub("x", function() return f() end)
        p:close()
        return out
      end)
      print(t:wait())
    ]], nil, "timeout 30 ")
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.equal("hi\n", r.stdout)
  end)
end)

-- A task among others parks its expect in C, and core.poll resumes it
-- when its output matches (src/l_wait.c).
describe("a task's expect parked in C", function()
  it("keeps the result of a task resumed with another that runs the loop where it cannot yield", function()
    -- Both parked waits wake in one pass (the script is busy meanwhile);
    -- the second task then waits inside a gsub callback, which runs the
    -- loop there: the first task's end must still be seen.
    for _, order in ipairs{ "ab", "ba" } do
      assert.equal("B ccc\nA done\n", output_of([[
        local order = ...
        pty.go(function() pty.sleep(30) end)
        local pa, pb   -- (the order the loop sees their output in)
        local function spawn_a() pa = pty.spawn{"sh", "-c", "sleep 0.2; echo aaa; sleep 5", echo = false} end
        local function spawn_b()
          pb = pty.spawn{"sh", "-c", "sleep 0.2; echo bbb; sleep 0.4; echo ccc; sleep 5", echo = false}
        end
        if order == "ab" then spawn_a() spawn_b() else spawn_b() spawn_a() end
        local function ta() pa:expect("aaa", 5) return "A done" end
        local function tb()
          pb:expect("bbb", 5)
          local r
          string.gsub("x", "x", function() r = pb:expect("ccc", 5)[0] end)
          return "B " .. r
        end
        local a, b = pty.go(ta), pty.go(tb)
        os.execute("sleep 0.5")
        print(b:wait(10))
        print(a:wait(5))
        os.exit(0)
      ]], { order }))
    end
  end)

  it("resumes tasks woken with a data callback's chunk after the callback ran the loop where it cannot yield", function()
    -- One pass reports p's chunk and wakes the parked waits of a and b;
    -- the callback then waits in a gsub callback, and that loop's own
    -- report (the four sleeps' timers) must not take the place of the
    -- two woken tasks in the table the first pass's report is read from.
    local out = output_of([[
      local T0 = pty.now()
      local function busy(till) while pty.now() < T0 + till do end end
      local p = pty.spawn{"sh", "-c", "sleep 0.2; echo pdata; sleep 5", echo = false}
      local pa = pty.spawn{"sh", "-c", "sleep 0.2; echo adata; sleep 5", echo = false}
      local pb = pty.spawn{"sh", "-c", "sleep 0.2; echo bdata; sleep 5", echo = false}
      for i = 1, 4 do pty.go(function() pty.sleep(1.0 - (pty.now() - T0)) end) end
      local a = pty.go(function() pa:expect("adata", 4) return "a" end)
      local b = pty.go(function() pb:expect("bdata", 4) return "b" end)
      p:on("data", function()
        busy(1.1)   -- (the sleeps' timers are all due when its loop runs)
        local _ = ("x"):gsub("x", function() pty.sleep(0.05) end)
      end)
      busy(0.5)     -- (the three outputs are all read in one pass)
      local ra, rb = a:wait(), b:wait()
      print(ra, rb, pty.now() - T0 < 2 and "in time" or string.format("after %.1f s", pty.now() - T0))
      os.exit(0)
    ]])
    assert.equal("a\tb\tin time\n", out)
  end)

  it("does not resume a task that waits where it cannot yield when the timer of its parked expect fires", function()
    -- The expect before matched well before its deadline; the timer it
    -- left running fires while the task waits inside a gsub callback.
    assert.equal("B ccc\n", output_of([[
      pty.go(function() pty.sleep(30) end)
      local p = pty.spawn{"sh", "-c", "sleep 0.2; echo bbb; sleep 0.5; echo ccc; sleep 5", echo = false}
      local b = pty.go(function()
        p:expect("bbb", 0.4)
        local r
        string.gsub("x", "x", function() r = p:expect("ccc", 5)[0] end)
        return "B " .. r
      end)
      print(b:wait(10))
      os.exit(0)
    ]]))
  end)

  it("hands a data callback the last chunk and the exit when another task closes the process right after the callback's parked expect", function()
    -- The callback's expect (on r) and the closing task's (on s) wake
    -- in one pass; the callback's queue goes idle, then the other task
    -- closes p, whose last chunk and exit go to that queue.
    for _, order in ipairs{ "rs", "sr" } do
      assert.equal("one,go,two,exit\n", output_of([[
        local order = ...
        pty.go(function() pty.sleep(30) end)
        local log, r, s = {}, nil, nil
        local function sr() r = pty.spawn{"sh", "-c", "sleep 0.3; echo go; sleep 30", echo = false} end
        local function ss() s = pty.spawn{"sh", "-c", "sleep 0.3; echo s; sleep 30", echo = false} end
        if order == "rs" then sr() ss() else ss() sr() end
        local p = pty.spawn{"sh", "-c", "echo one; sleep 0.9; echo two; sleep 30", echo = false}
        p:on("data", function(_, chunk)
          log[#log + 1] = (chunk:gsub("%s", ""))
          if chunk:find("one") then r:expect("go", 5) log[#log + 1] = "go" end
        end)
        p:on("exit", function() log[#log + 1] = "exit" end)
        local x = pty.go(function()
          s:expect("s", 5)
          os.execute("sleep 0.8")   -- (p's "two" comes meanwhile: read by close)
          p:close{ grace = 0 }
        end)
        pty.sleep(0.1)   -- (the callback's expect parks)
        os.execute("sleep 0.5")
        x:wait(5)
        pty.sleep(0.5)
        print(table.concat(log, ","))
        os.exit(0)
      ]], { order }))
    end
  end)

  it("parks again after the process of its earlier expect was closed and collected", function()
    -- (the park must not look at the freed process: make check-asan)
    assert.equal("ok\n", output_of([[
      pty.go(function() pty.sleep(30) end)
      local gone = setmetatable({}, { __mode = "k" })
      local t = pty.go(function()
        local p1 = pty.spawn{"sh", "-c", "sleep 0.2; echo one; sleep 5", echo = false}
        p1:expect("one", 5)
        p1:close{ grace = 0 }
        gone[p1._c] = true
        p1 = nil
        local p2 = pty.spawn{"sh", "-c", "sleep 0.2; echo two; sleep 5", echo = false}
        for _ = 1, 4 do collectgarbage() end
        assert(next(gone) == nil, "the first process was not collected")
        p2:expect("two", 5)
        return "ok"
      end)
      print(t:wait(10))
      os.exit(0)
    ]]))
  end)
end)

describe("pty.now", function()
  it("reads the monotonic clock (deadlines do not move with the wall clock)", function()
    -- Python's time.monotonic() is CLOCK_MONOTONIC: read between two of ours
    local t1 = pty.now()
    local f = assert(io.popen("python3 -c 'import time; print(repr(time.monotonic()))'"))
    local py = tonumber(f:read("a"))
    f:close()
    local t2 = pty.now()
    assert.is_true(t1 <= py + 0.001 and py <= t2 + 0.001,
      string.format("pty.now() %.6f .. %.6f, CLOCK_MONOTONIC %.6f", t1, t2, py))
  end)
end)
