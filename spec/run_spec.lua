-- pty.run, pexpect's run: a command (a shell command line, or {prog,
-- arg...}) run to its end on a terminal, answered by its events as their
-- patterns appear, its whole output and exit status returned.  At the
-- timeout the child and what it left running are killed before the
-- error is raised.  With the faults: wrong arguments and options, bad
-- events, a response function that fails or returns nonsense.  Real
-- programs on real ptys.
local pty = require "ptyscript"
local H = require "helpers"

local raises = H.raises

-- Whether none of the pids (numbers, as a file's lines) exists any more.
local function all_gone(path)
  local f = assert(io.open(path))
  local pids = {}
  for pid in f:read("a"):gmatch("%d+") do pids[#pids + 1] = pid end
  f:close()
  assert.is_true(#pids > 0)
  return H.eventually(function()
    for _, pid in ipairs(pids) do
      if H.exists(pid) then return false end
    end
    return true
  end, 5)
end

describe("pty.run", function()
  it("runs a command line through sh: its output to EOF and its exit status", function()
    local out, status, how = pty.run("echo hi; echo there; exit 3")
    assert.equal("hi\r\nthere\r\n", out)
    assert.equal(3, status)
    assert.equal("exit", how)
    assert.same({ "", 0, "exit" }, { pty.run("true") })
  end)

  it("runs an argv table without a shell", function()
    assert.same({ "a-b", 0, "exit" }, { pty.run{ "printf", "%s-%s", "a", "b" } })
    assert.same({ "$HOME 7\r\n", 0, "exit" }, { pty.run{ "echo", "$HOME", 7 } })
  end)

  it("gives a signal's number with \"signal\", as p:wait does", function()
    assert.same({ "", 15, "signal" }, { pty.run("kill -TERM $$") })
    assert.same({ "x\r\n", 9, "signal" }, { pty.run{ "sh", "-c", "echo x; kill -KILL $$" } })
  end)

  it("runs the command on a terminal", function()
    local out = pty.run("if [ -t 0 ] && [ -t 1 ]; then stty size; fi", { rows = 30, cols = 90 })
    assert.equal("30 90\r\n", out)
  end)

  it("reads everything to the end, more than the match window (maxbuf) too", function()
    for _, maxbuf in ipairs{ false, 4096 } do
      local out, status = pty.run({ "seq", "1", "50000" }, { maxbuf = maxbuf or nil })
      assert.equal(0, status)
      local want = {}
      for i = 1, 50000 do want[i] = i .. "\r\n" end
      assert.is_true(table.concat(want) == out, "not the whole output, with maxbuf " .. tostring(maxbuf))
    end
    -- with events answered between floods
    local out = pty.run("seq 1 20000; printf 'More? '; read a; seq 20001 40000", { maxbuf = 4096,
      echo = false, events = { { "More\\? $", "y\r" } } })
    local n = 0
    for line in out:gmatch("(%d+)\r\n") do n = n + 1 end
    assert.equal(40000, n)
    assert.truthy(out:find("\r\n20000\r\nMore? 20001\r\n", 1, true))
  end)

  it("answers events with strings as their patterns appear; the echo is in the output", function()
    local out, status = pty.run("printf 'Continue? '; read a; echo \"got $a\"; exit 4",
      { events = { { "Continue\\? $", "yes\r" } } })
    assert.equal("Continue? yes\r\ngot yes\r\n", out)
    assert.equal(4, status)
  end)

  it("answers each prompt as often as it comes, without echo with echo = false", function()
    local out = pty.run("for i in 1 2 3; do printf 'Name? '; read a; echo \"hi $a\"; done; "
      .. "printf 'Password: '; read p; echo \"pw ${#p}\"",
      { echo = false, events = { { "Name\\? ", "ada\r" }, { pty.exact("Password: "), "secret\r" } } })
    assert.equal("Name? hi ada\r\nName? hi ada\r\nName? hi ada\r\nPassword: pw 6\r\n", out)
  end)

  it("tries the events in their order: at the same byte the first listed wins", function()
    local out = pty.run("printf 'abc? '; read a; echo \"got $a\"", { echo = false,
      events = { { "abc\\? ", "first\r" }, { "abc", "second\r" } } })
    assert.equal("abc? got first\r\n", out)
  end)

  it("calls a response function with the match and the process", function()
    local seen = {}
    local out = pty.run("printf 'x=4? '; read a; printf 'y=5? '; read b; echo \"sum $((a + b))\"",
      { echo = false, events = { { "(\\w)=(\\d)\\? ", function(m, p)
        seen[#seen + 1] = m[1] .. m[2] .. " " .. m.before .. "|" .. tostring(p.pid > 0)
        if m[1] == "x" then return tostring(m[2] * 10) .. "\r" end
        p:sendline("1")        -- (sent by the function itself)
        return nil
      end } } })
    assert.equal("x=4? y=5? sum 41\r\n", out)
    assert.same({ "x4 |true", "y5 |true" }, seen)
  end)

  it("sends nothing when the response function returns false", function()
    local out = pty.run("echo one; echo two", { events = { { "one", function() return false end } } })
    assert.equal("one\r\ntwo\r\n", out)
  end)

  it("stops when a response function returns true: the child is closed, its status returned", function()
    local pids = H.tmpname()
    local out, status, how = pty.run("echo $$ > " .. H.q(pids) .. "; sleep 60 & echo $! >> "
      .. H.q(pids) .. "; echo ready; wait", { events = { { "ready\\r\\n", function() return true end } } })
    assert.equal("ready\r\n", out)
    assert.equal(1, status)   -- SIGHUP, as p:close hangs up
    assert.equal("signal", how)
    assert.is_true(all_gone(pids))
    os.remove(pids)
  end)

  it("drops a response the child can no longer read (it closed its terminal): the run goes on", function()
    -- the last line matches, and the child exits before the answer is sent
    -- (a race, lost now and then: tried often)
    for _ = 1, 20 do
      assert.same({ "Password: ", 0, "exit" }, { pty.run("printf 'Password: '; exit 0",
        { echo = false, events = { { "Password: ", "secret\r" } } }) })
    end
    -- and deterministically: the function sees the EOF, then answers
    local out, status, how = pty.run("printf 'Continue? '; exit 5", { events = { { "Continue\\? ",
      function(_, p)
        p:expect(pty.EOF)
        return "yes\r"
      end } } })
    assert.same({ "Continue? ", 5, "exit" }, { out, status, how })
  end)

  it("passes env, cwd, term and name to spawn", function()
    local out = pty.run("echo \"$FOO $TERM\"; pwd", { env = { FOO = "bar" }, cwd = "/tmp",
      term = "vt100", name = "greeter" })
    assert.equal("bar vt100\r\n/tmp\r\n", out)
  end)

  it("leaves the current process of the shorthands alone", function()
    local p = pty.spawn("cat")
    pty.run("true")
    assert.equal(p, pty.current())
    p:close()
  end)

  it("raises at its timeout after killing the child and what it left running", function()
    local pids = H.tmpname()
    local cmd = "echo $$ > " .. H.q(pids) .. "; sleep 60 & echo $! >> " .. H.q(pids)
      .. "; echo started; wait"
    local t0 = pty.now()
    local ok, e = pcall(pty.run, cmd, { timeout = 0.5 })
    local took = pty.now() - t0
    assert.is_false(ok)
    assert.equal(pty.Error, getmetatable(e))
    assert.equal("timeout", e.kind)
    assert.equal(0.5, e.timeout)
    assert.equal("started\r\n", e.before)
    assert.is_false(e.process:alive())
    local msg = tostring(e)
    assert.matches("^spec/run_spec.lua:%d+: run: timeout %(0.5s%) running ", msg)
    assert.matches(string.format("running \"%s...\" (pid %d): it was killed\n  last output: "
      .. "\"started\\r\\n\"", cmd:sub(1, 40), e.process.pid), msg, 1, true)
    assert.is_true(took >= 0.49 and took < 3, took)
    assert.is_true(all_gone(pids))
    os.remove(pids)
  end)

  it("names an argv command in the timeout's message, and counts the time after EOF too", function()
    local argv = { "sh", "-c", "echo bye; exec sleep 60 </dev/null >/dev/null 2>&1" }
    local ok, e = pcall(pty.run, argv, { timeout = 0.3 })
    assert.is_false(ok)
    assert.equal("timeout", e.kind)
    assert.equal("bye\r\n", e.before)
    assert.matches(string.format('run: timeout (0.3s) running "%s..." (pid %d): it was killed',
      table.concat(argv, " "):sub(1, 40), e.process.pid), tostring(e), 1, true)
    assert.is_false(H.exists(e.process.pid))
  end)

  it("keeps its timeout while a response waits to be written (the child reads no more)", function()
    local pids = H.tmpname()
    local t0 = pty.now()
    local ok, e = pcall(pty.run, "echo $$ > " .. H.q(pids) .. "; stty -icanon -echo; printf 'Q? '; "
      .. "exec sleep 10", { timeout = 0.5, events = { { "Q\\? ", string.rep("x", 200000) } } })
    local took = pty.now() - t0
    assert.is_false(ok)
    assert.equal(pty.Error, getmetatable(e), tostring(e))
    assert.equal("timeout", e.kind)
    assert.equal("Q? ", e.before)
    assert.is_true(took >= 0.49 and took < 3, took)
    assert.is_true(all_gone(pids))
    os.remove(pids)
  end)

  it("keeps secrets out of its timeout message: quotes and bytes escaped, cut by the window", function()
    -- a secret the message escapes (a quote, UTF-8), sent by a function
    local pw = "r\195\164n-\"quoted\"-pw"
    local ok, e = pcall(pty.run, "printf 'Password: '; read p; echo \"[$p]\"; exec sleep 10",
      { timeout = 0.3, events = { { "Password: ", function(_, p) p:send(pw .. "\r", { secret = true }) end } } })
    assert.is_false(ok)
    local msg = tostring(e)
    assert.truthy(msg:find('last output: "Password: ***\\r\\n[***]\\r\\n"', 1, true), msg)
    assert.falsy(msg:find("quoted", 1, true), msg)
    -- a secret the last 200 bytes cut in two
    local pw2 = "cut-in-two-4f7b2e9a"
    ok, e = pcall(pty.run, "printf 'Password: '; read p; echo \"$p\"; printf '%0190d' 0; exec sleep 10",
      { timeout = 0.3, echo = false, events = { { "Password: ", function(_, p) p:send(pw2 .. "\r", { secret = true }) end } } })
    assert.is_false(ok)
    msg = tostring(e)
    assert.truthy(msg:find('***\\r\\n000', 1, true), msg)
    assert.falsy(msg:find("2e9a", 1, true), msg)
    -- a secret in the command line, cut by the 40 bytes shown of it
    local pw3 = "cmdline-secret-81c3d5"
    local p = pty.spawn{ "cat", echo = false }
    p:sendline(pw3, { secret = true })   -- (registered)
    p:close()
    ok, e = pcall(pty.run, "exec sleep 10; echo xxxxxxxxxxxxxx " .. pw3, { timeout = 0.2 })
    assert.is_false(ok)
    msg = tostring(e)
    assert.truthy(msg:find('running "exec sleep 10; echo xxxxxxxxxxxxxx ***"', 1, true), msg)
    assert.falsy(msg:find("cmdl", 1, true), msg)
  end)

  it("sends an event's response as a secret with secret = true: *** in traces, transcripts and messages", function()
    local dir = H.tmpdir()
    local log = dir .. "/run.log"
    -- the child echoes the password (echo on), and the timeout's message
    -- shows the output: everywhere it is ***
    local r = H.run_script([[
      local out = pty.run("printf 'Password: '; read p; echo \"got $p\"; exec sleep 10", { timeout = 1,
        events = { { "Password: ", "pw-7c1e9d42\r", secret = true } } })
    ]], { }, "")
    assert.equal(1, r.code)
    assert.falsy(r.stderr:find("7c1e9d42", 1, true), r.stderr)
    assert.truthy(r.stderr:find("got ***", 1, true), r.stderr)
    local script = H.script([[
      local out, status = pty.run("printf 'Password: '; read p; echo \"${#p}\"",
        { events = { { "Password: ", function() return "pw-0b5a3f17\r" end, secret = true } } })
      assert(status == 0 and out:find("11\r\n", 1, true), out)
    ]])
    r = H.run({ "--trace", "--log", log, script })
    os.remove(script)
    assert.equal(0, r.code, r.stderr)
    assert.truthy(r.stderr:find('send to sh: "***"', 1, true), r.stderr)
    assert.falsy(r.stderr:find("0b5a3f17", 1, true), r.stderr)
    local text = H.read(log)
    assert.truthy(text:find("Password: ***", 1, true), text)
    assert.falsy(text:find("0b5a3f17", 1, true), text)
    -- secret must be a boolean; a password put there by mistake is not shown
    local ok, err = pcall(pty.run, "true", { events = { { "Password: ", "x\r", secret = "pw-91d0" } } })
    assert.is_false(ok)
    assert.truthy(err:find("run: the secret of event 1 must be true or false, got a string", 1, true), err)
    assert.falsy(err:find("pw-91d0", 1, true), err)
  end)

  it("kills the child when a response function fails", function()
    local pids = H.tmpname()
    local ok, err = pcall(pty.run, "echo $$ > " .. H.q(pids) .. "; echo ready; exec sleep 60",
      { events = { { "ready", function() error("no answer", 0) end } } })
    assert.is_false(ok)
    assert.equal("no answer", err)
    assert.is_true(all_gone(pids))
    os.remove(pids)
  end)

  it("is in the command's pty too", function()
    local r = H.run_script([[local out, n, how = pty.run("echo hi; exit 2") io.write(out, n, how)]])
    assert.equal("hi\r\n2exit", r.stdout)
  end)

  it("raises on bad commands and options, naming what was wrong", function()
    raises("run: expected a command line string or a table {prog, arg...}, got nil", function() pty.run() end)
    raises("run: expected a command line string or a table {prog, arg...}, got 5", function() pty.run(5) end)
    raises("run: no program given", function() pty.run({}) end)
    raises("run: the argument list has holes", function() pty.run({ [1] = "echo", [3] = "x" }) end)
    raises('run: the command table holds the program and its arguments only (options go in the second argument): it has the key "timeout"', function() pty.run({ "echo", timeout = 1 }) end)
    raises("run: argument 2 must be a string, got table", function() pty.run({ "echo", {} }) end)
    raises("run: options must be a table such as {timeout = 10}", function() pty.run("true", "x") end)
    raises('run: unknown option "colour"', function() pty.run("true", { colour = true }) end)
    raises('run: option "pty" is pty.spawn\'s: run reads the terminal\'s output to its end', function() pty.run("true", { pty = false }) end)
    raises('run: option "screen" is pty.spawn\'s: run reads the terminal\'s output to its end', function() pty.run("true", { screen = true }) end)
    raises("run: timeout must be a number of seconds >= 0 (got -1)", function() pty.run("true", { timeout = -1 }) end)
    raises('run: timeout must be a number of seconds >= 0 (got the string "5")', function() pty.run("true", { timeout = "5" }) end)
    raises('run: echo must be true or false, got the string "no"', function() pty.run("true", { echo = "no" }) end)
    raises("run: env must be a table, got 5", function() pty.run("true", { env = 5 }) end)
    raises("run: cwd must be a string, got 5", function() pty.run("true", { cwd = 5 }) end)
    raises("spawn no-such-program-here: No such file or directory (not found in PATH)", function() pty.run({ "no-such-program-here" }) end)
  end)

  it("raises on bad events before anything starts", function()
    raises("run: events must be a list of {pattern, response} pairs, got 5", function() pty.run("true", { events = 5 }) end)
    raises('run: events is a list of {pattern, response} pairs, in order (a table\'s keys have no order): it has the key "Password: "', function() pty.run("true", { events = { ["Password: "] = "x\r" } }) end)
    raises("run: events has a hole (a nil before event 2)", function() pty.run("true", { events = { [2] = { "a", "b" } } }) end)
    raises("run: events is a list of {pattern, response} pairs numbered from 1: it has the key 0", function() pty.run("true", { events = { [0] = { "a", "b" }, { "c", "d" } } }) end)
    raises('run: event 1 must be a {pattern, response} pair, got the string "a"', function() pty.run("true", { events = { "a" } }) end)
    raises("run: the pattern of event 1 must be a string (regex), pty.exact() or pty.re(), got 5", function() pty.run("true", { events = { { 5, "x" } } }) end)
    raises("run: the pattern of event 1 must be a string (regex), pty.exact() or pty.re(), got pty.EOF", function() pty.run("true", { events = { { pty.EOF, "x" } } }) end)
    raises("run: invalid pattern /(/: missing closing parenthesis at offset 1", function() pty.run("true", { events = { { "(", "x" } } }) end)
    raises("run: the response of event 2 must be a string or a function, got 5", function() pty.run("true", { events = { { "a", "b" }, { "c", 5 } } }) end)
    raises("run: the response of event 1 must be a string or a function, got nil", function() pty.run("true", { events = { { "a" } } }) end)
    -- a pattern that matches the empty string would match again and again
    raises("run: the pattern of event 1, /x*/, matches the empty string: it would match again and again", function() pty.run("true", { events = { { "x*", "y" } } }) end)
    raises("run: the pattern of event 2, /^/m, matches the empty string: it would match again and again", function() pty.run("true", { events = { { "a", "b" }, { pty.re("^", "m"), "y" } } }) end)
    raises('run: the pattern of event 1, "", matches the empty string: it would match again and again', function() pty.run("true", { events = { { pty.exact(""), "y" } } }) end)
  end)

  it("raises on a response function's bad result and on an empty match, killing the child", function()
    local before = {}
    for _, pid in ipairs(H.children()) do before[pid] = true end   -- earlier specs'
    raises("run: the response function of event 1 returned 5; expected a string to send, nil or false (nothing) or true (stop)", function() pty.run("echo a; exec sleep 60", { events = { { "a", function() return 5 end } } }) end)
    raises("run: the pattern of event 1, /(?=a)/, matched nothing (an empty match): it would match again and again", function() pty.run("echo a; exec sleep 60", { events = { { "(?=a)", "y" } } }) end)
    local left = {}
    for _, pid in ipairs(H.children()) do
      if not before[pid] then left[#left + 1] = pid end
    end
    assert.same({}, left)   -- (both were killed and reaped)
  end)
end)
