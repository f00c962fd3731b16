-- Callbacks: p:on("data"/"exit"), and an error raised in one, in plain
-- Lua and in the command.  (Typing, send's delay and human options and
-- sendline's wait_echo: send_spec.)
local pty = require "ptyscript"
local H = require "helpers"

local SRC = debug.getinfo(1, "S").short_src   -- this file, as messages name it

-- Run a script with the command (stdin given or /dev/null), bounded in
-- time: a hang fails the test instead of hanging the suite.
local run = H.run_bounded

describe("p:on", function()
  it("calls data callbacks with every chunk, in order, and leaves it for expect", function()
    local p = pty.sh("read x; printf 'one\\n'; sleep 0.05; printf 'two\\n'; read y", { echo = false })
    local chunks = {}
    p:on("data", function(pp, data)
      assert.equal(p, pp)
      chunks[#chunks + 1] = data
    end)
    p:sendline("go")
    local m = p:expect("two\r\n", 5)
    assert.equal("one\r\n", m.before)
    assert.equal("one\r\ntwo\r\n", table.concat(chunks))
    p:close()
  end)

  it("calls exit callbacks once with os.execute-style results", function()
    local p = pty.sh("read x; exit 6")
    local calls = {}
    p:on("exit", function(pp, ok, how, n) calls[#calls + 1] = { pp == p, ok, how, n } end)
    p:sendline("go")
    p:wait(5)
    pty.sleep(0.01)
    assert.same({ { true, nil, "exit", 6 } }, calls)
    -- registered after the exit: called at once
    local late
    p:on("exit", function(_, ok, how, n) late = { ok, how, n } end)
    assert.same({ nil, "exit", 6 }, late)
  end)

  it("reports an exit by signal", function()
    local p = pty.spawn("cat")
    local got
    p:on("exit", function(_, ok, how, n) got = { ok, how, n } end)
    p:kill("KILL")
    p:wait(5)
    assert.same({ nil, "signal", 9 }, got)
  end)

  -- close's kill (grace 0, or after the grace) reaps the child: the exit
  -- callbacks hear of it all the same.
  it("calls exit callbacks when close kills the child at once (grace = 0)", function()
    local p = pty.sh("echo hi; sleep 30")
    p:expect("hi")
    local got
    p:on("exit", function(_, ok, how, n) got = { ok, how, n } end)
    p:close{ grace = 0 }
    pty.sleep(0.2)
    assert.is_table(got, "the exit callback did not run")
    assert.equal("signal", got[2])   -- SIGHUP (the hang-up) or SIGKILL, whichever came first
    assert.equal(p.signal == "HUP" and 1 or 9, got[3])
  end)

  it("lets a callback wait (it runs as a task)", function()
    local p = pty.spawn{ "cat", echo = false }
    local q = pty.spawn{ "cat", echo = false }
    p:on("data", function(_, data)
      q:send(data)                       -- relay everything p prints to q
    end)
    p:sendline("relayed")
    assert.equal("relayed", q:expect("(\\w+)\r\n", 5)[1])
    p:close()
    q:close()
  end)

  it("hands chunks to a waiting data callback one at a time, in order, and stops reading while it is behind", function()
    -- The child writes about 1.3 MB as fast as it can; the callback waits
    -- on its first chunk until the gate opens.  Meanwhile no second call
    -- may start, and the reading stops soon: the chunks waiting for the
    -- callback stay a small fraction of the output.
    collectgarbage()
    collectgarbage()
    local base = collectgarbage("count")
    local p = pty.spawn{ "seq", "1", "200000" }
    local open, active, max_active, calls = false, 0, 0, 0
    local last, partial, in_order = 0, "", true
    local done = false
    p:on("data", function(_, chunk)
      active = active + 1
      if active > max_active then max_active = active end
      calls = calls + 1
      while not open do pty.sleep(0.01) end
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
    pty.sleep(0.5)                  -- the gate stays shut: the reading must stop
    collectgarbage()
    collectgarbage()
    local grown = collectgarbage("count") - base
    local calls_while_closed = calls
    open = true
    local t0 = pty.now()
    while not done and pty.now() - t0 < 60 do pty.sleep(0.01) end
    assert.is_true(done, "the exit callback did not run")
    assert.equal(1, max_active)
    assert.equal(1, calls_while_closed)
    assert.is_true(grown < 1024, string.format("%.0f KiB kept while the callback was behind", grown))
    assert.is_true(in_order)
    assert.equal(200000, last)      -- every line, and the exit callback after the last
    assert.equal("", partial)
    p:close()
  end)

  it("runs exit callbacks after the data callbacks of the output read before the exit", function()
    local p = pty.sh("printf 'one\\n'; printf 'two\\n'; exit 4")
    local got, at_exit = "", nil
    p:on("data", function(_, chunk)
      pty.sleep(0.2)                -- behind: the exit comes meanwhile
      got = got .. chunk
    end)
    p:on("exit", function(_, ok, how, n) at_exit = { got, ok, how, n } end)
    p:wait(5)
    local t0 = pty.now()
    while not at_exit and pty.now() - t0 < 10 do pty.sleep(0.01) end
    assert.same({ "one\r\ntwo\r\n", nil, "exit", 4 }, at_exit)
  end)

  -- Wait for the exit callback that appends "exit" to got; then got
  -- must be the child's output in data chunks, then "exit".
  local function after_output(got, output)
    local t0 = pty.now()
    while got[#got] ~= "exit" and pty.now() - t0 < 10 do pty.sleep(0.01) end
    assert.equal(output .. "|exit", table.concat(got, "", 1, #got - 1) .. "|" .. got[#got])
  end

  it("runs an exit callback registered once the child has exited (asked with alive) after the data callbacks of its output", function()
    local p = pty.sh("echo one; echo two")
    local got = {}
    p:on("data", function(_, chunk) got[#got + 1] = chunk end)
    while p:alive() do end   -- it has exited; the script has not waited: nothing is read
    p:on("exit", function() got[#got + 1] = "exit" end)
    assert.equal(0, #got)
    p:wait(5)
    after_output(got, "one\r\ntwo\r\n")
    p:close()
  end)

  it("runs an exit callback registered while the data callbacks are behind after them", function()
    local p = pty.sh("echo one; echo two")
    local got, open = {}, false
    p:on("data", function(_, chunk)
      while not open do pty.sleep(0.01) end
      got[#got + 1] = chunk
    end)
    p:wait(5)
    pty.sleep(0.05)   -- the exit has been told (to nobody): the chunks wait
    p:on("exit", function() got[#got + 1] = "exit" end)
    open = true
    after_output(got, "one\r\ntwo\r\n")
    p:close()
  end)

  it("with pty = false, runs exit callbacks after the data callbacks of what the child wrote on stderr", function()
    for _ = 1, 20 do
      local p = pty.sh("echo out; echo err >&2", { pty = false })
      local got, out, err = {}, "", ""
      p:on("data", function(_, chunk, fd)
        if fd == 1 then out = out .. chunk else err = err .. chunk end
        got[#got + 1] = ""
      end)
      p:on("exit", function() got[#got + 1] = "exit" end)
      p:wait(5)
      after_output(got, "")
      assert.same({ "out\n", "err\n" }, { out, err })
      p:close()
    end
  end)

  it("p:wait returns once the exit callbacks have run, also when it is the first to see the exit", function()
    local p = pty.spawn("cat")
    local got
    p:on("exit", function(_, ok, how, n) got = { ok, how, n } end)
    p:kill("KILL")
    while p:alive() do end   -- it has exited before wait looks
    assert.same({ nil, "signal", 9 }, { p:wait(5) })
    assert.same({ nil, "signal", 9 }, got)
    p:close()
  end)

  it("writes a transcript as the output comes, while a data callback is behind", function()
    local path = os.tmpname()
    local p = pty.spawn{ "cat", echo = false }
    p:log(path)
    local open = false
    p:on("data", function() while not open do pty.sleep(0.01) end end)
    p:sendline("one")
    p:expect_exact("one\r\n", 5)
    p:sendline("two")
    p:expect_exact("two\r\n", 5)
    local f = assert(io.open(path, "rb"))
    local got = f:read("a")
    f:close()
    open = true
    p:close()
    os.remove(path)
    assert.equal("one\r\ntwo\r\n", got)
  end)

  it("goes on with a process's data callbacks after one of them failed (plain Lua)", function()
    if pty.in_command then return pending("plain Lua only: in the command this ends the script") end
    local p = pty.spawn{ "cat", echo = false }
    local seen = {}
    p:on("data", function(_, chunk)
      pty.sleep(0.01)
      for line in chunk:gmatch("(%w+)\r\n") do
        if line == "bad" then error("callback rejected") end
        seen[#seen + 1] = line
      end
    end)
    p:sendline("good")
    p:expect_exact("good\r\n", 5)
    p:sendline("bad")
    p:expect_exact("bad\r\n", 5)
    local ok, e = pcall(pty.sleep, 0.5)
    assert.is_false(ok)
    assert.matches("callback rejected", e)
    p:sendline("after")
    p:expect_exact("after\r\n", 5)
    local t0 = pty.now()
    while #seen < 2 and pty.now() - t0 < 5 do pty.sleep(0.01) end
    assert.same({ "good", "after" }, seen)
    p:close()
  end)

  it("rejects unknown events and non-functions", function()
    local p = pty.spawn("cat")
    assert.has_error(function() p:on("output", function() end) end)
    local ok, err = pcall(p.on, p, "data", 42)
    assert.is_false(ok)
    assert.matches("on: expected a function, got number", err)
    p:close()
  end)
end)

describe("errors in callbacks", function()
  it("an error in an on(\"data\") callback reaches the waiting caller; the data stays for expect", function()
    -- Outside the command only: there (make check-asan runs busted inside
    -- it) an error in a task nobody waits for ends the script by design,
    -- which "script errors, run by the command" below checks.
    if pty.in_command then return pending("plain Lua only: in the command this ends the script") end
    local p = pty.spawn{ "cat", echo = false }
    local line
    p:on("data", function(_, chunk)
      if chunk:find("bad") then line = debug.getinfo(1, "l").currentline; error("callback rejected") end
    end)
    p:sendline("good")
    p:expect_exact("good\r\n", 5)
    p:sendline("bad")
    local ok, e = pcall(p.expect, p, "never", 5)
    assert.is_false(ok)
    assert.equal(SRC .. ":" .. line .. ": callback rejected", e)
    p:sendline("after")
    local m = p:expect_exact("after", 5)
    assert.equal("bad\r\n", m.before)
    p:close()
  end)
end)

describe("script errors, run by the command", function()
  it("an error in an on(\"data\") callback: status 1, file:line and traceback", function()
    local r = run([[
local p = spawn{"cat", echo = false}
p:on("data", function(p, chunk)
  if chunk:find("bad") then error("callback rejected") end
end)
sendline("good")
expect("good")
sendline("bad")
pty.sleep(5)
print("not reached")
]])
    assert.equal(1, r.code)
    assert.matches(r.path .. ":3: callback rejected", r.stderr, 1, true)
    assert.matches("stack traceback", r.stderr, 1, true)
    assert.is_nil(r.stdout:find("not reached"))
  end)
end)
