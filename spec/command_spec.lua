-- The ptyscript command: arguments, options, exit statuses and the
-- messages it prints.  Every test runs the real ./ptyscript binary on a
-- small script; the scripts drive real programs in real ptys.
local pty = require "ptyscript"
local H = require "helpers"

-- Run a script with the command (stdin given or /dev/null), bounded in
-- time: a hang fails the test instead of hanging the suite.
local run = H.run_bounded

-- The process is gone: not running, not a zombie.
local function gone(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return true end
  f:close()
  return false
end

-- assert that text contains needle literally, with a useful message
local function has(text, needle)
  assert(type(text) == "string", "no text to search")
  assert(text:find(needle, 1, true),
    string.format("expected to find %q in:\n%s", needle, text))
end

local function hasnt(text, needle)
  assert(not (text or ""):find(needle, 1, true),
    string.format("did not expect %q in:\n%s", needle, text))
end

describe("the ptyscript command", function()
  describe("running a script", function()
    it("builds arg as lua(1) does and passes the args as ...", function()
      local r = H.run_script([[
print("n=" .. #arg)
print("0=" .. arg[0])
print("1=" .. arg[1])
print("2=" .. arg[2])
print("-1=" .. arg[-1])
print("-2=" .. tostring(arg[-2]))
print("dots=" .. select("#", ...) .. ":" .. table.concat({...}, "|"))
]], { "first", "two words", "3" })
      assert.equal(0, r.code)
      assert.equal("", r.stderr)
      local out = r.stdout
      has(out, "n=3\n")
      has(out, "0=" .. r.path .. "\n")
      has(out, "1=first\n")
      has(out, "2=two words\n")
      has(out, "-1=" .. H.bin .. "\n")
      has(out, "-2=nil\n")
      has(out, "dots=3:first|two words|3\n")
    end)

    it("puts options before the script at negative indices", function()
      local r = H.run_script([[
print(arg[-3], arg[-2], arg[-1], arg[0] ~= nil, arg[1], #arg)
]], { "x" })
      -- no options: arg[-1] is the command itself
      assert.equal(0, r.code)
      assert.equal("nil\tnil\t" .. H.bin .. "\ttrue\tx\t1\n", r.stdout)

      local path = H.script("print(arg[-3], arg[-2], arg[-1], arg[0], arg[1], #arg)\n")
      local r2 = H.run({ "--timeout", "5", path, "y" })
      os.remove(path)
      assert.equal(0, r2.code)
      assert.equal(H.bin .. "\t--timeout\t5\t" .. path .. "\ty\t1\n", r2.stdout)
    end)

    it("runs -e code with the following words as its args", function()
      local r = H.run({ "-e", "print(#arg, arg[0], arg[1], arg[2], arg[-1], ...)", "a", "b c" })
      assert.equal(0, r.code)
      assert.equal("", r.stderr)
      assert.equal("2\tprint(#arg, arg[0], arg[1], arg[2], arg[-1], ...)\ta\tb c\t-e\ta\tb c\n",
        r.stdout)
    end)

    it("reads the script from standard input with -", function()
      local r = H.run({ "-", "p", "q" }, "print('from stdin', arg[0], #arg, ...)\n")
      assert.equal(0, r.code)
      assert.equal("", r.stderr)
      assert.equal("from stdin\t-\t2\tp\tq\n", r.stdout)
    end)

    it("skips a #!/usr/bin/env ptyscript first line and keeps line numbers", function()
      local r = H.run_script("#!/usr/bin/env ptyscript\nprint('shebang ok', ...)\nerror('line three')\n",
        { "z" })
      assert.equal(1, r.code)
      assert.equal("shebang ok\tz\n", r.stdout)
      has(r.stderr, r.path .. ":3: line three")
    end)

    it("runs an executable script through its #! line", function()
      -- /usr/bin/env finds ptyscript on a PATH that has the build directory first
      local path = H.script("#!/usr/bin/env ptyscript\nlocal p = spawn('echo', 'via', 'shebang')\n"
        .. "print(expect('via (\\\\w+)')[1], ...)\n")
      os.execute("chmod +x " .. H.q(path))
      local r = H.sh("PATH=" .. H.q(H.root) .. ":$PATH " .. H.q(path) .. " arg1")
      os.remove(path)
      assert.equal("", r.stderr)
      assert.equal(0, r.code)
      assert.equal("shebang\targ1\n", r.stdout)
    end)

    it("has pty as a global, the same table require returns", function()
      local r = H.run({ "-e", "print(pty == require 'ptyscript', type(pty.spawn))" })
      assert.equal(0, r.code)
      assert.equal("true\tfunction\n", r.stdout)
    end)
  end)

  describe("options", function()
    it("--timeout sets pty.timeout (default 10)", function()
      local r = H.run({ "-e", "print(pty.timeout)" })
      assert.equal(0, r.code)
      assert.equal("10", (r.stdout:gsub("%.0\n$", "\n"):gsub("\n$", "")))
      r = H.run({ "--timeout", "0.3", "-e", "print(pty.timeout)" })
      assert.equal(0, r.code)
      assert.equal("0.3\n", r.stdout)
      r = H.run({ "--timeout=2.5", "-e", "print(pty.timeout)" })
      assert.equal(0, r.code)
      assert.equal("2.5\n", r.stdout)
    end)

    it("--timeout is the default expect timeout, and the error says so", function()
      local path = H.script([[
local p = spawn("sh", "-c", "echo started; exec sleep 30")
expect("started")
expect("never")
]])
      local t0 = pty.now()
      local r = H.run({ "--timeout", "0.3", path })
      local took = pty.now() - t0
      os.remove(path)
      assert.equal(1, r.code)
      has(r.stderr, "timeout (0.3s)")
      has(r.stderr, path .. ":3:")
      assert.is_true(took < 5, "took " .. took .. " s")
    end)

    it("a timeout error shows pattern, process, pid, state and escaped output", function()
      local path = H.script([[
local p = spawn("sh", "-c", "printf '\\033[1mhello\\tworld\\n'; exec sleep 30")
print("pid " .. p.pid)
io.stdout:flush()
-- wait (without consuming) until the whole line has arrived
repeat local m = expect(pty.TIMEOUT, 0.05) until m.before:find("\n")
expect("never (seen)")
]])
      local r = H.run({ "--timeout", "0.3", path })
      os.remove(path)
      assert.equal(1, r.code)
      local pid = assert(r.stdout:match("pid (%d+)"), r.stdout)
      local err = r.stderr
      has(err, path .. ":6: timeout (0.3s) waiting for /never (seen)/ from sh (pid "
        .. pid .. ", running)")
      has(err, [[last output: "\x1b[1mhello\tworld\r\n"]])
      has(err, "stack traceback")
      -- the sleep it was waiting on is gone too
      assert.is_false(H.exists(pid))
    end)

    it("--show copies session output to stdout; without it nothing is copied", function()
      local src = [[
local p = spawn("sh", "-c", "echo shown-$((6*7))")
expect("shown-42")
wait()
print("done")
]]
      local r = H.run_script(src)
      assert.equal(0, r.code)
      assert.equal("done\n", r.stdout)
      local path = H.script(src)
      r = H.run({ "--show", path })
      os.remove(path)
      assert.equal(0, r.code)
      has(r.stdout, "shown-42\r\n")
      has(r.stdout, "done\n")
      assert.is_true(r.stdout:find("shown-42", 1, true) < r.stdout:find("done", 1, true))
    end)

    it("--show writes all the output to a non-blocking standard output", function()
      -- stdout is a non-blocking pipe, read only once the script is well
      -- on: most writes meet a full pipe (EAGAIN)
      local r = H.sh(string.format([[python3 -c '
import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen(sys.argv[1:], stdout=w)
os.close(w)
time.sleep(0.5)
data = b""
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    data += chunk
print(len(data), data.count(b"x"), data[-5:], p.wait())
' %s --show -e %s]], H.q(H.bin), H.q([[
        local p = pty.sh("head -c 1000000 /dev/zero | tr '\\0' x; echo END")
        p:expect(pty.EOF, 30)
      ]])))
      assert.equal(0, r.code, r.stderr)
      assert.equal("1000005 1000000 b'END\\r\\n' 0\n", r.stdout)
    end)

    it("writes all the script's own print and io.write to a non-blocking standard output", function()
      local r = H.sh(string.format([[python3 -c '
import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen(sys.argv[1:], stdout=w)
os.close(w)
time.sleep(0.5)
data = b""
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    data += chunk
print(len(data), data.count(b"x"), p.wait())
' %s -e %s]], H.q(H.bin), H.q([[
        for i = 1, 10000 do print(string.rep("x", 99)) end
        io.write(string.rep("x", 100000))
      ]])))
      assert.equal(0, r.code, r.stderr)
      assert.equal("1100000 1090000 0\n", r.stdout)
    end)

    it("says a failed write of the script's own output (a full disk), and the status is 1", function()
      for _, code in ipairs{ 'print("lost")', 'print("lost"); os.exit(0)', 'io.write(string.rep("x", 100000))' } do
        local r = H.sh(H.q(H.bin) .. " -e " .. H.q(code) .. " >/dev/full")
        assert.equal(1, r.code, code)
        assert.equal("ptyscript: standard output: write failed: No space left on device\n", r.stderr)
      end
    end)

    it("--show to a pipe whose reader has gone: said once, status 1, no SIGPIPE", function()
      local r = H.sh(string.format("{ %s --show -e %s; echo \"status $?\" >&2; } | head -c 1 >/dev/null",
        H.q(H.bin), H.q([[
          local p = pty.spawn("cat")
          for i = 1, 2000 do
            p:sendline("line " .. i)
            p:expect("line " .. i .. "\r\n.*\r\n")
            pty.sleep(0.002)
            if require("ptyscript.core").show_failed() then break end
          end
        ]])))
      assert.matches("^ptyscript: show: standard output: write failed: Broken pipe\nstatus 1\n$", r.stderr)
    end)

    it("--trace reports expect and send decisions on stderr", function()
      -- the child never prints what it reads (no echo, no cat): the secret
      -- could only reach stderr through the trace itself
      local src = [[
spawn{"sh", "-c", "read a; echo \"got-$a\"; read b; echo done", echo = false}
sendline("ping-1")
local m = expect("got-pi(n)g-(\\d)")
sendline("hush-hush", { secret = true })
expect("done")
print(m[2])
]]
      local r = H.run_script(src)
      assert.equal(0, r.code)
      assert.equal("1\n", r.stdout)
      assert.equal("", r.stderr)
      local path = H.script(src)
      r = H.run({ "--trace", path })
      os.remove(path)
      assert.equal(0, r.code)
      assert.equal("1\n", r.stdout)    -- trace output does not go to stdout
      has(r.stderr, "ping-1")           -- the send
      has(r.stderr, "got-pi(n)g-(\\d)") -- the pattern that matched
      has(r.stderr, "done")             -- the second expect
      hasnt(r.stderr, "hush-hush")      -- a secret is never shown
    end)

    it("--version prints the version and exits 0", function()
      local r = H.run({ "--version" })
      assert.equal(0, r.code)
      assert.truthy(r.stdout:match("^ptyscript %d+%.%d+"), r.stdout)
    end)

    it("--help prints usage on stdout and exits 0", function()
      local r = H.run({ "--help" })
      assert.equal(0, r.code)
      has(r.stdout, "usage")
      has(r.stdout, "--timeout")
      has(r.stdout, "-e")
      assert.equal("", r.stderr)
    end)

    it("--help names the manual where make install puts it (the configured PREFIX)", function()
      local m = H.sh("make -s --no-print-directory -C " .. H.q(H.root)
        .. " -f Makefile -f - print-prefix-for-spec", "print-prefix-for-spec:\n\t@echo '$(PREFIX)'\n")
      local prefix = assert(m.stdout:match("^(%S+)\n$"), m.stdout .. m.stderr)
      local r = H.run({ "--help" })
      has(r.stdout, "The manual: " .. prefix .. "/share/doc/ptyscript/manual.md\n")
      -- and a build for another prefix names that one
      local n = H.sh("make -n -B -C " .. H.q(H.root) .. " PREFIX=/opt/elsewhere build/main.o")
      has(n.stdout, [[-DPTYSCRIPT_PREFIX='"/opt/elsewhere"']])
    end)
  end)

  describe("exit status", function()
    it("is 0 when the script returns", function()
      local r = H.run_script("print('returned')\nreturn 5\n")
      assert.equal(0, r.code)
      assert.equal("returned\n", r.stdout)
      r = H.run_script("local p = spawn('true')\nwait()\n")
      assert.equal(0, r.code)
    end)

    it("is the code given to os.exit, with output flushed", function()
      local r = H.run_script("io.write('partial line')\nos.exit(7)\nprint('not reached')\n")
      assert.equal(7, r.code)
      assert.equal("partial line", r.stdout)
      assert.equal(0, H.run({ "-e", "os.exit(true)" }).code)
      assert.equal(1, H.run({ "-e", "os.exit(false)" }).code)
      assert.equal(0, H.run({ "-e", "os.exit()" }).code)
      assert.equal(42, H.run({ "-e", "spawn('cat'); os.exit(42)" }).code)
    end)

    it("is 1 on an uncaught error, with file:line and a traceback", function()
      local r = H.run_script([[
local function inner()
  error("kaboom")
end
print("before")
inner()
print("after")
]])
      assert.equal(1, r.code)
      assert.equal("before\n", r.stdout)
      has(r.stderr, r.path .. ":2: kaboom")
      has(r.stderr, "stack traceback")
      has(r.stderr, r.path .. ":5:")
    end)

    it("shows the script's frames in the traceback, not the library's (all of them with --trace)", function()
      local path = H.script([[
local function login(p)
  p:expect("password:", 0.2)
end
local p = spawn("sh", "-c", "echo hi; exec sleep 30")
login(p)
]])
      local r = H.run({ path })
      assert.equal(1, r.code)
      local tb = r.stderr:match("stack traceback:\n(.*)$")
      assert.is_truthy(tb, r.stderr)
      assert.equal("\t" .. path .. ":2: in local 'login'\n\t" .. path .. ":5: in main chunk\n", tb)
      local full = H.run({ "--trace", path })
      assert.equal(1, full.code)
      has(full.stderr, "lua/ptyscript/expect.lua:")
      has(full.stderr, path .. ":2: in local 'login'")
      os.remove(path)
    end)

    it("shows where a task's error began when another task raises it again", function()
      local r = H.run_script([[
local t = pty.go(function()
  pty.sleep(0.05)
  local x = nil
  return x.field
end)
t:wait()
]])
      assert.equal(1, r.code)
      has(r.stderr, r.path .. ":4: attempt to index a nil value")
      local tb = r.stderr:match("stack traceback:\n(.*)$")
      assert.equal("\t" .. r.path .. ":4: in function <" .. r.path .. ":1>\nraised again at:\n\t"
        .. r.path .. ":6: in main chunk\n", tb)
    end)

    it("names the object and the nearest method when a method name is mistyped #slow", function()
      local cases = {
        { "local p = pty.spawn('cat') p:sendlien('x')", "the process cat %(pid %d+, running%) has "
          .. "no method sendlien; did you mean sendline%?" },
        { "local p = pty.spawn('cat') p.sendlien(p, 'x')", "the process cat %(pid %d+, running%) "
          .. "has no method sendlien; did you mean sendline%?" },
        { "local p = pty.spawn('cat') p:send_line('x')", "has no method send_line; did you mean sendline%?" },
        { "local p = pty.spawn('cat') p:isalive()", "has no method isalive; did you mean alive%?" },
        { "local p = pty.spawn('cat') p:sendintr()", 'has no method sendintr; did you mean sendcontrol%("c"%)%?' },
        { "local p = pty.spawn('cat') p:frobnicate()", "the process cat %(pid %d+, running%) has no "
          .. "method frobnicate\n" },
        { "local p = pty.spawn{'cat', pty = false} p.stderr:readlin()", "the stream stderr of cat "
          .. "%(pid %d+, running%) has no method readlin; did you mean readline%?" },
        { "local t = pty.go(function() end) t:wait() t:join()", "the task %(done%) has no method "
          .. "join; did you mean wait%?" },
        { "local s = pty.screen(5, 20) s:txt()", "the screen %(5x20%) has no method txt; did you "
          .. "mean text%?" },
        { "local r = pty.repl{'sh', prompt = '[$#] $'} r:run_command('true')", "the REPL of sh "
          .. "%(pid %d+, running%) has no method run_command; did you mean run%?" },
        -- in a task, and raised again by t:wait
        { "local p = pty.spawn('cat') pty.go(function() p:expct('x') end):wait()", "the process cat "
          .. "%(pid %d+, running%) has no method expct; did you mean expect%?" },
        -- the global shorthands
        { "spawn('cat') sendlien('x')", "sendlien is not defined; did you mean sendline %(the "
          .. "shorthand for the current process's p:sendline%)%?" },
        { "spwan('cat')", "spwan is not defined; did you mean spawn %(pty.spawn%)%?" },
      }
      for _, case in ipairs(cases) do
        local r = H.run({ "-e", case[1] })
        assert.equal(1, r.code, r.stderr)
        local hint = r.stderr:match("attempt to call a nil value %([a-z]+ '[%w_]+'%)\n  hint: ([^\n]*\n)")
        assert.is_truthy(hint, r.stderr)
        assert.matches(case[2], hint)
      end
      -- nothing when the value is not one of ours, or the name is not a method call
      for _, code in ipairs{ "local t = {} t:sendlien()", "local x = {} x.y.z()", "undefined_thing()" } do
        local r = H.run({ "-e", code })
        assert.equal(1, r.code)
        hasnt(r.stderr, "hint")
      end
    end)

    it("reading a field that is not set stays nil (no method is made up for a near name)", function()
      local r = H.run({ "-e", [[
        local p = pty.spawn("cat")
        print(p.exitcode, p.closed, p.sent, p.sends, p.isalive, p.expected, p.sendlien)
        p.sent = 1
        print(p.sent)
      ]] })
      assert.equal(0, r.code, r.stderr)
      assert.equal("nil\tnil\tnil\tnil\tnil\tnil\tnil\n1\n", r.stdout)
    end)

    it("is 1 on an error object with __tostring, showing its message", function()
      local r = H.run_script([[
error(setmetatable({}, { __tostring = function() return "custom failure 17" end }))
]])
      assert.equal(1, r.code)
      has(r.stderr, "custom failure 17")
    end)

    -- Lua only warns about an error in a __gc metamethod (and warnings
    -- are off): the command would have ended 0 after a failure.
    it("is 1 when a __gc metamethod raised, during the script, at os.exit or at the end, and says so", function()
      for _, case in ipairs{
        { 'setmetatable({}, {__gc = function() error("lost in gc") end}); collectgarbage()', "lost in gc" },
        { 'setmetatable({}, {__gc = function() error("lost in gc") end}); collectgarbage(); os.exit(0)', "lost in gc" },
        { 'KEEP = setmetatable({}, {__gc = function() error("lost at close") end})', "lost at close" },
        { 'setmetatable({}, {__gc = function() error({}) end}); collectgarbage()', "error object is not a string" },
      } do
        local r = H.run({ "-e", case[1] })
        assert.equal(1, r.code, case[1])
        assert.matches("^ptyscript: error in __gc %(.*" .. case[2] .. ".*%)\n$", r.stderr)
      end
      -- the script's own warnings stay as they were
      local r = H.run({ "-e", 'warn("@on"); warn("error in ", "my code"); warn("fine")' })
      assert.equal(0, r.code)
      assert.equal("Lua warning: error in my code\nLua warning: fine\n", r.stderr)
    end)

    it("is 1 on error() and error(nil), saying the error object is nil", function()
      for _, call in ipairs{ "error()", "error(nil)" } do
        local r = H.run_script("print('before')\n" .. call .. "\nprint('after')\n")
        assert.equal(1, r.code, call)
        assert.equal("before\n", r.stdout)
        has(r.stderr, "ptyscript: (error object is a nil value)\nstack traceback:\n\t" .. r.path .. ":2: in main chunk")
      end
    end)

    it("is 1 on error(false) and on a table without __tostring, naming the value's type", function()
      local r = H.run_script("error(false)\n")
      assert.equal(1, r.code)
      has(r.stderr, "ptyscript: (error object is a boolean value)\nstack traceback:")
      r = H.run_script("error({ code = 3 })\n")
      assert.equal(1, r.code)
      has(r.stderr, "ptyscript: (error object is a table value)\nstack traceback:")
    end)

    it("is 1 when a task raised nil, false or a table and t:wait raises it again", function()
      for _, v in ipairs{ "nil", "false", "{}" } do
        local r = H.run_script(([[
local t = pty.go(function() pty.sleep(0.01) error(%s) end)
local ok, e = pcall(t.wait, t)
print(ok, type(e), rawequal(e, %s))
t:wait()
print("not reached")
]]):format(v, v == "{}" and "e" or v))
        assert.equal(1, r.code, v)
        assert.equal("false\t" .. (v == "{}" and "table" or v == "false" and "boolean" or "nil") .. "\ttrue\n", r.stdout)
        has(r.stderr, "(error object is a " .. (v == "{}" and "table" or v == "false" and "boolean" or "nil") .. " value)")
        assert.is_nil(r.stderr:find("results", 1, true))
      end
    end)

    it("is 1 when a task that raised nil is never waited for", function()
      local r = H.run_script([[
local t = pty.go(function() pty.sleep(0.01) error() end)
pty.sleep(0.1)
print("end of the main chunk")
]])
      assert.equal(1, r.code)
      assert.equal("end of the main chunk\n", r.stdout)
      has(r.stderr, "ptyscript: (error object is a nil value)\nstack traceback:\n\t" .. r.path .. ":1:")
    end)

    it("is 1 when an expect hits EOF, naming the exit status #slow", function()
      local path = H.script([[
spawn("sh", "-c", "echo bye; exit 3")
expect("never")
]])
      -- the child has exited when its EOF comes: the message must say so
      -- every time, not just when the exit happened to be seen first
      -- (the race shows in a few per cent of runs: try many)
      for _ = 1, 60 do
        local r = H.run({ path })
        assert.equal(1, r.code)
        has(r.stderr, path .. ":2: end of output (EOF) waiting for /never/ from sh (pid ")
        has(r.stderr, [[last output: "bye\r\n"]])
        has(r.stderr, "exited 3")
      end
      os.remove(path)
    end)

    it("is 1 when a task nobody waits on fails, with its traceback", function()
      local t0 = pty.now()
      local r = H.run_script([[
local p = spawn("sh", "-c", "echo go; exec sleep 30")
pty.go(function()
  expect("go")
  error("task failed here")
end)
pty.sleep(20)
print("not reached")
]])
      local took = pty.now() - t0
      assert.equal(1, r.code)
      assert.equal("", r.stdout)
      has(r.stderr, r.path .. ":4: task failed here")
      has(r.stderr, "stack traceback")
      assert.is_true(took < 10, "took " .. took .. " s: the failure did not end the script")
    end)

    it("lets the script collect every task's error with t:wait, even one before the task's first wait", function()
      local r = H.run_script([[
local tasks = {}
for i = 1, 6 do
  tasks[i] = pty.go(function()
    local p = spawn(i % 2 == 1 and "/nonexistent/program" or "true")
    p:wait()
    return "ok " .. i
  end)
end
for i, t in ipairs(tasks) do
  local ok, r = pcall(t.wait, t)
  print(i, ok, (tostring(r):gsub("^.-: ", "")))
end
]])
      assert.equal(0, r.code, r.stderr)
      local want = {}
      for i = 1, 6 do
        want[i] = i .. (i % 2 == 1 and "\tfalse\tspawn /nonexistent/program: No such file or directory"
          or "\ttrue\tok " .. i)
      end
      assert.equal(table.concat(want, "\n") .. "\n", r.stdout)
      assert.equal("", r.stderr)
    end)

    it("is 1 at the end of the main chunk when a task's error was never retrieved, with its traceback", function()
      local r = H.run_script([[
local t = pty.go(function()
  error("nobody asked")
end)
print("go returned", t)
pty.sleep(0.05)
print("end of the main chunk")
]])
      assert.equal(1, r.code)
      assert.equal("go returned\tptyscript task (failed)\nend of the main chunk\n", r.stdout)
      has(r.stderr, "ptyscript: " .. r.path .. ":2: nobody asked\nstack traceback:\n\t" .. r.path .. ":2:")
    end)

    it("tells a task's error nobody retrieved too when the main chunk fails", function()
      local r = H.run_script([[
local t = pty.go(function()
  error("the root cause")
end)
local p = spawn("sh", "-c", "exec sleep 30")
p:expect("ready", 0.2)
]])
      assert.equal(1, r.code)
      has(r.stderr, "ptyscript: " .. r.path .. ":5: timeout (0.2s) waiting for /ready/ from sh")
      has(r.stderr, "\nptyscript: and a task failed: " .. r.path .. ":2: the root cause\nstack traceback:")
    end)

    it("tells a collected task's error once, and the main chunk's own error too", function()
      -- the task is collected (its error reported) before the main chunk ends
      local src = [[
local t = pty.go(function() pty.sleep(0.01) error("lost") end)
pty.sleep(0.05)
t = nil
collectgarbage()
collectgarbage()
%s
]]
      local r = H.run_script(src:format('print("main ends")'))
      assert.equal(1, r.code)
      local _, n = r.stderr:gsub("lost", "")
      assert.equal(1, n, "the lost error once:\n" .. r.stderr)
      r = H.run_script(src:format('error("boom")'))
      assert.equal(1, r.code)
      has(r.stderr, "ptyscript: " .. r.path .. ":6: boom\nstack traceback:")
      has(r.stderr, "\nptyscript: and a task failed: " .. r.path .. ":1: lost")
      _, n = r.stderr:gsub("lost", "")
      assert.equal(1, n, "the lost error once:\n" .. r.stderr)
    end)

    it("is 1 when the script calls os.exit(0) while a task's error was never retrieved", function()
      local r = H.run_script([[
local t = pty.go(function() pty.sleep(0.01) error("nobody asked") end)
pty.sleep(0.05)
os.exit(0)
]])
      assert.equal(1, r.code)
      has(r.stderr, r.path .. ":1: nobody asked")
      r = H.run_script([[
local t = pty.go(function() pty.sleep(0.01) error("nobody asked") end)
pty.sleep(0.05)
os.exit(3)
]])
      assert.equal(3, r.code)
      has(r.stderr, r.path .. ":1: nobody asked")
    end)

    it("names the line where the main task waits when nothing can wake any task, once", function()
      local r = H.run_script([[
local a, b
a = pty.go(function() pty.sleep(0.01) return b:wait() end)
b = pty.go(function() return a:wait() end)
print("waiting")
a:wait()
]])
      assert.equal(1, r.code)
      assert.equal("waiting\n", r.stdout)
      assert.equal("ptyscript: " .. r.path .. ":5: every task is waiting and nothing can wake any of them "
        .. "(no process, timer or task left to wait for)\nstack traceback:\n\t" .. r.path .. ":5: in main chunk\n",
        r.stderr)
    end)

    it("is 2 for an unknown option", function()
      local r = H.run({ "--no-such-option", "x.lua" })
      assert.equal(2, r.code)
      has(r.stderr, "--no-such-option")
      assert.equal("", r.stdout)
    end)

    it("is 2 when no script is given", function()
      local r = H.run({})
      assert.equal(2, r.code)
      assert.truthy(#r.stderr > 0)
      assert.equal(2, H.run({ "--show" }).code)
      assert.equal(2, H.run({ "-e" }).code)
    end)

    it("is 2 for a bad --timeout", function()
      for _, v in ipairs({ "abc", "-1", "", "1x", "nan" }) do
        local r = H.run({ "--timeout", v, "-e", "print('ran')" })
        assert.equal(2, r.code, "--timeout " .. v)
        assert.equal("", r.stdout, "--timeout " .. v)
        assert.truthy(#r.stderr > 0)
      end
      local r = H.run({ "--timeout" })
      assert.equal(2, r.code)
    end)

    it("is 2 for a script that does not compile, naming file:line", function()
      local r = H.run_script("print('never printed')\nlocal x = = 1\n")
      assert.equal(2, r.code)
      assert.equal("", r.stdout)
      has(r.stderr, r.path .. ":2:")
      local r2 = H.run({ "-e", "if then" })
      assert.equal(2, r2.code)
      assert.truthy(#r2.stderr > 0)
      local r3 = H.run({ "-" }, "for\n")
      assert.equal(2, r3.code)
    end)
  end)

  it("raises the open-file soft limit to the hard limit", function()
    -- check that the shell limit really applies (the test would be void)
    local base = H.sh("ulimit -Sn 256; grep 'Max open files' /proc/self/limits")
    local bsoft, bhard = base.stdout:match("Max open files%s+(%S+)%s+(%S+)")
    assert.equal("256", bsoft)
    if bhard == "256" then
      pending("the hard limit is 256: nothing to raise")
      return
    end
    local r = H.run_script([[
for line in io.lines("/proc/self/limits") do
  local soft, hard = line:match("^Max open files%s+(%S+)%s+(%S+)")
  if soft then print(soft, hard) end
end
]], nil, "ulimit -Sn 256; exec ")
    assert.equal(0, r.code)
    local soft, hard = r.stdout:match("^(%S+)\t(%S+)\n$")
    assert.equal(bhard, hard)
    assert.equal(hard, soft)
  end)
end)

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

  it("a script that does not compile: status 2 with file:line", function()
    local r = run("local x = = 1\n")
    assert.equal(2, r.code)
    assert.matches(r.path .. ":1:", r.stderr, 1, true)
  end)
end)
