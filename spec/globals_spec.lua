-- The Expect-style global shorthands of the command: spawn, expect,
-- expect_exact, send, sendline, sendcontrol, sendeof, read, readline,
-- interact, wait, close.  They act on the running task's most recent
-- spawn.  Each test runs a small script with the real command.
local H = require "helpers"

-- Run src with the command; it must succeed; returns its stdout.
local function run_ok(src, args)
  local r = H.run_script(src, args)
  assert(r.code == 0, string.format("status %s, stderr:\n%s\nstdout:\n%s",
    tostring(r.code), r.stderr, r.stdout))
  assert.equal("", r.stderr)
  return r.stdout, r
end

describe("global shorthands", function()
  it("are all installed as functions", function()
    local out = run_ok([[
for _, n in ipairs{ "spawn", "expect", "expect_exact", "send", "sendline",
    "sendcontrol", "sendeof", "read", "readline", "interact", "wait", "close" } do
  io.write(n, "=", type(_G[n]), " ")
end
]])
    assert.equal("spawn=function expect=function expect_exact=function send=function "
      .. "sendline=function sendcontrol=function sendeof=function read=function "
      .. "readline=function interact=function wait=function close=function ", out)
  end)

  it("spawn(prog, args...) runs argv without a shell, numbers converted", function()
    local out = run_ok([[
local p = spawn("sh", "-c", "echo \"[$0][$1][$2]\"", "zero", 42, "two words")
print(getmetatable(p) == pty.Process, pty.current() == p, p.name)
local m = expect("\\[(.*)\\]\\[(.*)\\]\\[(.*)\\]")
print(m[1], m[2], m[3])
print(wait())
]])
    assert.equal("true\ttrue\tsh\nzero\t42\ttwo words\ntrue\texit\t0\n", out)
  end)

  it("spawn{prog, args..., options} takes options", function()
    local out = run_ok([[
local p = spawn{"sh", "-c", "echo \"v=$PSX_VAR\"; stty size", env = { PSX_VAR = "from-env" },
  rows = 33, cols = 101, name = "named-one"}
print(p.name, pty.current() == p)
print(expect("v=(\\S+)")[1])
print(expect("(\\d+) (\\d+)")[0])
print(wait())
]])
    assert.equal("named-one\ttrue\nfrom-env\n33 101\ntrue\texit\t0\n", out)
  end)

  it("act on the most recent spawn", function()
    local out = run_ok([[
local a = spawn{"cat", echo = false}
local b = spawn{"cat", echo = false}
sendline("to-the-latest")
print(expect("to-the-\\w+")[0])
expect("\r\n")
-- nothing left in b; nothing ever went to a
print(select(2, b:read(0.05)), select(2, a:read(0.05)))
a:sendline("to-a")
print(a:expect("to-a") ~= nil)
]])
    assert.equal("to-the-latest\ntimeout\ttimeout\ntrue\n", out)
  end)

  it("expect returns the match, groups and before; a list gives index", function()
    local out = run_ok([[
spawn("sh", "-c", "echo 'id=17 name=bob'; echo 'status: ok'")
local m = expect("id=(\\d+) name=(?<name>\\w+)")
print(m[0], m[1], m[2], m.name, m.index)
local m2 = expect({ "status: (fail)", "status: (ok)" })
print(m2.index, m2[1], (m2.before:gsub("\r", "\\r"):gsub("\n", "\\n")))
local m3 = expect(pty.EOF)
print(m3.index, m3[0], (m3.before:gsub("\r", "\\r"):gsub("\n", "\\n")))
]])
    assert.equal("id=17 name=bob\t17\tbob\tbob\t1\n2\tok\t\\r\\n\n1\tnil\t\\r\\n\n", out)
  end)

  it("expect_exact matches literally", function()
    local out = run_ok([[
spawn("printf", "axbbc (a.b*c) done\n")
local m = expect_exact("(a.b*c)")
print(m[0], "[" .. m.before .. "]")
local m2 = expect_exact({ "nothing", "done" })
print(m2.index, m2[0])
]])
    assert.equal("(a.b*c)\t[axbbc ]\n2\tdone\n", out)
  end)

  it("send and sendline write to the current process; readline reads it", function()
    local out = run_ok([[
spawn{"cat", echo = false}
print(send("par"), send("tial "))
sendline("line")
print(readline())
sendline("second")
print(readline())
]])
    assert.equal("3\t5\npartial line\nsecond\n", out)
  end)

  it("sendcontrol sends a control character (^C interrupts)", function()
    local out = run_ok([[
spawn{"sh", "-c", "echo waiting; exec cat"}
expect("waiting\r\n")
sendcontrol("c")
print(wait(5))
]])
    assert.equal("nil\tsignal\t2\n", out)
  end)

  it("sendeof ends the input of the current process", function()
    local out = run_ok([[
spawn{"sh", "-c", "while read l; do echo \"got[$l]\"; done; echo finished; exit 3", echo = false}
sendline("one")
print(expect("got\\[(\\w+)\\]")[1])
sendeof()
expect("finished")
print(wait(5))
]])
    assert.equal("one\nnil\texit\t3\n", out)
  end)

  it("read returns what arrives, then nil, \"eof\"", function()
    local out = run_ok([[
spawn("printf", "chunk-of-output")
local all, piece, err = {}, nil, nil
repeat
  piece, err = read(5)
  if piece then all[#all + 1] = piece end
until not piece
print(table.concat(all), err)
print(wait())
]])
    assert.equal("chunk-of-output\teof\ntrue\texit\t0\n", out)
  end)

  it("readline returns lines, a last partial line, then nil, \"eof\"", function()
    local out = run_ok([[
spawn("printf", "l1\nl2\nlast")
print(readline())
print(readline())
print(readline())
print(readline())
]])
    assert.equal("l1\nl2\nlast\nnil\teof\n", out)
  end)

  it("wait gives the current process's exit status", function()
    local out = run_ok([[
spawn("sh", "-c", "exit 4")
print(wait(5))
print(wait(5))
spawn("sh", "-c", "echo ready; exec sleep 30")
expect("ready")
print(wait(0.05))
]])
    assert.equal("nil\texit\t4\nnil\texit\t4\nnil\ttimeout\n", out)
  end)

  it("close hangs up the current process and reaps it", function()
    local out = run_ok([[
local p = spawn("sh", "-c", "echo ready; exec sleep 30")
expect("ready")
local r = { close() }
print(r[1], r[2], r[3])
print(p:alive(), p.signal)
print(select("#", p:wait(0)), p:wait(0))
]])
    assert.equal("nil\tsignal\t1\nfalse\tHUP\n3\tnil\tsignal\t1\n", out)
  end)

  it("a shorthand's timeout error names the script's line", function()
    local out, r = run_ok([[
spawn("sh", "-c", "echo hi; exec sleep 30")
local ok, e = pcall(expect, "nope", 0.2)
print(ok, e.kind, e.timeout)
print(tostring(e))
]])
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal("false\ttimeout\t0.2", lines[1])
    assert.truthy(lines[2]:find(r.path .. ":2: timeout (0.2s) waiting for /nope/ from sh (pid ", 1, true),
      lines[2])
  end)

  it("expect before any spawn raises \"no process yet\"", function()
    local out, r = run_ok([[
for _, f in ipairs{ "expect", "expect_exact", "send", "sendline", "sendcontrol",
    "sendeof", "read", "readline", "wait", "close", "interact" } do
  local ok, e = pcall(_G[f], "x")
  print(f, ok, tostring(e))
end
]])
    local by = {}
    for l in out:gmatch("[^\n]+") do
      local f = l:match("^([%w_]+)\t")
      if f then by[f] = l end
    end
    for _, f in ipairs { "expect", "expect_exact", "send", "sendline", "sendcontrol",
      "sendeof", "read", "readline", "wait", "close", "interact" } do
      local line = by[f]
      assert.truthy(line, f .. " missing in:\n" .. out)
      assert.equal(f .. "\tfalse", line:sub(1, #f + 6))
      assert.truthy(line:find("no process yet", 1, true), line)
      assert.truthy(line:find(r.path .. ":3:", 1, true), line)
    end
  end)

  it("an uncaught \"no process yet\" ends the command with status 1", function()
    local r = H.run_script("print('start')\nexpect('prompt')\n")
    assert.equal(1, r.code)
    assert.equal("start\n", r.stdout)
    assert.truthy(r.stderr:find(r.path .. ":2:", 1, true), r.stderr)
    assert.truthy(r.stderr:find("no process yet", 1, true), r.stderr)
  end)

  it("interact() acts on the current process (here: standard input at EOF)", function()
    local out = run_ok([[
local p = spawn("cat")
print(interact())
print(pty.current() == p)
]])
    assert.equal("stdin eof\ntrue\n", out)
  end)

  describe("in tasks", function()
    it("a new task starts with its parent's current process", function()
      local out = run_ok([[
local parent = spawn{"cat", echo = false}
local t = pty.go(function()
  local mine = pty.current()
  sendline("from-task")                -- to the parent's cat
  return mine == parent, readline()
end)
print(t:wait(5))
]])
      assert.equal("true\tfrom-task\n", out)
    end)

    it("a task's own spawn does not change its parent's process", function()
      local out = run_ok([[
local parent = spawn{"cat", echo = false}
local t = pty.go(function()
  local own = spawn("sh", "-c", "echo in-task")
  expect("in-task")                    -- the task's own process
  return own.pid, pty.current() == own
end)
local own_pid, was_current = t:wait(5)
print(was_current, own_pid ~= parent.pid, pty.current() == parent)
sendline("still-parent")
print(readline())
]])
      assert.equal("true\ttrue\ttrue\nstill-parent\n", out)
    end)

    it("keeps the process it started with when the parent spawns again", function()
      local out = run_ok([[
local first = spawn{"cat", echo = false}
local t = pty.go(function()
  local m = expect("go-(\\w+)")       -- waits on `first`; the parent moves on
  sendline("task-saw-" .. m[1])       -- still `first`
  return pty.current() == first
end)
local second = spawn{"cat", echo = false}
first:sendline("go-ahead")
print(t:wait(5), pty.current() == second)
print(first:expect("task-saw-\\w+")[0])
print(second:read(0.05))
]])
      assert.equal("true\ttrue\ntask-saw-ahead\nnil\ttimeout\n", out)
    end)

    it("sibling tasks each use their own most recent process", function()
      local out = run_ok([[
local procs = {}
local ta = pty.go(function()
  procs.a = spawn{"cat", echo = false}
  expect("release-a")                  -- waits while b runs
  sendline("a-done")
  expect("a-done")
  return pty.current() == procs.a
end)
local tb = pty.go(function()
  procs.b = spawn{"cat", echo = false}
  sendline("b-line")
  expect("b-line")
  procs.a:sendline("release-a")
  return pty.current() == procs.b
end)
print(ta:wait(5), tb:wait(5))
print(pty.current() == nil, pcall(expect, "x") == false)
]])
      assert.equal("true\ttrue\ntrue\ttrue\n", out)
    end)
  end)

  it("install_globals refuses an env that is not a table, naming the caller's line", function()
    local pty = require "ptyscript"
    H.raises("install_globals: expected a table, got 5", function() pty.install_globals(5) end)
    H.raises("install_globals: expected a table, got the string \"x\"", function() pty.install_globals("x") end)
  end)
end)

-- A script's own globals that happen to be named like the standard
-- library: the library keeps its references from load time.
describe("the library, under a script that reuses standard names", function()
  -- what the script does after clobbering: a spawn with options, a send,
  -- a match, a list, a timeout error (its message, hints and all), a
  -- task, a transcript, a screen, a sleep, a close
  local body = [[
local out = {}
local p = pty.spawn{"sh", "-c", "read l; echo got:$l; sleep 30", echo = false}
p:log(function(data) out[#out + 1] = data end)
p:sendline("one", {secret = true})
local m = p:expect("got:(\\w+)")
local m2 = p:expect({pty.TIMEOUT, "never"}, 0.1)
local ok, e = pcall(p.expect, p, "nothing here", 0.1)
local t = pty.go(function() pty.sleep(0.01) return "task" end)
local v = t:wait()
local s = pty.spawn{"printf", "screen-text", screen = true}
local r = s:expect_screen("screen-text")
p:close()
s:close()
io.stdout:write(m[1] .. " " .. m2.index .. " " .. e.kind .. " " .. v .. " " .. r .. " "
  .. (e.message:find("timeout", 1, true) and "msg" or "nomsg") .. "\n")
]]
  local clobber = [[
debug = true; type = "ssh"; string = nil; table = 1; pairs = nil; ipairs = nil
tostring = nil; tonumber = nil; select = nil; error = nil; pcall_ = pcall
setmetatable = nil; getmetatable = nil; next = nil; math = "m"; coroutine = {}
utf8 = false; rawget = nil; rawequal = nil; collectgarbage = nil
local pcall, io, require = pcall_, io, require
]]

  it("works in the command when the script sets debug, type, string, table, pairs ... to its own values", function()
    local out = run_ok(clobber .. body)
    assert.equal("one 1 timeout task 1 msg\n", out)
  end)

  it("still gives the did-you-mean hints when the script sets debug, pairs, string ... of its own", function()
    local r = H.run_script(clobber .. "local p = pty.spawn('cat')\np:sendlien('x')\n")
    assert.equal(1, r.code)
    assert.matches("has no method sendlien; did you mean sendline%?", r.stderr)
    r = H.run_script(clobber .. "spawn('cat')\nsendlin('x')\n")
    assert.equal(1, r.code)
    assert.matches("hint: sendlin is not defined; did you mean sendline", r.stderr)
  end)

  it("works in plain Lua when the globals change after require", function()
    local r = H.sh(string.format("lua5.4 -e %s",
      H.q("package.cpath = " .. string.format("%q", H.root .. "/?.so") .. " .. ';' .. package.cpath\n"
        .. "pty = require 'ptyscript'\n" .. clobber .. body)))
    assert.equal(0, r.code, r.stderr)
    assert.equal("one 1 timeout task 1 msg\n", r.stdout)
  end)
end)
