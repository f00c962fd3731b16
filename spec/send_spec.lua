-- Sending to a process: send, sendline, sendcontrol and sendeof on a pty
-- and on pipes, and typing (send's delay and human options, sendline's
-- wait_echo).  With the faults of sending: wrong arguments, bytes that
-- are not text, a send after the end, a child that exits or does not read
-- during a large send, a close by another task during a send.  Real
-- programs on real ptys and pipes.
local pty = require "ptyscript"
local H = require "helpers"

-- The python3 binary itself (not a pyenv shim), so children start fast
-- and keep their pid.
local PY = H.sh("python3 -c 'import sys; print(sys.executable)'").stdout:match("[^\n]+")
local SINK = H.fixtures .. "/rel_sink.py"

local raises, victim, intact, fields = H.raises, H.victim, H.intact, H.fields

local function status(p, t)
  return { p:wait(t or 5) }
end

-- Run src with the command (args as its arg); it must exit 0.  Its stdout.
local function output_of(src, args)
  local r = H.run_script(src, args)
  assert.equal(0, r.code, r.stderr)
  return r.stdout
end

-- A raw-mode `cat`: every byte comes back exactly as it was sent (no
-- echo, no line editing, no signals, no flow control, no CR/NL mapping).
local function raw_cat(opts)
  local o = { "sh", "-c", "stty raw -echo -iexten && printf READY && exec cat", name = "rawcat" }
  for k, v in pairs(opts or {}) do o[k] = v end
  local p = pty.spawn(o)
  p:expect_exact("READY", 5)
  return p
end

local ALL256 = (function()
  local t = {}
  for i = 0, 255 do t[#t + 1] = string.char(i) end
  return table.concat(t)
end)()

describe("send", function()
  it("never drops data: ~1 MB sent in one call to cat comes back line by line", function()
    local p = pty.spawn{ "cat", echo = false }
    local N = 8000
    local lines = {}
    for i = 1, N do
      lines[i] = string.format("%06d %s", i, string.rep(string.char(97 + i % 26), 110))
    end
    local data = table.concat(lines, "\n") .. "\n"
    assert.is_true(#data > 900000)
    -- cat echoes while we write: only a loop that reads while a send
    -- waits for the terminal to drain gets through this
    assert.equal(#data, p:send(data))
    local bad, first_bad = 0, nil
    for i = 1, N do
      local l, err = p:readline(10)
      if l ~= lines[i] then
        bad = bad + 1
        first_bad = first_bad or string.format("line %d: %s %s", i, tostring(l), tostring(err))
        if not l then break end
      end
    end
    assert.equal(0, bad, first_bad)
    p:sendeof()
    assert.same({ true, "exit", 0 }, status(p))
    assert.same({ nil, "eof" }, { p:readline(5) })
  end)

  it("never drops data: a task sends 1.2 MB line by line while the caller reads", function()
    local p = pty.spawn{ "cat", echo = false }
    local N = 10000
    local function line(i) return string.format("%06d %s", i, string.rep("z", 110 + i % 7)) end
    local t = pty.go(function()
      local total = 0
      for i = 1, N do total = total + p:sendline(line(i)) end
      p:sendeof()
      return total
    end)
    local n, bad = 0, nil
    while true do
      local l, err = p:readline(10)
      if not l then
        assert.equal("eof", err)
        break
      end
      n = n + 1
      if l ~= line(n) and not bad then bad = n .. ": " .. l end
    end
    assert.is_nil(bad)
    assert.equal(N, n)
    assert.is_true(t:wait(5) > 1200000)
    assert.same({ true, "exit", 0 }, status(p))
  end)

  it("sendline ends the line with \\r on a pty", function()
    local p = pty.sh("stty raw -echo; echo READY; head -c 6 | od -An -c")
    p:expect("READY")
    assert.equal(6, p:sendline("hello"))
    local m = p:expect("(\\S.*\\S)\\s*\\n")
    assert.matches("^h +e +l +l +o +\\r$", m[1])
    assert.same({ true, "exit", 0 }, status(p))
  end)

  it("sendcontrol sends control characters", function()
    local p = pty.sh("stty raw -echo; echo READY; head -c 4 | od -An -tx1")
    p:expect("READY")
    p:sendcontrol("a")
    p:sendcontrol("[")
    p:sendcontrol("D")
    p:sendcontrol("?")
    local m = p:expect("([0-9a-f]{2}) ([0-9a-f]{2}) ([0-9a-f]{2}) ([0-9a-f]{2})")
    assert.same({ "01", "1b", "04", "7f" }, { m[1], m[2], m[3], m[4] })
    assert.is_false(pcall(p.sendcontrol, p, "ab"))
    p:close()
  end)

  it("sendcontrol('c') interrupts cat", function()
    local p = pty.spawn("cat")
    p:sendline("x")
    p:expect("x\r\nx\r\n")   -- the echo and cat's copy: cat is reading
    p:sendcontrol("c")
    assert.same({ nil, "signal", 2 }, status(p))
    assert.equal("INT", p.signal)
    assert.is_nil(p.exitcode)
  end)

  it("sendeof makes cat exit 0", function()
    local p = pty.spawn("cat")
    p:sendline("last")
    p:expect("last\r\nlast\r\n")
    p:sendeof()
    assert.same({ true, "exit", 0 }, status(p))
    assert.equal(0, p.exitcode)
  end)
end)

describe("typing", function()
  it("sends one character at a time with a delay", function()
    local p = pty.spawn{ "cat", echo = false }
    local t0 = pty.now()
    assert.equal(7, p:send("héllo\r", { delay = 0.03 }))   -- bytes; é is two
    assert.equal("héllo", p:expect("(\\S+)\r\n", 5)[1])
    assert.is_true(pty.now() - t0 >= 5 * 0.03 * 0.9)
    assert.has_error(function() p:send("x", { delay = -1 }) end)
    p:close()
  end)

  it("types like a human, slower than a plain send", function()
    local p = pty.spawn{ "cat", echo = false }
    local t0 = pty.now()
    p:send("typed by hand\r", { human = true })
    assert.equal("typed by hand", p:expect("(.+)\r\n", 10)[1])
    assert.is_true(pty.now() - t0 >= 13 * 0.04)
    p:close()
  end)

  it("waits for and consumes the echo with sendline{wait_echo = true}", function()
    local p = pty.spawn("cat")                -- echo on: the line comes back twice
    p:sendline("hello", { wait_echo = true })
    local m = p:expect("hello\r\n", 5)        -- now cat's own copy
    assert.equal("", m.before)
    assert.equal(2, p:expect({ "hello", pty.TIMEOUT }, 0.1).index)   -- no third copy
    p:close()
  end)
end)

describe("send on pipes (pty = false)", function()
  it("ends sendline with \\n and closes stdin on sendeof", function()
    local p = pty.spawn{ "python3", "-u", "-c",
      "import sys\nfor l in sys.stdin: print(l.strip().upper(), flush=True)\nprint('bye')",
      pty = false }
    for i = 1, 20 do
      p:sendline("line " .. i)
      assert.equal("LINE " .. i, p:readline(5))
    end
    p:sendeof()
    assert.equal("bye", p:readline(5))
    assert.same({ nil, "eof" }, { p:readline(5) })
    assert.is_true(p:wait(5))
  end)

  it("writes everything queued before sendeof closes stdin", function()
    -- wc starts reading late: the pipe fills and the rest waits in our queue
    local p = pty.spawn{ "sh", "-c", "sleep 0.2; exec wc -c", pty = false }
    p:send(string.rep("x", 100000))   -- 64 KiB fit in the pipe, the rest is queued
    p:sendeof()
    local m = p:expect("(\\d+)", 10)
    assert.equal("100000", m[1])
    assert.is_true(p:wait(5))
    local ok, err = pcall(p.send, p, "more")
    assert.is_false(ok)
    assert.matches("the pipe was closed", err)
  end)

  it("reports a child that closed its stdin as an error, not SIGPIPE", function()
    local r = H.run_script([[
      local p = pty.spawn{"sh", "-c", "exec 0<&-; sleep 5", pty = false}
      pty.sleep(0.1)
      local ok, err = pcall(p.send, p, "hello\n")
      print(ok, err)
      p:close()
    ]])
    assert.equal(0, r.code)
    assert.matches("false\t.*send to sh %(pid %d+, running%): the child closed its end of the pipe",
      r.stdout)
  end)

  it("a send to a closed pipe fails with EPIPE by name in C, decided on in Lua", function()
    local p = pty.spawn{ "sh", "-c", "exec 0<&-; echo closed; sleep 5", pty = false }
    p:expect_exact("closed", 5)
    local q, msg, name = p._c:send("hello\n")
    assert.is_nil(q)
    assert.equal("send: Broken pipe", msg)
    assert.equal("EPIPE", name)
    p:close()
  end)
end)

describe("send and close in two tasks", function()
  it("wakes a task waiting for its sends to drain when another task closes the process", function()
    -- The send waits for its bytes to drain; the close must end that wait.
    local out = output_of([[
      local p = pty.spawn{"sh", "-c", "trap '' HUP; stty -icanon; sleep 30"}
      local t = pty.go(function()
        local ok, err = pcall(p.send, p, string.rep("x", 1000000))
        return tostring(ok) .. " " .. tostring(err)
      end)
      pty.go(function() pty.sleep(0.3) p:close{grace = 0} end)
      print(t:wait(5))
      os.exit(0)
    ]])
    assert.matches("^false .*send to sh .*not all was written: the terminal was closed\n$", out)
  end)

  it("says the process was closed when another task closes a pipes-mode process during a send", function()
    -- (Before, it blamed sendeof or close_fd, which the script never called.)
    local out = output_of([[
      local p = pty.spawn{"sh", "-c", "trap '' HUP; sleep 30", pty = false}
      local t = pty.go(function()
        local ok, err = pcall(p.send, p, string.rep("x", 1000000))
        return tostring(ok) .. " " .. tostring(err)
      end)
      pty.go(function() pty.sleep(0.3) p:close{grace = 0} end)
      print(t:wait(5))
      os.exit(0)
    ]])
    assert.matches("^false .*send to sh .*not all was written: the process was closed %(close%)\n$", out)
  end)
end)

describe("wrong argument types", function()
  it("to send, sendline and sendcontrol", function()
    local p = victim()
    raises("send: expected a string, got table", function() p:send({}) end)
    raises("send: expected a string, got nil", function() p:send() end)
    raises("send: expected a string, got boolean", function() p:send(true) end)
    raises("send: options must be a table", function() p:send("x", 5) end)
    raises('send: delay must be a number of seconds from 0 to 3600, got the string "x"', function() p:send("xy", { delay = "x" }) end)
    raises("sendline: expected a string, got table", function() p:sendline({}) end)
    raises("sendline: options must be a table", function() p:sendline("x", "secret") end)
    raises('sendcontrol: expected one character such as "c", got nil', function() p:sendcontrol() end)
    raises('sendcontrol: expected one character such as "c", got 1', function() p:sendcontrol(1) end)
    raises('sendcontrol: expected one character such as "c", got the string "ab"', function() p:sendcontrol("ab") end)
    raises('sendcontrol: no control character for "!"', function() p:sendcontrol("!") end)
    intact(p)
  end)

  it("sendline(false) raises instead of sending an empty line", function()
    local p = victim()
    raises("sendline: expected a string, got boolean", function() p:sendline(false) end)
    intact(p)   -- fails on an extra "\r\n" if an empty line went out
  end)
end)

describe("NUL bytes and invalid UTF-8", function()
  -- NUL, 0xff/0xfe, an overlong NUL (C0 80), a UTF-16 surrogate
  -- (ED A0 80), a 5-byte form, a lone continuation byte, a truncated
  -- 3-byte sequence
  local NASTY = "\0\0A\255\254B\192\128C\237\160\128D\248\136\128\128\128E\128F\226\130"

  it("in the input: every byte value and invalid UTF-8 sent through cat come back exact", function()
    local p = raw_cat{ maxbuf = 8 << 20 }
    local data = string.rep(ALL256, 64) .. NASTY .. string.rep(ALL256 .. NASTY, 64)
    assert.equal(#data, p:send(data))
    p:send("<<END>>")
    local m = p:expect(pty.exact("<<END>>"), 10)
    assert.equal(#data, #m.before)
    assert.is_true(m.before == data, "the bytes came back changed")
    -- a multi-byte character and an invalid sequence split across sends,
    -- read back with read() until all arrived
    local pieces = { "\226", "\130\172 euro \0", "\255", "\192", "\128 end" }
    local want = table.concat(pieces)
    for _, s in ipairs(pieces) do p:send(s) end
    local got = {}
    while #table.concat(got) < #want do
      local s, err = p:read(5)
      assert.is_not_nil(s, err)
      got[#got + 1] = s
    end
    assert.equal(want, table.concat(got))
    p:send("\0\255\n")
    assert.equal("\0\255", p:readline(5))
    p:close()
  end)
end)

describe("a 100 MB single line", function()
  local N = 100 * 1000 * 1000

  it("sent through cat is read back completely by read #slow", function()
    local p = raw_cat{ maxbuf = 128 << 20 }
    local data = string.rep(ALL256, N // 256 + 1):sub(1, N)
    local sender = pty.go(function() return p:send(data) end)
    local parts, n = {}, 0
    while n < N do
      local s, err = p:read(30)
      assert.is_not_nil(s, err)
      parts[#parts + 1] = s
      n = n + #s
    end
    assert.equal(N, sender:wait(30))
    local got = table.concat(parts)
    parts = nil
    assert.equal(N, #got)
    assert.is_true(got == data, "the bytes came back changed")
    got, data = nil, nil
    collectgarbage()
    assert.same({ nil, "timeout" }, { p:read(0) })   -- and not a byte more
    p:close()
  end)
end)

describe("use after the end", function()
  it("send after close raises; so do the other calls that need the terminal", function()
    local p = pty.sh("read x; exit 3", { name = "closer" })
    local other = victim()
    assert.same({ nil, "signal", 1 }, { p:close() })   -- hung up while reading
    local pid = p.pid
    local state = "closer (pid " .. pid .. ", killed by SIGHUP) was closed"
    raises("send: " .. state, function() p:send("x") end)
    raises("sendline: " .. state, function() p:sendline("x") end)
    raises("sendcontrol: " .. state, function() p:sendcontrol("c") end)
    raises("sendeof: " .. state, function() p:sendeof() end)
    raises("setwinsize: " .. state, function() p:setwinsize(10, 10) end)
    raises("getwinsize: " .. state, function() p:getwinsize() end)
    raises("interact: " .. state, function() p:interact() end)
    -- the calls that only look give the final answers
    local e = raises("end of output (EOF) waiting for /x/ from closer (pid " .. pid
      .. ", killed by SIGHUP)", function() p:expect("x", 1) end)
    assert.equal("eof", e.kind)
    assert.same({ nil, "eof" }, { p:read(1) })
    assert.same({ nil, "eof" }, { p:readline(1) })
    assert.is_false(p:alive())
    assert.is_false(p:kill("TERM"))
    assert.is_true(p:terminate())
    assert.same({ nil, "signal", 1 }, { p:wait(1) })
    assert.same("HUP", p.signal)
    intact(other)
  end)

  it("send after the child has exited raises (the terminal is gone) instead of dropping the data", function()
    local p = pty.sh("echo bye", { name = "leaver" })
    local m = p:expect(pty.EOF, 5)
    assert.equal("bye\r\n", m.before)
    assert.same({ true, "exit", 0 }, { p:wait(5) })
    local _, msg = raises("send to leaver (pid " .. p.pid .. ", exited 0): ", function() p:send("hello") end)
    assert.matches("terminal is closed", msg, 1, true)
    raises("send to leaver (pid " .. p.pid .. ", exited 0): ", function() p:sendline("hello") end)
    p:close()
  end)
end)

describe("children that exit at any moment", function()
  it("while the script sends a large input: the send ends, output and status are kept", function()
    -- In a fresh process: a send that hangs must not leave a task behind
    -- in busted's loop.  The child reads k bytes of a 4 MiB send (k = 0:
    -- none), says so and exits 5; the send must return or raise (the
    -- terminal is closed), not wait for ever.
    local r = H.run_script([[
for _, k in ipairs({ 0, 1000, 300000 }) do
  local p = pty.sh("stty raw -echo; echo ready; head -c " .. k .. " >/dev/null; echo done-" .. k .. "; exit 5")
  p:expect("ready\n")
  local outcome = "running"
  local t = pty.go(function()
    local ok, err = pcall(p.send, p, string.rep("y", 4 * 1024 * 1024))
    outcome = ok and "returned" or ("raised " .. tostring(err):gsub("\n", " "))
  end)
  local m = p:expect({ "done-" .. k .. "\n", pty.EOF }, 10)
  local st = { p:wait(10) }
  local tw = t:wait(2)
  p:close()
  print(string.format("k%d %s|%s|%s|%s|%s", k, ((m[0] or "EOF"):gsub("\n", "\\n")),
    table.concat({ tostring(st[1]), tostring(st[2]), tostring(st[3]) }, ","),
    outcome, io.open("/proc/" .. p.pid .. "/stat") and "present" or "gone",
    tostring(tw ~= nil or outcome ~= "running")))
end
]], nil, "timeout -s KILL 60 ")
    assert.equal(0, r.code, r.stderr)
    local f = fields(r.stdout)
    for _, k in ipairs({ 0, 1000, 300000 }) do
      local line = f["k" .. k]
      assert.truthy(line, r.stdout)
      local out, st, outcome, zombie = line:match("^(.-)|(.-)|(.-)|(.-)|")
      assert.equal("done-" .. k .. "\\n", out, "the child's output (k = " .. k .. ")")
      assert.equal("nil,exit,5", st, "k = " .. k)
      assert.equal("gone", zombie, "reaped (k = " .. k .. ")")
      assert.is_true(outcome ~= "running",
        "k = " .. k .. ": the send neither returned nor raised after the child exited")
      if outcome ~= "returned" then
        assert.truthy(outcome:find("closed", 1, true) or outcome:find("exited", 1, true), outcome)
      end
    end
  end)
end)

describe("backpressure", function()
  it("50 MB to a child that does not read yet: only the sending task waits, nothing is dropped #slow", function()
    local out = H.tmpname()
    local r = H.run_script([[
local PY, SINK, OUT = ...
local N = 50 * 1024 * 1024
local t0 = pty.now()
local sink = pty.spawn{ PY, SINK, N, OUT, name = "sink" }
sink:expect("ready\n")
-- 128-byte records: a counter, a run of one byte value (all 256 occur,
-- NUL, ^C, ^D, ^S, \r, \n included), and control bytes
local parts = {}
for i = 0, N // 128 - 1 do
  parts[#parts + 1] = string.format("%015d", i) .. string.rep(string.char(i % 256), 109) .. "\0\r\n\3"
end
local data = table.concat(parts)
parts = nil
assert(#data == N)
local sent_at, go_at
local a = pty.go(function()
  local n = sink:send(data)
  sent_at = pty.now()
  return n
end)
-- meanwhile another task talks to another process, 100 round trips
local b = pty.go(function()
  local c = pty.spawn{ "cat", echo = false }
  for i = 1, 100 do
    c:sendline("tick " .. i)
    c:expect("tick (\\d+)\r\n")
  end
  c:close()
  return 100
end)
print("ticks " .. tostring(b:wait(30)))
print("send_done_before_go " .. tostring(sent_at ~= nil))
go_at = pty.now()
sink:kill("USR1")
local n = a:wait(60)
print("sent " .. n)
print("sent_after_go " .. tostring(sent_at ~= nil and sent_at >= go_at))
print("got " .. sink:expect("got (\\d+)", 60)[1])
print("status " .. table.concat({ tostring((sink:wait(10))), sink.exitcode or -1 }, ","))
local f = io.open(OUT, "rb")
local got = f:read("a")
f:close()
print("size " .. #got)
print("equal " .. tostring(got == data))
print(string.format("took %.2f", pty.now() - t0))
]], { PY, SINK, out }, "timeout -s KILL 120 ")
    os.remove(out)
    assert.equal(0, r.code, r.stderr)
    local f = fields(r.stdout)
    assert.equal("100", f.ticks, r.stdout)
    assert.equal("false", f.send_done_before_go, "the send returned before the child read anything")
    assert.equal("52428800", f.sent)
    assert.equal("true", f.sent_after_go, "the send returned before the child started reading")
    assert.equal("52428800", f.got, "bytes the child received")
    assert.equal("52428800", f.size)
    assert.equal("true", f.equal, "the bytes the child received differ from those sent")
    assert.equal("true,0", f.status)
    print(string.format("\n  50 MB with backpressure: %s s", f.took))
  end)
end)
