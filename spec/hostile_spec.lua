-- Hostile and wrong input: every bad call raises at
-- once (no crash, no hang, no silent wrong value), names what was wrong
-- and the caller's file:line, and loses nothing: the session it was made
-- on still has its unread output and still answers afterwards.  Bytes
-- that are not text (NUL, invalid UTF-8, a 100 MB line) pass through
-- untouched.  Everything runs against real programs on real ptys.
local pty = require "ptyscript"
local H = require "helpers"

local SRC = debug.getinfo(1, "S").short_src   -- this file, as messages name it
local NAN = 0 / 0

-- Scripts run by the command are bounded in time: a hang fails the test
-- (status 124, or 137 if TERM did not end it) instead of hanging the suite.
local BOUND = "timeout -k 2 20 "

------------------------------------------------------------------------
-- Helpers

-- Run f (a closure written on ONE line), expect it to raise, and check
-- that the message starts with this file, the closure's line and `text`
-- (plain text).  Returns the error value and its message.
local function check(text, f)
  local line = debug.getinfo(f, "S").linedefined
  local ok, e = pcall(f)
  if ok then return nil, nil, "no error raised, expected: " .. text end
  local msg = tostring(e)
  local want = SRC .. ":" .. line .. ": " .. text
  if msg:sub(1, #want) ~= want then
    return e, msg, "expected a message starting with\n  " .. want .. "\ngot\n  " .. msg
  end
  return e, msg
end

local function raises(text, f)
  local e, msg, wrong = check(text, f)
  assert(not wrong, wrong)
  return e, msg
end

-- A `cat` session with unread output left in its buffer: " BBB\r\n" has
-- arrived (the lookahead proves it) but is not consumed.
local function victim(opts)
  local o = { "cat", echo = false, name = "victim" }
  for k, v in pairs(opts or {}) do o[k] = v end
  local p = pty.spawn(o)
  p:sendline("AAA BBB")
  p:expect("AAA(?= BBB\\r\\n)", 5)
  return p
end

-- The session lost nothing: the unread " BBB\r\n" is still there, byte
-- for byte, and it still answers.
local tags = 0
local function intact(p)
  assert.is_true(p:alive())
  local m = p:expect_exact("BBB", 5)
  assert.equal(" ", m.before)
  tags = tags + 1
  local tag = "still-here-" .. tags
  p:sendline(tag)
  m = p:expect_exact(tag, 5)
  assert.equal("\r\n", m.before)      -- the rest of the AAA BBB line, nothing else
  p:close()
end

local children = H.children

-- The process is gone: not running, not a zombie.
local function gone(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return true end
  f:close()
  return false
end

local tmpdir = H.tmpdir

-- Run a script with the command (stdin given or /dev/null), bounded.
local function run(src, stdin, bound)
  local path = H.script(src)
  local r = H.sh((bound or BOUND) .. H.q(H.bin) .. " " .. H.q(path), stdin)
  r.path = path
  os.remove(path)
  return r
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

------------------------------------------------------------------------
describe("an invalid regex", function()
  it("raises PCRE2's message and offset at the caller's line, and consumes nothing", function()
    local p = victim()
    raises("expect: invalid pattern /a(b/: missing closing parenthesis at offset 3", function() p:expect("a(b", 5) end)
    raises("re: invalid pattern /[z-a]/: range out of order in character class at offset 3", function() pty.re("[z-a]") end)
    raises("expect: invalid pattern /x{2,1}/: numbers out of order in {} quantifier at offset 5", function() p:expect({ "BBB", "x{2,1}" }, 5) end)
    raises("expect: invalid pattern /\\/: \\ at end of pattern at offset 1", function() p:expect("\\", 5) end)
    raises("re: invalid pattern /a{70000}/: number too big in {} quantifier at offset 7", function() pty.re("a{70000}") end)
    raises("re: unknown pattern flag 'q' (flags are i, m, s, x)", function() pty.re("a", "q") end)
    -- the same bad pattern a second time (the compile cache must not
    -- remember a failure as a success)
    raises("expect: invalid pattern /a(b/: missing closing parenthesis at offset 3", function() p:expect("a(b", 5) end)
    intact(p)
  end)

  it("reports invalid UTF-8 in a pattern with PCRE2's UTF-8 error, the bytes escaped", function()
    local p = victim()
    local _, msg = raises("expect: invalid pattern /a\\xff/: UTF-8 error: illegal byte (0xfe or 0xff) at offset 1", function() p:expect("a\255", 5) end)
    assert.is_nil(msg:find("[\128-\255]"), "raw bytes in the message: " .. msg)
    _, msg = raises("re: invalid pattern /\\xc0\\x80/: UTF-8 error: overlong 2-byte sequence at offset 0", function() pty.re("\192\128") end)
    assert.is_nil(msg:find("[\128-\255]"), "raw bytes in the message: " .. msg)
    intact(p)
  end)

  it("raises a clear error, naming the pattern, when a pattern backtracks past PCRE2's match limit", function()
    -- hostile output for a careless pattern: exponential backtracking
    local p = pty.sh("printf '" .. string.rep("a", 40) .. "b\\n'; printf 'AAA BBB\\n'; exec cat",
      { echo = false, name = "victim" })
    local _, msg = raises("expect: ", function() p:expect("(a+)+c", 5) end)
    assert.matches("(a+)+c", msg, 1, true)
    assert.matches("match limit", msg, 1, true)
    -- nothing consumed, the session goes on
    p:expect("AAA(?= BBB\\r\\n)", 5)
    intact(p)
  end)
end)

------------------------------------------------------------------------
describe("wrong argument types", function()
  it("to pty.spawn and pty.sh", function()
    local p = victim()
    raises("spawn: no program given", function() pty.spawn() end)
    raises("spawn: no program given", function() pty.spawn{} end)
    raises("spawn: no program given", function() pty.spawn{ cwd = "/" } end)
    raises("spawn: argument 1 must be a string, got boolean", function() pty.spawn(true) end)
    raises("spawn: argument 2 must be a string, got table", function() pty.spawn{ "cat", {} } end)
    raises("spawn: argument 2 must be a string, got function", function() pty.spawn("cat", print) end)
    raises("spawn: argument 2 contains a NUL byte", function() pty.spawn("echo", "a\0b") end)
    raises("spawn: argument 1 contains a NUL byte", function() pty.spawn("ca\0t") end)
    raises("spawn: the argument list has holes", function() pty.spawn{ "echo", nil, "x" } end)
    raises("spawn: give either a table or strings, not both", function() pty.spawn({ "cat" }, "x") end)
    raises('spawn: unknown option "colls"', function() pty.spawn{ "cat", colls = 80 } end)
    raises("spawn: cwd must be a string", function() pty.spawn{ "cat", cwd = 5 } end)
    raises("spawn: name must be a string", function() pty.spawn{ "cat", name = {} } end)
    raises("spawn: term must be a string", function() pty.spawn{ "cat", term = 5 } end)
    raises("spawn: env must be a table", function() pty.spawn{ "cat", env = "A=b" } end)
    raises("spawn: maxbuf must be an integer from 1 to", function() pty.spawn{ "cat", maxbuf = 0 } end)
    raises("spawn: maxbuf must be an integer from 1 to", function() pty.spawn{ "cat", maxbuf = "big" } end)
    raises("sh: expected a command line string, got nil", function() pty.sh() end)
    raises("sh: expected a command line string, got table", function() pty.sh{ "echo" } end)
    raises("sh: options must be a table", function() pty.sh("echo", 5) end)
    raises('sh: unknown option "ech"', function() pty.sh("echo", { ech = false }) end)
    intact(p)
  end)

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

  it("to expect and expect_exact", function()
    local p = victim()
    local PATS = "; expected a string (regex), pty.exact(), pty.re(), pty.EOF or pty.TIMEOUT"
    raises("expect: pattern is a nil" .. PATS, function() p:expect() end)
    raises("expect: pattern is a number" .. PATS, function() p:expect(5) end)
    raises("expect: pattern is a boolean" .. PATS, function() p:expect(true) end)
    raises("expect: pattern is a function" .. PATS, function() p:expect(print) end)
    raises("expect: pattern 2 is a number" .. PATS, function() p:expect({ "BBB", 5 }) end)
    raises("expect: the pattern list is empty", function() p:expect({}) end)
    raises('expect: timeout must be a number of seconds >= 0 (got the string "x")', function() p:expect("BBB", "x") end)
    raises("expect: timeout must be a number of seconds >= 0 (got -1)", function() p:expect("BBB", -1) end)
    raises("expect: timeout must be a number of seconds >= 0 (got ", function() p:expect("BBB", NAN) end)
    raises("expect: timeout must be a number of seconds >= 0 (got -1)", function() p:expect({ "BBB", pty.EOF }, -1) end)
    raises("expect_exact: pattern is a nil" .. PATS, function() p:expect_exact() end)
    raises("expect_exact: pattern is a number" .. PATS, function() p:expect_exact(5) end)
    raises("expect_exact: pattern 2 is a number" .. PATS, function() p:expect_exact({ "BBB", 5 }) end)
    raises("expect_exact: the pattern list is empty", function() p:expect_exact({}) end)
    -- keys are no names for patterns: the message shows the list form and named groups
    local KEYED = ': a list is {pat1, pat2, ...}, in order (m.index says which matched); to name the arms, use named groups in one pattern, '
    raises('expect: the pattern list has the keys "err", "ok"' .. KEYED .. '"(?<err>...)|(?<ok>...)", and test m.err, m.ok', function() p:expect({ ok = "BBB", err = "ERR" }) end)
    raises('expect: the pattern list has the key "done"' .. KEYED .. '"(?<done>...)", and test m.done', function() p:expect({ "BBB", done = "x" }) end)
    raises('expect: the pattern list has the key "a b"' .. KEYED .. '"(?<name>...)", and test m.name', function() p:expect({ ["a b"] = "x" }) end)
    raises('expect_exact: the pattern list has the key "ok"' .. KEYED .. '"(?<ok>...)", and test m.ok', function() p:expect_exact({ ok = "BBB" }) end)
    raises("expect: the pattern list has a hole (a nil before pattern 3)", function() p:expect({ [1] = "BBB", [3] = "x" }) end)
    raises('expect_exact: timeout must be a number of seconds >= 0 (got the string "x")', function() p:expect_exact("BBB", "x") end)
    intact(p)
  end)

  it("to read, readline, wait, kill, close, setwinsize, on and interact", function()
    local p = victim{ rows = 30, cols = 100 }
    raises('read: timeout must be a number of seconds >= 0 (got the string "x")', function() p:read("x") end)
    raises("read: timeout must be a number of seconds >= 0 (got -1)", function() p:read(-1) end)
    raises('readline: timeout must be a number of seconds >= 0 (got the string "x")', function() p:readline("x") end)
    raises("readline: timeout must be a number of seconds >= 0 (got ", function() p:readline(NAN) end)
    raises('wait: timeout must be a number of seconds >= 0 (got the string "x")', function() p:wait("x") end)
    raises("wait: timeout must be a number of seconds >= 0 (got -1)", function() p:wait(-1) end)
    -- kill, close
    local SIGS = ' (use a name such as "TERM", "INT", "HUP", "KILL" or a number)'
    raises("kill: unknown signal FOO" .. SIGS, function() p:kill("FOO") end)
    raises("kill: unknown signal 0" .. SIGS, function() p:kill(0) end)
    raises("kill: unknown signal 1.5" .. SIGS, function() p:kill(1.5) end)
    raises("kill: unknown signal 100" .. SIGS, function() p:kill(100) end)
    raises("kill: unknown signal 9x" .. SIGS, function() p:kill("9x") end)
    raises("kill: unknown signal table", function() p:kill({}) end)
    raises("close: options must be a table such as {grace = 1}", function() p:close(5) end)
    raises('close: grace must be a number of seconds >= 0, got the string "x"', function() p:close{ grace = "x" } end)
    raises("close: grace must be a number of seconds >= 0, got -1", function() p:close{ grace = -1 } end)
    raises("close: grace must be a number of seconds >= 0, got ", function() p:close{ grace = NAN } end)
    -- setwinsize
    raises("setwinsize: expected rows and cols", function() p:setwinsize() end)
    raises("setwinsize: expected rows and cols", function() p:setwinsize(24) end)
    raises('setwinsize: rows must be an integer from 1 to 65535, got the string "24"', function() p:setwinsize("24", 80) end)
    raises("setwinsize: cols must be an integer from 1 to 65535, got a table", function() p:setwinsize(24, {}) end)
    -- on, interact (checked before interact touches standard input)
    raises('on: the event must be "data" or "exit", got the string "output"', function() p:on("output", print) end)
    raises("on: expected a function, got number", function() p:on("data", 42) end)
    raises('interact: options must be a table such as {escape = "\\29"}', function() p:interact(5) end)
    raises('interact: escape must be one character or false, got the string "ab"', function() p:interact{ escape = "ab" } end)
    raises("interact: input must be a function", function() p:interact{ input = 5 } end)
    -- nothing changed: still alive, same size, the unread output is there
    assert.same({ 30, 100 }, { p:getwinsize() })
    intact(p)
  end)

  it("in options: a boolean that is not true or false, a NUL in a string, an unknown name", function()
    local p = victim()
    local BOOL = " must be true or false, got "
    -- spawn and sh: "no" and "yes" are true values to Lua, not false and true
    raises('spawn: echo' .. BOOL .. 'the string "no"', function() pty.spawn{ "cat", echo = "no" } end)
    raises('spawn: show' .. BOOL .. 'the string "yes"', function() pty.spawn{ "cat", show = "yes" } end)
    raises('spawn: screen' .. BOOL .. 'the string "yes"', function() pty.spawn{ "cat", screen = "yes" } end)
    raises("spawn: pty" .. BOOL .. "0", function() pty.spawn{ "cat", pty = 0 } end)
    raises("spawn: clearenv" .. BOOL .. "1", function() pty.spawn{ "cat", clearenv = 1 } end)
    raises("spawn: echo" .. BOOL .. "a table", function() pty.spawn{ "cat", echo = {} } end)
    raises('sh: echo' .. BOOL .. 'the string "false"', function() pty.sh("cat", { echo = "false" }) end)
    raises("spawn: unknown option 1.5", function() pty.spawn{ "cat", [1.5] = true } end)
    -- a NUL byte in a string option (C would stop reading it there)
    raises("spawn: cwd contains a NUL byte", function() pty.spawn{ "cat", cwd = "/tmp\0/etc" } end)
    raises("spawn: term contains a NUL byte", function() pty.spawn{ "cat", term = "xterm\0x" } end)
    raises("spawn: name contains a NUL byte", function() pty.spawn{ "cat", name = "a\0b" } end)
    raises("spawn: uid contains a NUL byte", function() pty.spawn{ "cat", uid = "root\0x" } end)
    raises("spawn: gid contains a NUL byte", function() pty.spawn{ "cat", gid = "root\0x" } end)
    raises("sh: cwd contains a NUL byte", function() pty.sh("cat", { cwd = "/\0" }) end)
    raises("spawn: cwd must be a string, got 5", function() pty.spawn{ "cat", cwd = 5 } end)
    -- (and C refuses them as well)
    local core = require "ptyscript.core"
    local ok, e = pcall(core.spawn, { "cat" }, nil, { cwd = "/tmp\0/etc" })
    assert.is_false(ok)
    assert.matches("spawn: cwd contains a NUL byte", e, 1, true)
    ok, e = pcall(core.spawn, { "ca\0t" }, nil, {})
    assert.is_false(ok)
    assert.matches("spawn: an argument contains a NUL byte", e, 1, true)
    ok, e = pcall(core.spawn, { "cat" }, { A = "x\0y" }, {})
    assert.is_false(ok)
    assert.matches("spawn: an env value contains a NUL byte", e, 1, true)
    -- pty.show, the default of show
    local saved = pty.show
    pty.show = "no"
    local ok2, e2 = pcall(pty.spawn, "cat")
    pty.show = saved
    assert.is_false(ok2)
    assert.matches('spawn: pty.show (the default of show) must be true or false, got the string "no"', e2, 1, true)
    -- send and sendline
    raises('send: secret' .. BOOL .. 'the string "yes"', function() p:send("x", { secret = "yes" }) end)
    raises("send: human" .. BOOL .. "1", function() p:send("x", { human = 1 }) end)
    raises('send: unknown option "secert"', function() p:send("x", { secert = true }) end)
    raises('send: unknown option "wait_echo"', function() p:send("x", { wait_echo = true }) end)
    raises('sendline: wait_echo' .. BOOL .. 'the string "yes"', function() p:sendline("x", { wait_echo = "yes" }) end)
    raises('sendline: secret' .. BOOL .. 'the string "true"', function() p:sendline("x", { secret = "true" }) end)
    raises('sendline: unknown option "wait"', function() p:sendline("x", { wait = true }) end)
    raises("sendline: timeout is the wait for the echo: give wait_echo = true too", function() p:sendline("x", { timeout = 1 }) end)
    raises('sendline: timeout must be a number of seconds >= 0 (got the string "x")', function() p:sendline("x", { wait_echo = true, timeout = "x" }) end)
    -- log, record, interact, close, snapshot
    local dir = tmpdir()
    raises('log: sent' .. BOOL .. 'the string "yes"', function() p:log(dir .. "/t.log", { sent = "yes" }) end)
    raises('log: unknown option "snet"', function() p:log(dir .. "/t.log", { snet = true }) end)
    raises("log: the file name", function() p:log(dir .. "/a\0b") end)
    raises('record: input' .. BOOL .. 'the string "yes"', function() p:record(dir .. "/t.cast", { input = "yes" }) end)
    raises("record: options must be a table", function() p:record(dir .. "/t.cast", "input") end)
    raises("record: the file name", function() p:record(dir .. "/a\0b.cast") end)
    raises('interact: unknown option "escap"', function() p:interact{ escap = "x" } end)
    raises('close: unknown option "grce"', function() p:close{ grce = 1 } end)
    local s = pty.screen(2, 10)
    raises("snapshot: the file name contains a NUL byte", function() s:snapshot(dir .. "/a\0b.svg") end)
    -- nothing was made: no file of those names, nothing written to the victim
    local listing = H.sh("ls -A " .. H.q(dir)).stdout
    assert.equal("", listing)
    intact(p)
  end)

  it("calling a method with . instead of : names the method, the fix and the caller's line", function()
    local p = victim()
    local methods = { "send", "sendline", "sendcontrol", "sendeof", "expect", "expect_exact",
      "read", "readline", "wait", "alive", "kill", "terminate", "close", "setwinsize",
      "getwinsize", "pause", "resume", "on", "interact" }
    local wrong = {}   -- every method checked, all that are wrong reported at once
    for _, name in ipairs(methods) do
      local text = string.format("%s: expected a process (use p:%s(...), not p.%s(...))",
        name, name, name)
      for _, f in ipairs{
        function() p[name]() end,
        function() p[name]("BBB") end,
        function() p[name]({}) end,
        function() p[name](pty.exact("BBB")) end,
      } do
        local _, _, bad = check(text, f)
        if bad then wrong[#wrong + 1] = name .. ": " .. bad break end
      end
    end
    assert(#wrong == 0, table.concat(wrong, "\n"))
    intact(p)
  end)
end)

------------------------------------------------------------------------
describe("NUL bytes and invalid UTF-8", function()
  -- NUL, 0xff/0xfe, an overlong NUL (C0 80), a UTF-16 surrogate
  -- (ED A0 80), a 5-byte form, a lone continuation byte, a truncated
  -- 3-byte sequence
  local NASTY = "\0\0A\255\254B\192\128C\237\160\128D\248\136\128\128\128E\128F\226\130"

  it("in the output: expect, read and readline deliver them byte-exact", function()
    -- a truncated UTF-8 sequence as the very last bytes before EOF
    local q = pty.sh("printf 'tail\\342\\202'")
    assert.equal("tail\226\130", q:expect(pty.EOF, 5).before)
    assert.same({ true, "exit", 0 }, { q:wait(5) })
    q = pty.sh("printf 'tail\\000\\342\\202'")
    assert.equal("tail", q:expect("tail", 5)[0])
    local got = {}
    while true do
      local s = q:read(5)
      if not s then break end
      got[#got + 1] = s
    end
    assert.equal("\0\226\130", table.concat(got))

    local p = pty.sh("printf 'one\\000\\377\\376\\300\\200\\355\\240\\200\\342\\202|END\\n"
      .. "two\\000\\377x\\n'; printf 'three\\000\\377\\n'; exec cat", { echo = false })
    local m = p:expect("\\|END\\r\\n", 5)
    assert.equal("one\0\255\254\192\128\237\160\128\226\130", m.before)
    -- a literal made of them matches them
    m = p:expect(pty.exact("two\0\255"), 5)
    assert.equal("two\0\255", m[0])
    assert.equal("", m.before)
    -- a regex can name NUL; the bytes around it come back untouched
    m = p:expect("x\\r\\nthree\\x00", 5)
    assert.equal("x\r\nthree\0", m[0])
    assert.equal("\255", p:readline(5))
    p:sendline("mark")
    p:expect_exact("mark\r\n", 5)
    p:close()
  end)

end)

------------------------------------------------------------------------
describe("a 100 MB single line", function()
  local N = 100 * 1000 * 1000
  local LINE = "head -c " .. N .. " /dev/zero | tr '\\0' x"

  it("is read back completely by expect with a large maxbuf #slow", function()
    local p = pty.spawn{ "sh", "-c", LINE .. "; printf 'END\\n'; exec cat", echo = false,
      maxbuf = 128 << 20 }
    local m = p:expect("E(N)D\\r\\n", 60)
    assert.equal("N", m[1])
    assert.equal(N, #m.before)
    assert.is_true(m.before == string.rep("x", N), "the line came back changed")
    m = nil
    collectgarbage()
    p:sendline("after")
    assert.equal("", p:expect_exact("after\r\n", 5).before)
    p:close()
  end)

  it("is read back completely by readline #slow", function()
    local p = pty.spawn{ "sh", "-c", LINE .. "; printf '\\nnext\\n'", maxbuf = 128 << 20 }
    local l = p:readline(60)
    assert.equal(N, #l)
    assert.is_nil(l:find("[^x]"))
    l = nil
    collectgarbage()
    assert.equal("next", p:readline(5))
    assert.same({ nil, "eof" }, { p:readline(5) })
    assert.same({ true, "exit", 0 }, { p:wait(5) })
  end)

end)

------------------------------------------------------------------------
describe("use after the end", function()
  it("expect after EOF raises an eof error each time; a listed EOF returns what remained", function()
    local p = pty.sh("printf 'bye\\nrest'", { name = "ender" })
    p:expect("bye", 5)
    assert.same({ true, "exit", 0 }, { p:wait(5) })   -- everything has arrived
    for _ = 1, 2 do
      local e, msg = raises("end of output (EOF) waiting for /nothing/ from ender (pid " .. p.pid
        .. ", exited 0)", function() p:expect("nothing", 5) end)
      assert.equal("eof", e.kind)
      assert.equal(p, e.process)
      assert.equal("\r\nrest", e.before)
      assert.matches('last output: "\\r\\nrest"', msg, 1, true)
    end
    local m = p:expect({ "nothing", pty.EOF }, 5)
    assert.equal(2, m.index)
    assert.is_nil(m[0])
    assert.equal("\r\nrest", m.before)
    -- consumed: a second EOF has nothing left
    assert.equal("", p:expect(pty.EOF, 5).before)
    assert.same({ nil, "eof" }, { p:read(5) })
    assert.same({ nil, "eof" }, { p:readline(5) })
    raises("end of output (EOF) waiting for \"x\" from ender", function() p:expect_exact("x", 5) end)
    p:close()
  end)

  it("wait twice and close twice give the same answer (exit and signal)", function()
    local p = pty.sh("exit 3")
    assert.same({ nil, "exit", 3 }, { p:wait(5) })
    assert.same({ nil, "exit", 3 }, { p:wait(5) })
    assert.same({ nil, "exit", 3 }, { p:wait(0) })
    assert.same({ nil, "exit", 3 }, { p:close() })
    assert.same({ nil, "exit", 3 }, { p:close() })
    assert.same({ nil, "exit", 3 }, { p:wait() })
    assert.equal(3, p.exitcode)
    assert.is_nil(p.signal)

    local q = pty.spawn{ "cat", echo = false }
    q:sendline("up")
    q:expect_exact("up", 5)
    q:kill("KILL")
    assert.same({ nil, "signal", 9 }, { q:wait(5) })
    assert.same({ nil, "signal", 9 }, { q:wait(5) })
    assert.same({ nil, "signal", 9 }, { q:close() })
    assert.same({ nil, "signal", 9 }, { q:close{ grace = 0 } })
    assert.equal("KILL", q.signal)
    assert.is_nil(q.exitcode)

    -- closing a live process twice: hung up once, the same answer after
    local r = victim()
    local pid = r.pid
    assert.same({ nil, "signal", 1 }, { r:close() })
    assert.same({ nil, "signal", 1 }, { r:close() })
    assert.is_true(gone(pid))
  end)

  it("a live process that is garbage collected is hung up, its group killed and reaped", function()
    local other = victim()
    local pid, bg
    do
      local p = pty.sh("sleep 30 & echo \"BG $!\"; exec sleep 30")
      pid = p.pid
      bg = tonumber(p:expect("BG (\\d+)", 5)[1])
      p = nil
    end
    other:getwinsize()
    local keep = pty.spawn("true")   -- the most recent spawn is remembered: not p any more
    collectgarbage()
    collectgarbage()
    -- reaped by the collector itself: no zombie left behind
    assert.is_true(gone(pid), "the collected child is still there")
    assert.is_true(H.eventually(function() return gone(bg) end, 5),
      "the collected child's background job is still there")
    keep:close()
    intact(other)
  end)
end)

------------------------------------------------------------------------
describe("spawn failures", function()
  local dir
  setup(function()
    dir = tmpdir()
    H.write(dir .. "/mode000", "#!/bin/sh\necho ran\n")
    assert(os.execute("chmod 000 " .. H.q(dir .. "/mode000")))
    H.write(dir .. "/noexec", "#!/bin/sh\necho ran\n")
    H.write(dir .. "/garbage", "\127ELF garbage")
    assert(os.execute("chmod 755 " .. H.q(dir .. "/garbage")))
    assert(os.execute("mkdir " .. H.q(dir .. "/adir")))
  end)
  teardown(function() os.execute("rm -rf " .. H.q(dir)) end)

  it("raise at spawn with the path and the OS reason, and leave no child behind", function()
    local other = victim()
    local before = #children()
    raises("spawn no-such-program-hostile: No such file or directory (not found in PATH)", function() pty.spawn("no-such-program-hostile") end)
    raises("spawn " .. dir .. "/missing: No such file or directory", function() pty.spawn(dir .. "/missing") end)
    raises("spawn " .. dir .. "/adir: Is a directory", function() pty.spawn(dir .. "/adir") end)
    raises("spawn " .. dir .. "/mode000: Permission denied", function() pty.spawn(dir .. "/mode000") end)
    raises("spawn " .. dir .. "/noexec: Permission denied", function() pty.spawn(dir .. "/noexec") end)
    raises("spawn " .. dir .. "/garbage: Exec format error", function() pty.spawn(dir .. "/garbage") end)
    -- a directory on PATH with the program's name is skipped, not run
    raises("spawn adir: No such file or directory (not found in PATH)", function() pty.spawn{ "adir", env = { PATH = dir } } end)
    raises("spawn true: cannot change directory to " .. dir .. "/missing: No such file or directory", function() pty.spawn{ "true", cwd = dir .. "/missing" } end)
    raises("spawn true: cannot change directory to " .. dir .. "/noexec: Not a directory", function() pty.spawn{ "true", cwd = dir .. "/noexec" } end)
    assert.equal(before, #children())
    intact(other)
  end)
end)

------------------------------------------------------------------------
describe("the environment", function()
  it("passes a value containing = unchanged", function()
    local p = pty.spawn{ "sh", "-c", "printf '<%s><%s>\\n' \"$HV\" \"$HW\"",
      env = { HV = "a=b==c=", HW = "=" } }
    local m = p:expect("<(.*)><(.*)>", 5)
    assert.equal("a=b==c=", m[1])
    assert.equal("=", m[2])
    p:close()
  end)

  it("rejects a NUL in a value and =, NUL or nothing in a name", function()
    local p = victim()
    raises("spawn: env: value of A contains a NUL byte", function() pty.spawn{ "true", env = { A = "x\0y" } } end)
    raises('spawn: env: invalid variable name "A=B"', function() pty.spawn{ "true", env = { ["A=B"] = "x" } } end)
    raises('spawn: env: invalid variable name "=A"', function() pty.spawn{ "true", env = { ["=A"] = "x" } } end)
    raises('spawn: env: invalid variable name ""', function() pty.spawn{ "true", env = { [""] = "x" } } end)
    raises("spawn: env: invalid variable name", function() pty.spawn{ "true", env = { ["A\0B"] = "x" } } end)
    raises('spawn: env: invalid variable name "1"', function() pty.spawn{ "true", env = { "x" } } end)
    raises("spawn: env: value of A must be a string, number or false, got table", function() pty.spawn{ "true", env = { A = {} } } end)
    raises("sh: env: value of A contains a NUL byte", function() pty.sh("true", { env = { A = "\0" } }) end)
    intact(p)
  end)
end)

------------------------------------------------------------------------
describe("rows and cols out of range", function()
  it("raise at spawn and at setwinsize, and change nothing", function()
    local p = victim{ rows = 30, cols = 100 }
    local RANGE = " must be an integer from 1 to 65535, got "
    for _, v in ipairs{ 0, -1, 70000, 65536, 1.5, "24", NAN, math.huge, math.mininteger } do
      local shown = type(v) == "string" and 'the string "' .. v .. '"' or tostring(v)
      raises("spawn: rows" .. RANGE .. shown, function() pty.spawn{ "true", rows = v } end)
      raises("spawn: cols" .. RANGE .. shown, function() pty.spawn{ "true", cols = v } end)
      raises("setwinsize: rows" .. RANGE .. shown, function() p:setwinsize(v, 80) end)
      raises("setwinsize: cols" .. RANGE .. shown, function() p:setwinsize(24, v) end)
      assert.same({ 30, 100 }, { p:getwinsize() })
    end
    intact(p)
  end)

  it("accepts the limits 1 and 65535, as the child sees them", function()
    local p = pty.spawn{ "sh", "-c", "stty size; read x; stty size", rows = 1, cols = 65535,
      echo = false }
    assert.equal("1 65535", p:expect("(\\d+ \\d+)\\r\\n", 5)[1])
    assert.is_true(p:setwinsize(65535, 1))
    assert.same({ 65535, 1 }, { p:getwinsize() })
    p:sendline("")
    assert.equal("65535 1", p:expect("(\\d+ \\d+)\\r\\n", 5)[1])
    assert.same({ true, "exit", 0 }, { p:wait(5) })
  end)
end)

------------------------------------------------------------------------
describe("timeouts", function()
  it("of 0 look at what has already arrived, without waiting and without consuming", function()
    local p = pty.sh("printf 'alpha beta\\n'; exec cat", { echo = false, name = "zero" })
    p:expect("alpha(?= beta\\r\\n)", 5)   -- " beta\r\n" has arrived too
    local t0 = pty.now()
    local e = raises("timeout (0s) waiting for /gamma/ from zero (pid " .. p.pid .. ", running)", function() p:expect("gamma", 0) end)
    assert.equal("timeout", e.kind)
    assert.equal(0, e.timeout)
    assert.equal(" beta\r\n", e.before)
    local m = p:expect({ "gamma", pty.TIMEOUT }, 0)
    assert.equal(2, m.index)
    assert.equal(" beta\r\n", m.before)
    assert.equal("beta", p:expect("beta", 0)[0])
    assert.equal("\r\n", p:read(0))
    assert.same({ nil, "timeout" }, { p:read(0) })
    assert.same({ nil, "timeout" }, { p:readline(0) })
    assert.same({ nil, "timeout" }, { p:wait(0) })
    assert.is_true(pty.now() - t0 < 0.5)
    p:close()
  end)

  it("negative or NaN raise everywhere, also as pty.timeout or a spawn option", function()
    local p = victim()
    for _, v in ipairs{ -1, -0.001, NAN, -math.huge } do
      local got = "(got " .. tostring(v) .. ")"
      raises("expect: timeout must be a number of seconds >= 0 " .. got, function() p:expect("BBB", v) end)
      raises("expect_exact: timeout must be a number of seconds >= 0 " .. got, function() p:expect_exact("BBB", v) end)
      raises("read: timeout must be a number of seconds >= 0 " .. got, function() p:read(v) end)
      raises("readline: timeout must be a number of seconds >= 0 " .. got, function() p:readline(v) end)
      raises("wait: timeout must be a number of seconds >= 0 " .. got, function() p:wait(v) end)
      raises("spawn: timeout must be a number of seconds >= 0 " .. got, function() pty.spawn{ "true", timeout = v } end)
      raises("sleep: expected a number of seconds >= 0, got " .. tostring(v), function() pty.sleep(v) end)
      raises("close: grace must be a number of seconds >= 0, got " .. tostring(v), function() p:close{ grace = v } end)
      raises("send: delay must be a number of seconds from 0 to 3600, got " .. tostring(v), function() p:send("ab", { delay = v }) end)
    end
    local saved = pty.timeout
    finally(function() pty.timeout = saved end)
    pty.timeout = -5
    raises("expect: timeout must be a number of seconds >= 0 (got -5 from pty.timeout)", function() p:expect("BBB") end)
    pty.timeout = "soon"
    raises('read: timeout must be a number of seconds >= 0 (got the string "soon" from pty.timeout)', function() p:read() end)
    pty.timeout = saved
    p.timeout = {}
    raises("readline: timeout must be a number of seconds >= 0 (got a table from p.timeout)", function() p:readline() end)
    p.timeout = nil
    pty.timeout = saved
    intact(p)
  end)

  it("a number given as a string is named as a string, wherever a number is wanted", function()
    local p = victim()
    local t = pty.go(function() return 1 end)
    local S = '(got the string "5")'
    raises("expect: timeout must be a number of seconds >= 0 " .. S, function() p:expect("BBB", "5") end)
    raises("expect: timeout must be a number of seconds >= 0 " .. S, function() p:expect({ "BBB" }, "5") end)
    raises("expect_exact: timeout must be a number of seconds >= 0 " .. S, function() p:expect_exact("BBB", "5") end)
    raises("read: timeout must be a number of seconds >= 0 " .. S, function() p:read("5") end)
    raises("readline: timeout must be a number of seconds >= 0 " .. S, function() p:readline("5") end)
    raises("wait: timeout must be a number of seconds >= 0 " .. S, function() p:wait("5") end)
    raises("wait: timeout must be a number of seconds >= 0 " .. S, function() t:wait("5") end)
    raises("spawn: timeout must be a number of seconds >= 0 " .. S, function() pty.spawn{ "true", timeout = "5" } end)
    raises("expect_screen: timeout must be a number of seconds >= 0 " .. S, function() p:expect_screen("x", "5") end)
    raises("wait_stable: timeout must be a number of seconds >= 0 " .. S, function() p:wait_stable(0.1, "5") end)
    raises('wait_stable: expected a number of seconds >= 0, got the string "5"', function() p:wait_stable("5") end)
    raises('sleep: expected a number of seconds >= 0, got the string "5"', function() pty.sleep("5") end)
    raises('close: grace must be a number of seconds >= 0, got the string "5"', function() p:close{ grace = "5" } end)
    raises('send: delay must be a number of seconds from 0 to 3600, got the string "5"', function() p:send("ab", { delay = "5" }) end)
    raises('spawn: rows must be an integer from 1 to 65535, got the string "5"', function() pty.spawn{ "true", rows = "5" } end)
    raises('spawn: maxbuf must be an integer from 1 to 1099511627776, got the string "5"', function() pty.spawn{ "true", maxbuf = "5" } end)
    raises('setwinsize: rows must be an integer from 1 to 65535, got the string "5"', function() p:setwinsize("5", 80) end)
    raises('screen: rows must be an integer from 1 to 1000, got the string "5"', function() pty.screen("5", 80) end)
    raises('row: row must be an integer, got the string "1"', function() pty.screen(2, 10):row("1") end)
    raises('spawn: fds[3] must be "r", "w", an open Lua file or a descriptor number, got the string "5"', function() pty.spawn{ "true", fds = { [3] = "5" } } end)
    t:wait()
    intact(p)
  end)

  it("math.huge means no limit; a huge finite one waits as well", function()
    local p = pty.sh("read x; sleep 0.3; echo done-$x; read y; sleep 0.2; echo again-$y; "
      .. "read z; sleep 0.2; exit 7", { echo = false })
    p:sendline("a")
    local t0 = pty.now()
    assert.equal("a", p:expect("done-(\\w+)", math.huge)[1])
    assert.is_true(pty.now() - t0 >= 0.25)      -- it did wait
    p:sendline("b")
    assert.equal("b", p:expect("again-(\\w+)", 1e300)[1])
    local t = pty.go(function() pty.sleep(0.1) return "slept" end)
    assert.equal("slept", t:wait(math.huge))
    assert.equal("\r\n", p:read(math.huge))
    p:sendline("c")
    assert.same({ nil, "exit", 7 }, { p:wait(math.huge) })

    -- as a process's default timeout
    local q = pty.spawn{ "sh", "-c", "read x; sleep 0.3; echo late", timeout = math.huge, echo = false }
    q:sendline("")
    assert.equal("late", q:expect("late")[0])
    q:close()
  end)
end)

------------------------------------------------------------------------
describe("errors in tasks, callbacks and coroutines", function()
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

------------------------------------------------------------------------
describe("script errors, run by the command", function()
  it("an error in a task nobody waits for: status 1, file:line, traceback, children reaped", function()
    local r = run([[
local p = spawn{"cat", echo = false}
print(p.pid)
io.stdout:flush()
pty.go(function()
  sendline("ping")
  expect("ping")
  error("task blew up")
end)
pty.sleep(5)
print("not reached")
]])
    assert.equal(1, r.code)
    assert.matches(r.path .. ":7: task blew up", r.stderr, 1, true)
    assert.matches("stack traceback", r.stderr, 1, true)
    assert.is_nil(r.stdout:find("not reached"))
    local pid = tonumber(r.stdout:match("^(%d+)"))
    assert.is_truthy(pid)
    assert.is_true(gone(pid))
  end)

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

  it("an error thrown across interact by a filter is re-raised there; the session and --show go on", function()
    local r = run([[
local p = spawn{"sh", "-c", "stty -echo; printf 'one two\\n'; exec cat", show = true}
expect("one")
local ok, e = pcall(p.interact, p, {output = function(d) error("output filter: " .. d:gsub("%s", "")) end})
io.stdout:write("[1 ", tostring(ok), " ", tostring(e), "]\n")
io.stdout:flush()
sendline("SHOWN1")
expect("SHOWN1")
ok, e = pcall(p.interact, p, {input = function(d) error("input filter: " .. d:gsub("%s", "")) end})
io.stdout:write("[2 ", tostring(ok), " ", tostring(e), "]\n")
io.stdout:flush()
sendline("SHOWN2")
expect("SHOWN2")
io.stdout:write("[end]\n")
]], "hello\n")
    assert.equal(0, r.code, r.stderr)
    assert.matches("[1 false " .. r.path .. ":3: output filter: two]", r.stdout, 1, true)
    assert.matches("[2 false " .. r.path .. ":8: input filter: hello]", r.stdout, 1, true)
    assert.matches("[end]", r.stdout, 1, true)
    -- show = true still copies the session's output after each failed
    -- interact (the child's echo is off: only show can print these)
    assert.matches("SHOWN2", r.stdout, 1, true)
    assert.matches("SHOWN1", r.stdout, 1, true)
  end)

  it("a filter that raises nil or false: interact raises that value, it does not return", function()
    for _, v in ipairs{ "nil", "false" } do
      local r = run(([[
local p = spawn{"cat", echo = false}
local r = table.pack(pcall(p.interact, p, {input = function() error(%s) end}))
io.stdout:write("[", tostring(r[1]), " ", tostring(r[2]), " ", r.n, "]\n")
]]):format(v), "hello\n")
      assert.equal(0, r.code, r.stderr)
      assert.equal("[false " .. v .. " 2]\n", r.stdout)
    end
  end)

  it("a script that does not compile: status 2 with file:line", function()
    local r = run("local x = = 1\n")
    assert.equal(2, r.code)
    assert.matches(r.path .. ":1:", r.stderr, 1, true)
  end)
end)
