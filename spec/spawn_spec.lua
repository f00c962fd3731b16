-- Spawning: the forms, the options, failures at spawn, and what the child
-- gets (session, controlling terminal, descriptors, signals), proven from
-- inside real children on real ptys.  With the bad input and faults of
-- spawn: wrong arguments and options, programs that cannot run, bad
-- environments, and descriptors or ptys running out.
local pty = require "ptyscript"
local H = require "helpers"

-- Everything the child writes, up to EOF, with its exit status.
local function all(p, t)
  local m = p:expect(pty.EOF, t or 5)
  return m.before, { p:wait(5) }
end

local function lines(s)
  local t = {}
  for l in (s:gsub("\r", "")):gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

local function set(list)
  local t = {}
  for _, v in ipairs(list) do t[v] = true end
  return t
end

-- pcall f and return its error message as a string (asserting it failed).
local function raises(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end

local nfds = H.nfds

local children = H.children

local tmpdir = H.tmpdir

local victim, intact, fields = H.victim, H.intact, H.fields

-- The child's report about itself: sh is the spawned process, and it lists
-- its own state ($$), so nothing the reporting tools open gets in the way.
-- The signal state is read by cat after `exec` (same process, same pid):
-- read from a child of sh instead, it could catch sh blocking signals
-- around its own vfork.
local REPORT = "echo FDS; ls -1 /proc/$$/fd; echo TTY; tty; echo STATUS; "
  .. "exec cat /proc/self/status /proc/self/stat"

local function parse_report(out)
  local r = { fds = {} }
  local section
  for _, l in ipairs(lines(out)) do
    if l == "FDS" or l == "TTY" or l == "STATUS" then
      section = l
    elseif section == "FDS" then
      r.fds[#r.fds + 1] = tonumber(l)
    elseif section == "TTY" then
      r.tty = l
    elseif section == "STATUS" then
      local k, v = l:match("^(%w+):%s*(.-)%s*$")
      if k then r[k] = v end
      local pid, rest = l:match("^(%d+) %b() (.*)$")
      if pid then
        r.done = true
        local f = {}
        for w in rest:gmatch("%S+") do f[#f + 1] = tonumber(w) or w end
        r.pid = tonumber(pid)
        r.ppid, r.pgrp, r.session, r.tty_nr, r.tpgid = f[2], f[3], f[4], f[5], f[6]
      end
    end
  end
  return r
end

-- The signal numbers in a /proc/PID/status mask (hex).
local function signals(hex)
  assert.is_string(hex)
  local list = {}
  local bit = 0
  for i = #hex, 1, -1 do
    local d = tonumber(hex:sub(i, i), 16)
    for b = 0, 3 do
      if d & (1 << b) ~= 0 then list[#list + 1] = bit + b + 1 end
    end
    bit = bit + 4
  end
  table.sort(list)
  return list
end

-- Assert everything the manual (doc/manual.md, "Spawning") promises
-- about the child's setup.
local function check_report(r, pid)
  assert.is_true(r.done, "the report is complete")
  assert.same({ 0, 1, 2 }, r.fds)
  local n = r.tty and r.tty:match("^/dev/pts/(%d+)$")
  assert.truthy(n, "tty prints /dev/pts/N, got " .. tostring(r.tty))
  n = tonumber(n)
  assert.equal(pid, r.pid)
  assert.equal(r.pid, r.session, "session leader")
  assert.equal(r.pid, r.pgrp, "process group leader")
  assert.are_not.equal(0, r.tty_nr, "has a controlling terminal")
  -- tty_nr is the device of /dev/pts/N: major 136, minor N
  local major = (r.tty_nr >> 8) & 0xfff
  local minor = (r.tty_nr & 0xff) | ((r.tty_nr >> 12) & 0xfff00)
  assert.equal(136, major)
  assert.equal(n, minor)
  assert.equal(r.pid, r.tpgid, "the foreground process group of its terminal")
  -- 32 and 33 (glibc's internal signals) have their own test below
  local ign = {}
  for _, n in ipairs(signals(r.SigIgn)) do
    if n ~= 32 and n ~= 33 then ign[#ign + 1] = n end
  end
  assert.same({}, ign, "signals ignored in the child (SigIgn " .. r.SigIgn .. ")")
  assert.same({}, signals(r.SigBlk), "signals blocked in the child (SigBlk " .. r.SigBlk .. ")")
end

describe("pty.spawn(prog, args...)", function()
  it("runs a program found in PATH with string and number arguments", function()
    local p = pty.spawn("printf", "<%s>", "a b", 42, 1.5, -3)
    local out, st = all(p)
    assert.equal("<a b><42><1.5><-3>", out)
    assert.same({ true, "exit", 0 }, st)
    assert.equal("printf", p.name)
    assert.is_number(p.pid)
  end)

  it("searches the PATH the child gets and skips non-executable candidates", function()
    local d1, d2 = tmpdir(), tmpdir()
    H.write(d1 .. "/proc_hello", "#!/bin/sh\necho 'not me'\n")   -- not executable
    H.write(d2 .. "/proc_hello", "#!/bin/sh\necho \"from-path:$*\"\n")
    assert(os.execute("chmod 755 " .. H.q(d2 .. "/proc_hello")))
    local p = pty.spawn{ "proc_hello", "x", 7, env = { PATH = d1 .. ":" .. d2 .. ":/usr/bin:/bin" } }
    local out, st = all(p)
    assert.equal("from-path:x 7\r\n", out)
    assert.same({ true, "exit", 0 }, st)
    os.execute("rm -rf " .. H.q(d1) .. " " .. H.q(d2))
  end)

  it("runs a program given by path without a shell", function()
    local p = pty.spawn("/bin/echo", "$HOME", "*", "a;b")
    assert.equal("$HOME * a;b\r\n", (all(p)))
  end)
end)

describe("pty.spawn{...} and pty.sh", function()
  it("takes argv and options in one table", function()
    local p = pty.spawn{ "printf", "%s|%s", "one", 2, rows = 30 }
    local out, st = all(p)
    assert.equal("one|2", out)
    assert.same({ true, "exit", 0 }, st)
  end)

  it("pty.sh runs a command line with /bin/sh -c", function()
    local p = pty.sh("x=6; echo $((x * 7)); exit 4")
    local out, st = all(p)
    assert.equal("42\r\n", out)
    assert.same({ nil, "exit", 4 }, st)
  end)

  it("pty.sh takes options", function()
    local p = pty.sh("echo $PROC_V; pwd", { env = { PROC_V = "vv" }, cwd = "/" })
    assert.equal("vv\r\n/\r\n", (all(p)))
  end)
end)

describe("spawn options", function()
  it("env is merged into the inherited environment; false unsets; numbers convert", function()
    local home = os.getenv("HOME")
    local path = os.getenv("PATH")
    assert.truthy(home and path, "the test needs HOME and PATH")
    local p = pty.spawn{ "env", env = { PROC_A = "x y", PROC_N = 5, HOME = false } }
    local vars = set(lines((all(p))))
    assert.is_true(vars["PROC_A=x y"])
    assert.is_true(vars["PROC_N=5"])
    assert.is_true(vars["PATH=" .. path], "inherited variables stay")
    for v in pairs(vars) do
      assert.is_nil(v:match("^HOME="), "HOME was unset")
    end
  end)

  it("without env options the child gets exactly our environment, with TERM=dumb", function()
    -- (core.spawn passes environ itself then: no table of it is made)
    local f = assert(io.open("/proc/self/environ", "rb"))
    local ours = {}
    for kv in f:read("a"):gmatch("([^%z]+)") do
      if not kv:find("\n") and not kv:find("^TERM=") then ours[#ours + 1] = kv end
    end
    f:close()
    local p = pty.spawn("env")
    local vars = set(lines((all(p))))
    for _, kv in ipairs(ours) do assert.is_true(vars[kv], kv .. " reaches the child") end
    assert.is_true(vars["TERM=dumb"])
    local n = 0
    for _ in pairs(vars) do n = n + 1 end
    assert.equal(#ours + 1, n, "nothing else but TERM")
  end)

  it("with env options the child gets our environment with only those changes", function()
    local f = assert(io.open("/proc/self/environ", "rb"))
    local ours = {}
    for kv in f:read("a"):gmatch("([^%z]+)") do
      if not kv:find("\n") and not kv:find("^TERM=") and not kv:find("^HOME=") then
        ours[#ours + 1] = kv
      end
    end
    f:close()
    local p = pty.spawn{ "env", env = { PROC_X = "1", HOME = false } }
    local vars = set(lines((all(p))))
    for _, kv in ipairs(ours) do assert.is_true(vars[kv], kv .. " reaches the child") end
    assert.is_true(vars["TERM=dumb"])
    assert.is_true(vars["PROC_X=1"])
    local n = 0
    for _ in pairs(vars) do n = n + 1 end
    assert.equal(#ours + 2, n, "nothing else but TERM and PROC_X")
  end)

  it("without env options the program is searched in our PATH", function()
    local d = tmpdir()
    H.write(d .. "/proc_only_here", "#!/bin/sh\necho found-in-our-path\n")
    assert(os.execute("chmod 755 " .. H.q(d .. "/proc_only_here")))
    local path = H.script(string.format([[
      package.cpath = %q .. "/?.so;" .. package.cpath
      local pty = require "ptyscript"
      io.write(pty.spawn("proc_only_here"):expect(pty.EOF, 5).before)
    ]], H.root))
    local r = H.sh("env PATH=" .. H.q(d) .. ":/usr/bin:/bin lua5.4 " .. H.q(path))
    os.remove(path)
    os.execute("rm -rf " .. H.q(d))
    assert.equal("found-in-our-path\r\n", r.stdout, r.stderr)
  end)

  it("after clearenv() in the process (environ NULL) the child gets TERM alone", function()
    -- a C module of the script's empties the environment: glibc then sets
    -- environ to NULL, which spawn must take as no variables at all
    local d = tmpdir()
    H.write(d .. "/clearenvmod.c", [[
#include <stdlib.h>
#include <lua.h>
static int f(lua_State *L) { (void)L; clearenv(); return 0; }
int luaopen_clearenvmod(lua_State *L) { lua_pushcfunction(L, f); return 1; }
]])
    local cc = H.sh("cc -shared -fPIC $(pkg-config --cflags lua5.4) -o " .. H.q(d .. "/clearenvmod.so")
      .. " " .. H.q(d .. "/clearenvmod.c"))
    assert.is_true(cc.ok, cc.stderr)
    local r = H.run_script(string.format([[
      package.cpath = %q .. "/?.so;" .. package.cpath
      require("clearenvmod")()
      io.write(pty.spawn("/usr/bin/env"):expect(pty.EOF, 5).before)
    ]], d))
    os.execute("rm -rf " .. H.q(d))
    assert.are.equal("", r.stderr)
    assert.are.equal("TERM=dumb\r\n", r.stdout)
  end)

  it("clearenv starts from an empty environment (TERM then defaults to dumb)", function()
    local p = pty.spawn{ "/usr/bin/env", clearenv = true, env = { PROC_ONLY = "1" } }
    local got = lines((all(p)))
    table.sort(got)
    assert.same({ "PROC_ONLY=1", "TERM=dumb" }, got)
  end)

  it("cwd sets the working directory", function()
    local d = tmpdir()
    local p = pty.spawn{ "pwd", cwd = d }
    local out = all(p)
    os.execute("rmdir " .. H.q(d))
    assert.equal(d .. "\r\n", out)
  end)

  it("rows and cols set the terminal size (default 24x80)", function()
    assert.equal("33 101\r\n", (all(pty.spawn{ "stty", "size", rows = 33, cols = 101 })))
    assert.equal("24 80\r\n", (all(pty.spawn("stty", "size"))))
  end)

  it("term sets TERM", function()
    local p = pty.spawn{ "sh", "-c", "echo \"T=$TERM\"", term = "vt100" }
    assert.equal("T=vt100\r\n", (all(p)))
    p = pty.spawn{ "sh", "-c", "echo \"T=$TERM\"", term = "dumb", env = { TERM = "other" } }
    assert.equal("T=dumb\r\n", (all(p)))
  end)

  -- The child's TERM, with ptyscript's own TERM set to xterm-ish values
  -- or unset: given to the command so that its environment is known.
  local function child_term(our_term, spawn_args)
    local r = H.run_script(string.format([[
      local p = pty.spawn{ "sh", "-c", "echo \"T=${TERM-unset}\"", %s }
      io.write(p:expect(pty.EOF, 5).before)
    ]], spawn_args or ""), nil, our_term and ("env TERM=" .. our_term .. " ") or "env -u TERM ")
    assert.equal("", r.stderr)
    return r.stdout
  end

  it("TERM is dumb by default, whatever ptyscript's own TERM is", function()
    assert.equal("T=dumb\r\n", child_term("xterm-256color"))
    assert.equal("T=dumb\r\n", child_term(nil))
    -- also when the environment is built from options
    assert.equal("T=dumb\r\n", child_term("xterm", "env = { X = '1' }"))
    assert.equal("T=dumb\r\n", child_term("xterm", "cwd = '/'"))
  end)

  it("the term option and env.TERM are honoured; env.TERM = false removes TERM", function()
    assert.equal("T=xterm\r\n", child_term("vt220", "term = 'xterm'"))
    assert.equal("T=vt100\r\n", child_term("xterm", "env = { TERM = 'vt100' }"))
    assert.equal("T=unset\r\n", child_term("xterm", "env = { TERM = false }"))
    assert.equal("T=linux\r\n", child_term("xterm", "term = 'linux', screen = true"))
  end)

  it("screen = true gives xterm-256color, whatever ptyscript's own TERM is", function()
    assert.equal("T=xterm-256color\r\n", child_term("vt220", "screen = true"))
    assert.equal("T=xterm-256color\r\n", child_term(nil, "screen = true, env = { X = '1' }"))
  end)

  it("in plain Lua too, TERM is dumb by default", function()
    local path = H.script(string.format([[
      package.cpath = %q .. "/?.so;" .. package.cpath
      local pty = require "ptyscript"
      local p = pty.spawn("sh", "-c", "echo \"T=${TERM-unset}\"")
      io.write(p:expect(pty.EOF, 5).before)
    ]], H.root))
    local r1 = H.sh("env TERM=vt220 lua5.4 " .. H.q(path))
    local r2 = H.sh("env -u TERM lua5.4 " .. H.q(path))
    os.remove(path)
    assert.equal("T=dumb\r\n", r1.stdout, r1.stderr)
    assert.equal("T=dumb\r\n", r2.stdout, r2.stderr)
  end)

  it("a readline program's answer holds no escape codes by default (bc, sqlite3)", function()
    -- readline sends bracketed-paste codes (ESC[?2004h) to a capable
    -- terminal: the first number in bc's output would be 2004
    local r = H.run_script([[
      local p = pty.spawn{ "bc", "-q", echo = false }
      p:sendline("3*3")
      print(p:expect("(\\d+)")[1])
      p:sendline("quit")
      p:wait(5)
      local prog = { "sqlite3" }
      if not os.execute("command -v sqlite3 >/dev/null") then
        prog = { "python3", "-i", "-q" }   -- (readline too)
      end
      local q = pty.spawn{ table.unpack(prog) }
      local prompt = prog[1] == "sqlite3" and "sqlite> " or ">>> "
      q:expect_exact(prompt)
      q:sendline(prog[1] == "sqlite3" and "select 3*3;" or "3*3")
      local m = q:expect_exact(prompt)
      io.write((m.before:gsub("\27", "<ESC>")))
      q:sendeof()
      q:close()
    ]], nil, "env TERM=xterm ")
    assert.equal("", r.stderr)
    local first, answer = r.stdout:match("^(%d+)\n(.*)$")
    assert.equal("9", first, r.stdout)
    assert.is_nil(answer:find("<ESC>", 1, true), answer)
    assert.truthy(answer:find("\n9\r\n", 1, true), answer)
  end)

  it("echo=false turns terminal echo off before exec", function()
    local words = {}
    for w in (all(pty.spawn{ "stty", "-a", echo = false })):gmatch("[^%s;]+") do words[w] = true end
    local on = {}
    for w in (all(pty.spawn{ "stty", "-a" })):gmatch("[^%s;]+") do on[w] = true end
    assert.is_true(on["echo"])
    assert.is_nil(on["-echo"])
  end)

  it("echo=false: sent text is not echoed back", function()
    local p = pty.spawn{ "cat", echo = false }
    p:sendline("abc")
    p:sendeof()
    assert.equal("abc\r\n", (all(p)))
    -- and with echo on, the terminal echoes the line before cat prints it
    p = pty.spawn("cat")
    p:sendline("abc")
    p:sendeof()
    assert.equal("abc\r\nabc\r\n", (all(p)))
  end)

  it("timeout is the process's default expect timeout", function()
    local p = pty.spawn{ "cat", timeout = 0.3 }
    local t0 = pty.now()
    local ok, err = pcall(p.expect, p, "never")
    local dt = pty.now() - t0
    assert.is_false(ok)
    assert.equal("timeout", err.kind)
    assert.equal(0.3, err.timeout)
    assert.truthy(tostring(err):find("timeout (0.3s)", 1, true), tostring(err))
    assert.is_true(dt >= 0.25 and dt < 2, "took " .. dt)
    -- an explicit timeout still wins
    ok, err = pcall(p.expect, p, "never", 0.1)
    assert.equal(0.1, err.timeout)
    p:close()
  end)

  it("name is used in error messages", function()
    local p = pty.spawn{ "cat", name = "my-cat", timeout = 0.1 }
    assert.equal("my-cat", p.name)
    local ok, err = pcall(p.expect, p, "never")
    assert.is_false(ok)
    assert.truthy(tostring(err):find("my-cat (pid " .. p.pid, 1, true), tostring(err))
    p:close()
    assert.equal("sh", pty.sh("true").name)
  end)

  it("maxbuf bounds what is kept: m.before is never longer after a flood", function()
    local p = pty.sh("head -c 300000 /dev/zero | tr '\\0' x; echo; echo END", { maxbuf = 4096 })
    local m = p:expect("END", 10)
    assert.is_true(#m.before <= 4096, "before has " .. #m.before .. " bytes")
    assert.is_true(#m.before >= 1000, "the newest bytes are kept")
    assert.matches("^x+\r\n$", m.before)
    assert.same({ true, "exit", 0 }, { p:wait(5) })
  end)
end)

describe("spawn failures raise at spawn with the OS reason", function()
  local nfd, nkids
  before_each(function()
    collectgarbage()
    collectgarbage()
    nfd = nfds()
    nkids = #children()
  end)
  after_each(function()
    collectgarbage()
    collectgarbage()
    assert.equal(nfd, nfds(), "no descriptor leaked")
    assert.equal(nkids, #children(), "no child left behind")
  end)

  it("a missing program", function()
    local msg = raises(pty.spawn, "proc-no-such-program-here")
    assert.truthy(msg:find("No such file or directory", 1, true), msg)
    assert.truthy(msg:find("spawn_spec.lua:", 1, true), "names the caller's line: " .. msg)
    msg = raises(pty.spawn, "/nonexistent/dir/prog")
    assert.truthy(msg:find("No such file or directory", 1, true), msg)
    assert.is_nil(msg:find("hint", 1, true), msg)
  end)

  it("a program name with a space: says to give the arguments apart or use pty.sh", function()
    local msg = raises(pty.spawn, "bc -q")
    assert.truthy(msg:find('spawn bc -q: No such file or directory (not found in PATH)\n'
      .. '  hint: "bc -q" is taken as the name of one program: give its arguments apart, '
      .. 'pty.spawn("bc", "-q"), or run a command line with pty.sh("bc -q")', 1, true), msg)
    msg = raises(pty.spawn, { "/bin/echo hi there", echo = false })
    assert.truthy(msg:find('hint: "/bin/echo hi there" is taken as the name of one program: give '
      .. 'its arguments apart, pty.spawn("/bin/echo", "hi", "there"), or run a command line with '
      .. 'pty.sh("/bin/echo hi there")', 1, true), msg)
    -- a program whose name does have a space is found as it is
    local d = tmpdir()
    H.write(d .. "/my prog", "#!/bin/sh\necho ran\n")
    assert(os.execute("chmod 755 " .. H.q(d .. "/my prog")))
    local p = pty.spawn(d .. "/my prog")
    assert.equal("ran\r\n", (all(p)))
    os.execute("rm -rf " .. H.q(d))
  end)

  it("a file that is not executable", function()
    local f = H.write(os.tmpname(), "#!/bin/sh\necho hi\n")
    assert(os.execute("chmod 644 " .. H.q(f)))
    local msg = raises(pty.spawn, f)
    assert.truthy(msg:find("Permission denied", 1, true), msg)
    -- and found only as a non-executable file in PATH
    local d = tmpdir()
    H.write(d .. "/proc_noexec", "#!/bin/sh\necho hi\n")
    msg = raises(pty.spawn, { "proc_noexec", env = { PATH = d } })
    assert.truthy(msg:find("Permission denied", 1, true), msg)
    os.execute("rm -rf " .. H.q(d) .. " " .. H.q(f))
  end)

  it("a bad cwd", function()
    local msg = raises(pty.spawn, { "pwd", cwd = "/nonexistent/proc_dir" })
    assert.truthy(msg:find("No such file or directory", 1, true), msg)
    assert.truthy(msg:find("/nonexistent/proc_dir", 1, true), msg)
    msg = raises(pty.spawn, { "pwd", cwd = "/etc/passwd" })
    assert.truthy(msg:find("Not a directory", 1, true), msg)
  end)

  it("the C side gives the errno's name with its message, for the Lua side to decide on", function()
    local core = require "ptyscript.core"
    local c, msg, name = core.spawn({ "proc-no-such-program-here" }, nil, {})
    assert.is_nil(c)
    assert.equal("No such file or directory (not found in PATH)", msg)
    assert.equal("ENOENT", name)
    c, msg, name = core.spawn({ "pwd" }, nil, { cwd = "/etc/passwd" })
    assert.is_nil(c)
    assert.equal("cannot change directory to /etc/passwd: Not a directory", msg)
    assert.equal("ENOTDIR", name)
    local pw
    pw, msg, name = core.getpw("proc-no-such-user")
    assert.is_nil(pw)
    assert.equal("no such user", msg)
    assert.equal("ENOENT", name)
  end)

  it("an unknown option", function()
    local msg = raises(pty.spawn, { "cat", colour = "red" })
    assert.truthy(msg:find("colour", 1, true), msg)
    msg = raises(pty.sh, "true", { bogus = 1 })
    assert.truthy(msg:find("bogus", 1, true), msg)
  end)

  it("bad argument types", function()
    raises(pty.spawn)
    raises(pty.spawn, {})
    raises(pty.spawn, "echo", {})
    raises(pty.spawn, "echo", true)
    raises(pty.spawn, { "echo", {} })
    raises(pty.spawn, { 42 == 42 })
    raises(pty.spawn, { "cat", env = "X=1" })
    raises(pty.spawn, { "cat", env = { X = {} } })
    raises(pty.spawn, { "cat", cwd = 5 })
    raises(pty.spawn, { "cat", rows = "24" })
    raises(pty.spawn, { "cat", term = 1 })
    raises(pty.spawn, { "cat", timeout = "soon" })
    raises(pty.spawn, { "cat", timeout = -1 })
    raises(pty.spawn, { "cat", name = {} })
    raises(pty.sh, 42)
    raises(pty.sh, "true", "not options")
  end)

  it("an environment variable name with =", function()
    local msg = raises(pty.spawn, { "cat", env = { ["A=B"] = "x" } })
    assert.truthy(msg:find("A=B", 1, true), msg)
    raises(pty.spawn, { "cat", env = { [""] = "x" } })
  end)

  it("rows or cols out of range", function()
    raises(pty.spawn, { "cat", rows = 0 })
    raises(pty.spawn, { "cat", rows = 65536 })
    raises(pty.spawn, { "cat", cols = -1 })
    raises(pty.spawn, { "cat", cols = 0 })
    raises(pty.spawn, { "cat", rows = 2.5 })
  end)
end)

describe("wrong argument types", function()
  -- raises(text, f): f's error names its line and starts with text
  local raises = H.raises

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
end)

describe("files that cannot be run", function()
  -- raises(text, f): f's error names its line and starts with text
  local raises = H.raises

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

describe("the environment", function()
  -- raises(text, f): f's error names its line and starts with text
  local raises = H.raises

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

describe("the child's setup", function()
  it("is a session leader on its pty, fds 0-2 only, default signals, empty mask", function()
    local p = pty.spawn("sh", "-c", REPORT)
    local out, st = all(p)
    assert.same({ true, "exit", 0 }, st)
    local r = parse_report(out)
    check_report(r, p.pid)
    assert.equal(H.pid(), r.ppid)
  end)

  it("echo=false, rows and a busy parent change nothing of that", function()
    local other = pty.spawn("cat")
    local f = assert(io.open("/etc/hostname"))
    local p = pty.spawn{ "sh", "-c", REPORT, echo = false, rows = 10 }
    local r = parse_report((all(p)))
    f:close()
    other:close()
    check_report(r, p.pid)
  end)

  -- A parent that ignores INT and PIPE, blocks signals and has extra
  -- descriptors open (some inherited, some its own, another session).
  local function hostile(runner)
    local x = os.tmpname()
    local base = os.tmpname()
    local wrapper = H.write(base .. ".py", [[
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM, signal.SIGALRM})
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGQUIT, signal.SIG_IGN)
os.execvp(sys.argv[1], sys.argv[1:])
]])
    local prefix = string.format(
      "sh -c 'trap \"\" INT PIPE; exec 7</etc/hostname 8>%s; exec python3 %s \"$@\"' sh ", x, wrapper)
    local src = string.format([[
      package.cpath = %q .. "/?.so;" .. package.cpath
      local pty = require "ptyscript"
      local REPORT = %q
      local own1 = assert(io.open("/etc/hostname"))
      local tmpf = os.tmpname()
      local own2 = assert(io.open(tmpf, "w"))
      local other = pty.spawn{ "cat", echo = false }
      other:sendline("ping")
      other:expect("ping")
      local st = assert(io.open("/proc/self/status")):read("a")
      print("PARENT_SIGIGN " .. st:match("SigIgn:%%s*(%%x+)"))
      print("PARENT_SIGBLK " .. st:match("SigBlk:%%s*(%%x+)"))
      local me = assert(io.open("/proc/self/stat")):read("a"):match("^%%d+")
      local ls = io.popen("ls /proc/" .. me .. "/fd")
      print("PARENT_FDS " .. ls:read("a"):gsub("%%s+", " "))
      ls:close()
      local p = pty.spawn("sh", "-c", REPORT)
      print("CHILD_PID " .. p.pid)
      io.write(p:expect(pty.EOF, 5).before)
      print("CHILD_WAIT " .. table.concat({ tostring(p:wait(5)) }, " "))
      other:close()
      own1:close()
      own2:close()
      os.remove(tmpf)
    ]], H.root, REPORT)
    local r = runner(src, prefix)
    os.remove(x)
    os.remove(wrapper)
    os.remove(base)
    return r
  end

  local function check_hostile(r)
    assert.equal(0, r.code, r.stderr)
    local out = r.stdout
    local ign = tonumber(out:match("PARENT_SIGIGN (%x+)"), 16)
    local blk = tonumber(out:match("PARENT_SIGBLK (%x+)"), 16)
    assert.are_not.equal(0, ign, "the parent really ignores signals")
    assert.are_not.equal(0, blk, "the parent really blocks signals")
    local pfds = set({})
    for n in out:match("PARENT_FDS ([^\n]*)"):gmatch("%d+") do pfds[tonumber(n)] = true end
    assert.is_true(pfds[7] and pfds[8], "the parent has the inherited fds 7 and 8")
    local pid = tonumber(out:match("CHILD_PID (%d+)"))
    assert.truthy(pid)
    assert.truthy(out:find("CHILD_WAIT true", 1, true), out)
    check_report(parse_report(out:match("CHILD_PID %d+\n(.*)CHILD_WAIT")), pid)
  end

  it("is clean even when the ptyscript command's parent is hostile", function()
    check_hostile(hostile(function(src, prefix)
      return H.run_script(src, nil, prefix)
    end))
  end)

  it("is clean even when a plain lua5.4 parent is hostile", function()
    check_hostile(hostile(function(src, prefix)
      local path = H.script(src)
      local r = H.sh(prefix .. "lua5.4 " .. H.q(path))
      os.remove(path)
      return r
    end))
  end)

  -- Without close_range (the portable build, which make check-asan uses)
  -- the child closes every number up to the open-file limit (which the
  -- command raises to the hard one).
  it("gets none of the parent's descriptors far above the first ones, up to the open-file limit", function()
    local wrapper = H.write(H.tmpname() .. ".py", [[
import os, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
fd = os.open("/etc/hostname", os.O_RDONLY)
fds = sorted(set(n for n in (255, 256, 1023, 1024, hard - 1) if n < hard))
for n in fds:
    os.dup2(fd, n)
os.execv(sys.argv[1], sys.argv[1:] + [" ".join(map(str, fds))])
]])
    local r = H.run_script(string.format([[
      for n in arg[1]:gmatch("%%d+") do
        assert(io.open("/proc/self/fd/" .. n), "the parent has no fd " .. n)
      end
      local p = pty.spawn("sh", "-c", %q)
      print("CHILD_PID " .. p.pid)
      io.write(p:expect(pty.EOF, 5).before)
      print("CHILD_WAIT " .. table.concat({ tostring(p:wait(5)) }, " "))
    ]], REPORT), nil, "python3 " .. H.q(wrapper) .. " ")
    os.remove(wrapper)
    assert.equal(0, r.code, r.stderr)
    local pid = tonumber(r.stdout:match("CHILD_PID (%d+)"))
    assert.truthy(r.stdout:find("CHILD_WAIT true", 1, true), r.stdout)
    check_report(parse_report(r.stdout:match("CHILD_PID %d+\n(.*)CHILD_WAIT")), pid)
  end)

  -- glibc's system() and posix_spawn() (so make, os.execute, busted run
  -- by make ...) leave signals 32 and 33 ignored in what they start, and
  -- glibc's sigaction() refuses to touch them; an ignored disposition
  -- survives exec, so the child must still get SIG_DFL for them.
  it("has default dispositions also for signals 32 and 33 (glibc-reserved)", function()
    local src = string.format([[
      package.cpath = %q .. "/?.so;" .. package.cpath
      local pty = require "ptyscript"
      local st = assert(io.open("/proc/self/status")):read("a")
      print("PARENT_SIGIGN " .. st:match("SigIgn:%%s*(%%x+)"))
      local p = pty.spawn("cat", "/proc/self/status")
      io.write(p:expect(pty.EOF, 5).before)
    ]], H.root)
    local path = H.script(src)
    local r = H.sh("lua5.4 " .. H.q(path))   -- started by system()
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    local parent = r.stdout:match("PARENT_SIGIGN (%x+)")
    local child = r.stdout:match("\nSigIgn:%s*(%x+)")
    assert.truthy(child, r.stdout)
    assert.same({}, signals(child), "ignored in the child (the parent ignores "
      .. table.concat(signals(parent), ",") .. ")")
  end)
  -- The command raises its own open-file limit, and holding a secret sets
  -- its core size to 0: a child gets the limits ptyscript started with,
  -- whether it starts before the first secret or after.
  it("gets the open-file and core limits ptyscript started with, also after a secret", function()
    local r = H.run_script([[
      local function core(text) return text:match("Max core file size%s+(%S+)") end
      local function limits(p)
        local text = p:expect(pty.EOF, 5).before
        p:close()
        return text:match("Max open files%s+(%S+)") .. " " .. core(text)
      end
      -- (a sanitizer may set ptyscript's own core limit at start)
      print("ours " .. core(io.open("/proc/self/limits"):read("a")))
      print("before " .. limits(pty.spawn("cat", "/proc/self/limits")))
      local p = pty.spawn("cat")
      p:send("x", {secret = true})
      p:close()
      print("after " .. limits(pty.spawn("cat", "/proc/self/limits")))
      print("ours " .. core(io.open("/proc/self/limits"):read("a")))
    ]], nil, "ulimit -S -n 1000; ulimit -S -c 100; ")
    assert.equal(0, r.code, r.stderr)
    local start = r.stdout:match("^ours (%d+)\n")
    assert.truthy(start, r.stdout)
    assert.equal(string.format("ours %s\nbefore 1000 %s\nafter 1000 %s\nours 0\n", start, start, start),
      r.stdout)
  end)
end)

-- Exhaustion.  `ulimit -n 64` (soft and hard, so ptyscript cannot raise
-- it): spawn must work until descriptors run out, then raise an error
-- naming the reason ("Too many open files"); running sessions keep
-- working; a failed spawn leaks nothing (as many sessions open again
-- after closing them all).  Pty exhaustion is provoked for real, but
-- safely: in a private mount namespace with a private devpts instance
-- limited to 6 ptys (`max=6`); the global /proc/sys/kernel/pty/max is
-- never touched.  Without the privileges for that the test is pending.
describe("exhaustion", function()
  -- Open sessions until spawn fails; then check the error, that the open
  -- ones still work, that a spawn works again after one is closed, and
  -- that as many open again after closing them all (nothing leaked by the
  -- failed attempts).
  local EXHAUST = [[
local function open_all()
  local ps, err = {}, nil
  for _ = 1, 500 do
    local ok, p = pcall(pty.spawn, { "cat", echo = false })
    if not ok then err = tostring(p) break end
    ps[#ps + 1] = p
  end
  return ps, err
end
local ps, err = open_all()
print("opened " .. #ps)
print("error " .. tostring(err):gsub("\n", " "))
local failed = 0
for _ = 1, 10 do
  if not pcall(pty.spawn, "cat") then failed = failed + 1 end
end
print("failed_again " .. failed)
local working = 0
for i, p in ipairs(ps) do
  p:sendline("ping " .. i)
  local m = p:expect({ "ping (\\d+)\r\n", pty.TIMEOUT }, 5)
  if m[1] == tostring(i) then working = working + 1 end
end
print("working " .. working)
local again = false
if #ps > 0 then
  ps[#ps]:close()
  ps[#ps] = nil
  local ok, p = pcall(pty.spawn, { "cat", echo = false })
  if ok then
    p:sendline("pong")
    again = p:expect({ "pong\r\n", pty.TIMEOUT }, 5).index == 1
    p:close()
  end
end
print("again " .. tostring(again))
for _, p in ipairs(ps) do p:close() end
ps = nil
collectgarbage()
local ps2 = open_all()
print("reopened " .. #ps2)
for _, p in ipairs(ps2) do p:close() end
]]

  local function check(r, expect_n, reason, min_n)
    assert.equal(0, r.code, r.stderr)
    local f = fields(r.stdout)
    local n = tonumber(f.opened)
    assert.truthy(n, r.stdout)
    print(string.format("\n  opened %s sessions, then: %s", f.opened, f.error))
    if expect_n then
      assert.equal(expect_n, n, "sessions opened before exhaustion; error: " .. f.error)
    else
      assert.is_true(n >= min_n, "only " .. n .. " sessions opened; error: " .. f.error)
    end
    assert.truthy(f.error:find("%.lua:%d+: spawn cat: "), "names the script's line and the program: " .. f.error)
    assert.truthy(f.error:find(reason, 1, true), "names the reason (" .. reason .. "): " .. f.error)
    assert.equal("10", f.failed_again)
    assert.equal(tostring(n), f.working, "running sessions keep working")
    assert.equal("true", f.again, "a spawn works again once a session is closed")
    assert.equal(tostring(n), f.reopened, "as many sessions after closing them all")
  end

  it("of descriptors (ulimit -n 64): spawn raises 'Too many open files', sessions keep working", function()
    local r = H.run_script(EXHAUST, nil, "ulimit -n 64; exec timeout -s KILL 60 ")
    -- each session holds two descriptors (the master and a pidfd): about
    -- 28 fit in 64
    check(r, nil, "Too many open files", 10)
  end)

  it("of descriptors (ulimit -n 128): the same with more room", function()
    local r = H.run_script(EXHAUST, nil, "ulimit -n 128; exec timeout -s KILL 60 ")
    check(r, nil, "Too many open files", 40)
  end)

  -- A private devpts instance with room for 6 ptys, in a private mount
  -- namespace: the machine's ptys are not touched.
  local PRIVATE_PTS = "unshare --mount --propagation private sh -c "
    .. "'mount -t devpts -o newinstance,ptmxmode=0666,mode=620,max=6 devpts /dev/pts "
    .. "&& mount --bind /dev/pts/ptmx /dev/ptmx && exec \"$0\" \"$@\"' "
  local can_unshare = H.sh(PRIVATE_PTS .. "true").code == 0

  it("of ptys (a private devpts with max=6): spawn raises naming the pty and the reason", function()
    if not can_unshare then
      pending("needs unshare --mount and mount -t devpts (root with CAP_SYS_ADMIN)")
      return
    end
    local r = H.run_script(EXHAUST, nil, PRIVATE_PTS .. "timeout -s KILL 60 ")
    check(r, 6, "No space left on device")
    local f = fields(r.stdout)
    assert.truthy(f.error:find("pty", 1, true) or f.error:find("pseudo", 1, true),
      "the error says a pty could not be had: " .. f.error)
  end)
end)
