-- The process object: expecting, reading, waiting, signalling, closing
-- and collecting, against real programs on real ptys.  With its bad input
-- and faults: wrong arguments to its methods, a method called with . for
-- :, use after the end, window sizes out of range, a process collected
-- while it runs, and leaks over 5,000 cycles.  (Sending: send_spec.)
local pty = require "ptyscript"
local H = require "helpers"

local NAN = 0 / 0
local check, raises, victim, intact = H.check, H.raises, H.victim, H.intact

-- The python3 binary itself (not a pyenv shim), so children start fast
-- and keep their pid.
local PY = H.sh("python3 -c 'import sys; print(sys.executable)'").stdout:match("[^\n]+")

-- A child that ignores SIGHUP and SIGINT, says "ready" and sleeps.
local STUBBORN = [[
import signal, time
signal.signal(signal.SIGHUP, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(30)
]]

-- A child that prints its terminal size on every SIGWINCH.
local WINCH = [[
import os, signal
def on_winch(sig, frame):
    sz = os.get_terminal_size(0)
    print("winch", sz.lines, sz.columns, flush=True)
signal.signal(signal.SIGWINCH, on_winch)
print("ready", flush=True)
while True:
    signal.pause()
]]

local nfds = H.nfds

local children = H.children

-- Live (not zombie) processes in session sid.
local function session(sid)
  local r = H.sh("cat /proc/[0-9]*/stat 2>/dev/null")
  local list = {}
  for line in r.stdout:gmatch("[^\n]+") do
    local pid, rest = line:match("^(%d+) %b() (.*)$")
    if pid then
      local f = {}
      for w in rest:gmatch("%S+") do f[#f + 1] = w end
      if tonumber(f[4]) == sid and f[1] ~= "Z" then list[#list + 1] = tonumber(pid) end
    end
  end
  return list
end

-- Clean up what a test left in session sid (grandchildren ignoring HUP).
local function kill_session(sid)
  local list = session(sid)
  if #list > 0 then os.execute("kill -9 " .. table.concat(list, " ") .. " 2>/dev/null") end
end

-- Reaped (no zombie left): its /proc entry is gone.
local function gone(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if f then f:close() return false end
  return true
end

local function contains(list, x)
  for _, v in ipairs(list) do if v == x then return true end end
  return false
end

local function status(p, t)
  return { p:wait(t or 5) }
end

describe("expect", function()
  it("a single pattern: groups, named groups, before, index; matches span reads", function()
    local p = pty.sh("echo alpha 123 beta; printf ab; sleep 0.2; printf 'cd\\n'")
    local m = p:expect("(\\d+) (?<w>\\w+)")
    assert.equal("123 beta", m[0])
    assert.equal("123", m[1])
    assert.equal("beta", m[2])
    assert.equal("beta", m.w)
    assert.equal("alpha ", m.before)
    assert.equal(1, m.index)
    m = p:expect("abcd")
    assert.equal("\r\n", m.before)
    m = p:expect(pty.EOF)
    assert.is_nil(m[0])
    assert.equal("\r\n", m.before)
    assert.equal(1, m.index)
  end)

  it("a list: the earliest match wins, a tie goes to the earlier pattern", function()
    local p = pty.sh("echo one two three")
    local m = p:expect({ "three", "nothing", "t\\w+" })
    assert.equal(3, m.index)
    assert.equal("two", m[0])
    assert.equal("one ", m.before)
    m = p:expect({ "th", "thr(ee)" })
    assert.equal(1, m.index)
    assert.equal(" ", m.before)
    m = p:expect({ "never", pty.EOF })
    assert.equal(2, m.index)
    assert.is_nil(m[0])
    assert.equal("ree\r\n", m.before)
  end)

  it("exact strings are literal", function()
    local p = pty.sh("echo 'axb a.b (x)+ end'")
    local m = p:expect(pty.exact("a.b"))
    assert.equal("axb ", m.before)
    m = p:expect_exact("(x)+")
    assert.equal("(x)+", m[0])
    assert.equal(" ", m.before)
    m = p:expect_exact({ "nope", "end" })
    assert.equal(2, m.index)
  end)

  it("pty.TIMEOUT as a pattern shows what arrived and leaves it unconsumed", function()
    local p = pty.sh("echo partial; exec sleep 30")
    p:expect("partial")
    p:sendline("more")   -- echoed by the terminal; sleep never reads it
    p:expect("more")
    local t0 = pty.now()
    local m = p:expect({ "never", pty.TIMEOUT }, 0.2)
    local dt = pty.now() - t0
    assert.equal(2, m.index)
    assert.is_nil(m[0])
    assert.equal("\r\n", m.before)
    assert.is_true(dt >= 0.15 and dt < 2, "took " .. dt)
    -- still there for the next call
    m = p:expect("\r\n", 0)
    assert.equal("", m.before)
    p:close()
  end)

  it("an unlisted timeout raises an error object", function()
    local p = pty.sh("echo partial; exec sleep 30", { name = "sleeper" })
    p:expect("partial")
    local ok, err = pcall(p.expect, p, "never", 0.2)
    assert.is_false(ok)
    assert.equal("timeout", err.kind)
    assert.equal(p, err.process)
    assert.equal(0.2, err.timeout)
    assert.equal("\r\n", err.before)
    local msg = tostring(err)
    assert.truthy(msg:find("process_spec.lua:", 1, true), msg)
    assert.truthy(msg:find("never", 1, true), msg)
    assert.truthy(msg:find("sleeper (pid " .. p.pid .. ", running)", 1, true), msg)
    p:close()
  end)

  it("an unlisted EOF raises an error object", function()
    local p = pty.sh("echo bye; exit 5")
    local ok, err = pcall(p.expect, p, "never", 5)
    assert.is_false(ok)
    assert.equal("eof", err.kind)
    assert.equal("bye\r\n", err.before)
    assert.same({ nil, "exit", 5 }, status(p))
  end)
end)

describe("read and readline", function()
  it("read returns whatever arrives, then nil, 'eof'", function()
    local p = pty.spawn("echo", "hi there")
    local got = {}
    while true do
      local s, err = p:read(5)
      if not s then
        assert.equal("eof", err)
        break
      end
      assert.is_true(#s > 0)
      got[#got + 1] = s
    end
    assert.equal("hi there\r\n", table.concat(got))
    assert.same({ nil, "eof" }, { p:read(1) })
  end)

  it("read gives nil, 'timeout' when nothing arrives", function()
    local p = pty.spawn("cat")
    local t0 = pty.now()
    assert.same({ nil, "timeout" }, { p:read(0.15) })
    assert.is_true(pty.now() - t0 >= 0.1)
    p:send("ping")
    local s = p:read(5)
    assert.equal("ping", ("ping"):sub(1, #s))   -- the echo, or its first part
    p:close()
  end)

  it("readline returns lines without \\r\\n, a last line without newline, then eof", function()
    local p = pty.sh("printf 'a\\nbb\\n\\nlast'")
    assert.equal("a", p:readline(5))
    assert.equal("bb", p:readline(5))
    assert.equal("", p:readline(5))
    assert.equal("last", p:readline(5))
    assert.same({ nil, "eof" }, { p:readline(5) })
    assert.same({ nil, "eof" }, { p:readline(5) })
  end)

  it("readline gives nil, 'timeout' and keeps a partial line", function()
    local p = pty.spawn("cat")
    p:send("abc")                       -- echoed, no newline yet
    assert.same({ nil, "timeout" }, { p:readline(0.2) })
    p:sendline("def")
    assert.equal("abcdef", p:readline(5))   -- the echo
    assert.equal("abcdef", p:readline(5))   -- cat's copy
    p:close()
  end)
end)

describe("wait", function()
  it("returns as os.execute does", function()
    assert.same({ true, "exit", 0 }, status(pty.sh("exit 0")))
    assert.same({ nil, "exit", 3 }, status(pty.sh("exit 3")))
    assert.same({ nil, "signal", 9 }, status(pty.sh("kill -9 $$")))
  end)

  it("gives nil, 'timeout' while running, and the same answer twice", function()
    local p = pty.spawn("cat")
    local t0 = pty.now()
    assert.same({ nil, "timeout" }, status(p, 0.15))
    assert.is_true(pty.now() - t0 >= 0.1)
    p:sendeof()
    assert.same({ true, "exit", 0 }, status(p))
    assert.same({ true, "exit", 0 }, status(p))
    local q = pty.sh("exit 3")
    assert.same({ nil, "exit", 3 }, status(q))
    assert.same({ nil, "exit", 3 }, status(q, 0))
  end)

  it("returns promptly when a background grandchild keeps the terminal open", function()
    local p = pty.sh("sleep 5 & echo hi")
    local t0 = pty.now()
    assert.same({ true, "exit", 0 }, status(p, 4))
    assert.is_true(pty.now() - t0 < 1, "wait took " .. (pty.now() - t0))
    local m = p:expect("hi", 0)   -- already in the buffer
    assert.equal("hi", m[0])
    p:close()
    kill_session(p.pid)
  end)

  it("returns promptly when the grandchild ignores SIGHUP and stays", function()
    local p = pty.sh("trap '' HUP; sleep 5 & echo hi")
    local t0 = pty.now()
    assert.same({ true, "exit", 0 }, status(p, 4))
    assert.is_true(pty.now() - t0 < 1, "wait took " .. (pty.now() - t0))
    assert.equal("hi", p:expect("hi", 0)[0])
    assert.is_true(#session(p.pid) >= 1, "the sleep still holds the terminal")
    -- so no EOF comes (a short look: this proves a negative)
    assert.equal(2, p:expect({ pty.EOF, pty.TIMEOUT }, 0.1).index)
    p:close()
    kill_session(p.pid)
  end)
end)

describe("started with SIGCHLD ignored", function()
  -- (some CI runners and daemons start programs so: the kernel would then
  -- reap every child at once, and no exit status could be known)
  local IGNORE = [[python3 -c 'import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execvp(sys.argv[1], sys.argv[1:])' ]]
  local SRC = [[
local p = pty.sh("exit 3")
print(p:wait(5))
print(os.execute("exit 4"))
p:close()
]]

  it("the command still knows every exit status", function()
    local path = H.script(SRC)
    local r = H.sh(IGNORE .. H.q(H.bin) .. " " .. H.q(path))
    os.remove(path)
    assert.equal("", r.stderr)
    assert.equal("nil\texit\t3\nnil\texit\t4\n", r.stdout)
  end)

  it("so does plain Lua once the module is loaded", function()
    local path = H.script(string.format("package.cpath = %q .. '/?.so;' .. package.cpath\n"
      .. "local pty = require 'ptyscript'\n", H.root) .. SRC)
    local r = H.sh(IGNORE .. "lua5.4 " .. H.q(path))
    os.remove(path)
    assert.equal("", r.stderr)
    assert.equal("nil\texit\t3\nnil\texit\t4\n", r.stdout)
  end)
end)

-- Without pidfds (the portable build, which make check-asan runs) exits
-- are seen through SIGCHLD: a mask inherited with it blocked would hide
-- every exit, and a wait without a timeout would never return.
describe("started with SIGCHLD blocked", function()
  it("the command still sees every exit", function()
    local path = H.script([[
      for i = 1, 3 do
        local p = pty.sh("sleep 0.05; exit " .. i)
        print(p:wait())
        p:close()
      end
    ]])
    local r = H.sh([[timeout 20 python3 -c 'import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
os.execvp(sys.argv[1], sys.argv[1:])' ]] .. H.q(H.bin) .. " " .. H.q(path))
    os.remove(path)
    assert.equal("", r.stderr)
    assert.equal("nil\texit\t1\nnil\texit\t2\nnil\texit\t3\n", r.stdout)
  end)
end)

describe("alive, kill, terminate", function()
  it("alive tells whether the child runs", function()
    local p = pty.spawn("cat")
    assert.is_true(p:alive())
    p:kill("KILL")
    p:wait(5)
    assert.is_false(p:alive())
  end)

  it("kill sends TERM by default, and takes names and numbers", function()
    local cases = {
      { nil, 15, "TERM" }, { "TERM", 15, "TERM" }, { "SIGTERM", 15, "TERM" },
      { "HUP", 1, "HUP" }, { "SIGINT", 2, "INT" }, { 9, 9, "KILL" }, { 10, 10, "USR1" },
    }
    for _, c in ipairs(cases) do
      local p = pty.spawn("cat")
      if c[1] == nil then p:kill() else p:kill(c[1]) end
      assert.same({ nil, "signal", c[2] }, status(p), tostring(c[1]))
      assert.equal(c[3], p.signal)
    end
  end)

  it("kill with an unknown name raises and signals nothing", function()
    local p = pty.spawn("cat")
    local ok, err = pcall(p.kill, p, "NOSUCHSIG")
    assert.is_false(ok)
    assert.truthy(tostring(err):find("NOSUCHSIG", 1, true), tostring(err))
    assert.is_false(pcall(p.kill, p, {}))
    assert.same({ nil, "timeout" }, status(p, 0.1))
    assert.is_true(p:alive())
    p:close()
  end)

  it("terminate ends cat with HUP", function()
    local p = pty.spawn("cat")
    assert.is_true(p:terminate())
    assert.is_false(p:alive())
    assert.equal("HUP", p.signal)
  end)

  it("terminate() fails on a child ignoring HUP and INT; terminate(true) kills it", function()
    local p = pty.spawn(PY, "-c", STUBBORN)
    p:expect("ready\r\n")
    assert.is_false(p:terminate())
    assert.is_true(p:alive())
    local ok, err = pcall(p.terminate, p, "yes")   -- not a boolean: no KILL by accident
    assert.is_false(ok)
    assert.matches("force must be true or false", err)
    assert.is_true(p:alive())
    assert.is_true(p:terminate(true))
    assert.is_false(p:alive())
    assert.equal("KILL", p.signal)
    assert.is_nil(p.exitcode)
    assert.same({ nil, "signal", 9 }, status(p))
    assert.same({ nil, "signal", 9 }, { p:close() })
    assert.is_true(gone(p.pid), "reaped by close")
  end)
end)

describe("close", function()
  it("returns promptly for cat and reaps it", function()
    local p = pty.spawn("cat")
    local t0 = pty.now()
    p:close()
    local dt = pty.now() - t0
    assert.is_true(dt < 0.5, "close took " .. dt)
    assert.is_false(p:alive())
    assert.equal("HUP", p.signal)
    assert.is_true(gone(p.pid), "reaped")
    p:close()   -- again: nothing happens
    assert.equal("HUP", p.signal)
  end)

  it("kills a child that ignores HUP after the grace period", function()
    local p = pty.spawn(PY, "-c", STUBBORN)
    p:expect("ready\r\n")
    local t0 = pty.now()
    p:close{ grace = 0.2 }
    local dt = pty.now() - t0
    assert.is_true(dt >= 0.15 and dt < 1, "close took " .. dt)
    assert.equal("KILL", p.signal)
    assert.is_true(gone(p.pid), "reaped")
  end)

  it("local p <close> closes at the end of the scope, also on error", function()
    local keep, pid
    finally(function() if keep then keep:close() end end)
    do
      local p <close> = pty.spawn("cat")
      keep, pid = p, p.pid
      assert.is_true(p:alive())
    end
    assert.is_false(keep:alive())
    assert.is_true(gone(pid), "reaped")
    local ok, err = pcall(function()
      local p <close> = pty.spawn("cat")
      keep, pid = p, p.pid
      error("boom", 0)
    end)
    assert.is_false(ok)
    assert.equal("boom", err)   -- the scope's error, not one from closing
    assert.is_false(keep:alive())
    assert.is_true(gone(pid), "reaped")
  end)
end)

describe("an exited child's pid", function()
  -- The state letter of a process (R, S, Z...), or nil when it is gone.
  local function state(pid)
    local f = io.open("/proc/" .. pid .. "/stat")
    if not f then return nil end
    local s = f:read("a") or ""
    f:close()
    return s:match("^%d+ %b() (%S)")
  end

  local function running(pid)
    local st = state(pid)
    return st ~= nil and st ~= "Z"
  end

  it("stays held by its zombie until close: the status is known at once, the reap waits", function()
    local p = pty.sh("echo bye; exit 3")
    local told
    p:on("exit", function(_, ...) told = { ... } end)
    assert.same({ nil, "exit", 3 }, { p:wait(5) })
    assert.equal(3, p.exitcode)
    assert.is_false(p:alive())
    assert.is_true(H.eventually(function() return told ~= nil end, 5))
    assert.same({ nil, "exit", 3 }, told)
    -- not reaped yet: nobody else can be given this pid (or group id)
    assert.equal("Z", state(p.pid))
    assert.is_false(p:kill("TERM"))   -- and nothing is signalled
    assert.same({ nil, "exit", 3 }, { p:close() })
    assert.is_true(gone(p.pid), "reaped by close")
    assert.same({ nil, "exit", 3 }, { p:wait() })
  end)

  -- root: writes /proc/sys/kernel/ns_last_pid
  local it_root = H.sh("id -u").stdout == "0\n" and it or pending

  -- Ask the kernel to give `pid` to the next process, a stranger that
  -- leads a group of its own (setsid): the group id close signals.
  -- Another process of the machine may take the pid first: try a few
  -- times.  Returns the stranger's pid (maybe another) and a function
  -- that ends it and tells whether something else had signalled it.
  local function stranger_after(pid)
    local stranger, handle
    for i = 1, 20 do
      local f = assert(io.open("/proc/sys/kernel/ns_last_pid", "w"))
      f:write(tostring(pid - 1))
      f:close()
      handle = io.popen("echo $$; exec setsid sleep 30")
      stranger = tonumber(handle:read("l"))
      if stranger == pid or i == 20 then break end
      os.execute("kill -9 " .. stranger)
      handle:close()
    end
    assert.is_true(H.eventually(function()   -- it has its own group now
      local st = H.read("/proc/" .. stranger .. "/stat") or ""
      local pgrp = st:match("^%d+ %b() %S+ %d+ (%d+)")
      return tonumber(pgrp) == stranger and st:find("(sleep)", 1, true)
    end, 5))
    local ended = false
    local function finish()
      if ended then return end
      ended = true
      -- TERM it: it dies of the lowest signal pending, so of TERM unless
      -- it was signalled before (HUP, or KILL)
      os.execute("kill -TERM " .. stranger)
      return select(3, handle:close())
    end
    finally(finish)
    return stranger, finish
  end

  it_root("is not given to a stranger before close, which signals the child's group", function()
    local p = pty.spawn("true")
    assert.is_true((p:wait(5)))
    local stranger, finish = stranger_after(p.pid)
    p:close()
    assert.equal(15, finish(), "close signalled the stranger given pid " .. stranger)
    assert.are_not.equal(p.pid, stranger, "the child's pid was given away before close")
  end)

  -- Without pidfds a pid is all there is: once somebody else has reaped
  -- the child, another child of this process given the same pid cannot
  -- be told from it (a limit of the portable build, in the manual).
  local build = require("ptyscript.core").build
  local it_pidfd = build.pidfd and it_root or pending
  -- reap(pid): a C module of the script's that reaps a child itself
  -- (waitpid), behind ptyscript's back.
  local function reaper()
    local d = H.tmpdir()
    finally(function() os.execute("rm -rf " .. H.q(d)) end)
    H.write(d .. "/reapmod.c", [[
#include <sys/wait.h>
#include <lauxlib.h>
static int f(lua_State *L)
{
	int st;
	lua_pushinteger(L, waitpid((pid_t)luaL_checkinteger(L, 1), &st, 0));
	return 1;
}
int luaopen_reapmod(lua_State *L) { lua_pushcfunction(L, f); return 1; }
]])
    local cc = H.sh("cc -shared -fPIC $(pkg-config --cflags lua5.4) -o " .. H.q(d .. "/reapmod.so")
      .. " " .. H.q(d .. "/reapmod.c"))
    assert.is_true(cc.ok, cc.stderr)
    return package.loadlib(d .. "/reapmod.so", "luaopen_reapmod")()
  end

  it_pidfd("reaped behind ptyscript's back, is never signalled again", function()
    local reap = reaper()
    local p = pty.sh("read x; exit 3")
    p:sendline("go")
    assert.equal(p.pid, reap(p.pid))   -- waits for the exit, reaps it
    local stranger, finish = stranger_after(p.pid)
    assert.equal(stranger, p.pid, "the stranger did not get the reaped pid (busy machine?)")
    p:close()
    assert.equal(15, finish(), "close signalled the stranger given pid " .. stranger)
    assert.same({ nil, "exit", -1 }, { p:wait() })   -- the status went to the reaper
  end)

  it("reaped behind ptyscript's back, is told as an exit at the first question (alive, tostring)", function()
    local reap = reaper()
    for _, ask in ipairs{ "alive", "tostring", "kill" } do
      local p = pty.sh("read x; exit 3")
      p:sendline("go")
      assert.equal(p.pid, reap(p.pid))
      if ask == "alive" then
        assert.is_false(p:alive())
      elseif ask == "tostring" then
        assert.matches("exited %-1", tostring(p))
      else
        assert.is_false(p:kill("TERM"))   -- nothing is sent: the pid is not ours
      end
      assert.is_false(p:alive())
      assert.equal(-1, p.exitcode)
      assert.same({ nil, "exit", -1 }, { p:wait(5) })
      p:close()
    end
  end)

  it("close kills a background job the child left in its group, after the grace", function()
    local p = pty.sh([=[sh -c 'trap "" HUP; echo "bg=$$ ready"; exec sleep 300' & wait]=])
    local bg = tonumber(p:expect("bg=(\\d+) ready", 5)[1])
    finally(function() os.execute("kill -9 " .. bg .. " 2>/dev/null") end)
    local t0 = pty.now()
    assert.same({ nil, "signal", 1 }, { p:close{ grace = 0.3 } })
    local dt = pty.now() - t0
    -- (without /proc a live member cannot be told from the zombie
    -- leader: close does not wait for it, it only kills it)
    assert.is_true((dt >= 0.25 or not build.proc) and dt < 2, "close took " .. dt)
    assert.is_true(H.eventually(function() return not running(bg) end, 2),
      "the background job survived close")
    assert.is_true(gone(p.pid), "reaped by close")
  end)

  it("close waits for a background job that closes of other sessions saw before", function()
    -- Each close looks at the machine's processes and remembers their
    -- sessions; what it remembers must not hide a later close's members.
    local p = pty.sh([=[sh -c 'trap "" HUP; echo "bg=$$ ready"; exec sleep 300' & wait]=])
    local bg = tonumber(p:expect("bg=(\\d+) ready", 5)[1])
    finally(function() os.execute("kill -9 " .. bg .. " 2>/dev/null") end)
    for _ = 1, 3 do pty.spawn{ "cat" }:close() end   -- they look at bg too
    local t0 = pty.now()
    assert.same({ nil, "signal", 1 }, { p:close{ grace = 0.3 } })
    local dt = pty.now() - t0
    assert.is_true((dt >= 0.25 or not build.proc) and dt < 2, "close took " .. dt)
    assert.is_true(H.eventually(function() return not running(bg) end, 2),
      "the background job survived close")
  end)
end)

describe("window size", function()
  it("setwinsize/getwinsize, and the child gets SIGWINCH", function()
    local p = pty.spawn{ PY, "-c", WINCH, rows = 30, cols = 90 }
    p:expect("ready\r\n")
    assert.same({ 30, 90 }, { p:getwinsize() })
    p:setwinsize(50, 132)
    assert.same({ 50, 132 }, { p:getwinsize() })
    local m = p:expect("winch (\\d+) (\\d+)")
    assert.same({ "50", "132" }, { m[1], m[2] })
    p:setwinsize(12, 40)
    m = p:expect("winch (\\d+) (\\d+)")
    assert.same({ "12", "40" }, { m[1], m[2] })
    assert.is_true(p:setwinsize(30.0, 100.0))        -- integral floats are integers
    assert.same({ 30, 100 }, { p:getwinsize() })
    assert.is_false(pcall(p.setwinsize, p, 0, 80))
    assert.is_false(pcall(p.setwinsize, p, 24))
    p:close()
  end)
end)

describe("exitcode and signal", function()
  it("are nil while running, then the exit code or the signal name", function()
    local p = pty.sh("read x; exit 7")
    assert.is_nil(p.exitcode)
    assert.is_nil(p.signal)
    p:sendline("go")
    assert.same({ nil, "exit", 7 }, status(p))
    assert.equal(7, p.exitcode)
    assert.is_nil(p.signal)
    local q = pty.spawn("cat")
    q:kill("KILL")
    q:wait(5)
    assert.is_nil(q.exitcode)
    assert.equal("KILL", q.signal)
  end)
end)

describe("no leaks", function()
  -- Counted in a fresh process, so that nothing left by other specs can be
  -- collected (or linger) in the middle of the count.
  it("spawn/close and spawn/drop + collectgarbage leave no descriptor or child", function()
    local r = H.run_script([[
      local pid = io.open("/proc/self/stat"):read("a"):match("^%d+")
      local function count(cmd)
        local f = io.popen(cmd)
        local n = 0
        for _ in f:lines() do n = n + 1 end
        f:close()
        return n
      end
      local function fds() return count("ls /proc/" .. pid .. "/fd") end
      local function kids()
        return count("ps -o pid= --ppid " .. pid) - 2   -- popen's sh and ps
      end
      local function settle()
        pty.spawn("true"):close()    -- the shorthands keep the last spawn
        collectgarbage()
        collectgarbage()
      end
      settle()
      -- the same count twice in a row: none of settle's in flight
      local fd0, kids0 = fds(), kids()
      for _ = 1, 20 do
        pty.sleep(0.05)
        local n = fds()
        if n == fd0 then break end
        fd0 = n
      end
      for _ = 1, 25 do
        local p = pty.spawn("cat")
        p:sendline("x")
        p:expect("x")
        p:close()
      end
      local dropped = {}
      for i = 1, 25 do dropped[i] = pty.spawn("cat").pid end  -- alive, unreferenced
      pty.go(function() pty.spawn("cat") end):wait(5)         -- a task's process
      settle()
      local alive = 0
      for _, p in ipairs(dropped) do
        if io.open("/proc/" .. p .. "/stat") then alive = alive + 1 end
      end
      -- a busy machine can leave a descriptor of the last close in flight
      -- for a moment: a real leak stays, so count again a few times
      local fd1 = fds()
      for _ = 1, 20 do
        if fd1 == fd0 then break end
        pty.sleep(0.05)
        collectgarbage()
        fd1 = fds()
      end
      print(string.format("fds %d %d kids %d %d alive %d", fd0, fd1, kids0, kids(), alive))
    ]])
    assert.equal(0, r.code, r.stderr)
    local f0, f1, k0, k1, alive = r.stdout:match("fds (%d+) (%d+) kids (%-?%d+) (%-?%d+) alive (%d+)")
    assert.truthy(f0, r.stdout)
    assert.equal(f0, f1, "descriptors before and after")
    assert.equal(k0, k1, "child processes before and after")
    assert.equal("0", alive, "dropped processes were killed and reaped")
  end)
end)

describe("wrong argument types", function()
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

describe("a 100 MB single line", function()
  local N = 100 * 1000 * 1000
  local LINE = "head -c " .. N .. " /dev/zero | tr '\\0' x"

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

describe("use after the end", function()
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

-- 5,000 spawn/expect/close cycles.  Descriptors and child processes
-- (zombies included) of the ptyscript process are counted from outside,
-- while the script sits in io.read: nothing of the counting itself can be
-- counted.  RSS is compared after a warm-up of 500 cycles (allocator
-- arenas, Lua's GC reaching its steady state) and after all 5,000, both
-- after a full collection; the growth over those 4,500 cycles must stay
-- below 1 MiB, i.e. below 233 bytes a cycle: less than one session's
-- smallest allocation (its C object, its input buffer of 256 bytes), so
-- one leaked session object per cycle fails.  Measured: 60-90 KiB.  The
-- cycles use fixed patterns: a new regex per call is a different cost
-- (each cached regex keeps PCRE2 match data of ~20 KiB, up to ~40 MB for
-- the 2,000-entry cache), not a per-session leak.
describe("5,000 spawn/expect/close cycles in one process", function()
  local MiB = 1024 * 1024
  -- Under AddressSanitizer (make check-asan) shadow memory and the freed-
  -- memory quarantine inflate RSS by design: memory bounds are not checked.
  local SANITIZED = os.getenv("PTYSCRIPT_SANITIZER") ~= nil

  -- Fields of /proc/<pid>/status in bytes (VmRSS, VmHWM, ...).
  local function memory(pid)
    local s = H.read("/proc/" .. pid .. "/status") or ""
    local t = {}
    for k, v in s:gmatch("(Vm%w+):%s*(%d+) kB") do t[k] = tonumber(v) * 1024 end
    return t
  end

  -- Open descriptors of pid (listed by a shell, not by us).
  local function nfds(pid)
    local r = H.sh("ls /proc/" .. pid .. "/fd")
    local n = 0
    for _ in r.stdout:gmatch("%d+") do n = n + 1 end
    return n
  end

  -- Processes whose parent is ppid, zombies included: {pid = state}.
  local function children(ppid)
    local r = H.sh("cat /proc/[0-9]*/stat 2>/dev/null")
    local list, n = {}, 0
    for line in r.stdout:gmatch("[^\n]+") do
      local pid, st, pp = line:match("^(%d+) %b() (%S+) (%d+)")
      if pid and tonumber(pp) == ppid then
        list[tonumber(pid)] = st
        n = n + 1
      end
    end
    return n, list
  end

  it("leave descriptors and child processes as they were; RSS grows by less than 1 MiB #slow", function()
    local path = H.script([[
local function cycle(i)
  local p = pty.spawn("cat")
  p:sendline("x" .. i)
  -- the terminal's echo, then cat's copy (one expect: a failure shows both)
  p:expect_exact("x" .. i .. "\r\nx" .. i .. "\r\n")
  p:close()
  -- hung up: cat dies of SIGHUP, or (a race in the kernel's hang-up,
  -- seen twice in full-suite runs) ends at once on the EIO its read
  -- returns; never KILL (still there after close's grace)
  assert(p.signal == "HUP" or p.exitcode == 0 or p.exitcode == 1,
    "cycle " .. i .. ": " .. tostring(p.signal) .. " " .. tostring(p.exitcode))
end
local function settle()
  collectgarbage()
  collectgarbage()
end
-- one cycle first: what the first spawn makes once for good (without
-- pidfds, the SIGCHLD pipe) is not a leak
cycle(0)
settle()
io.write("before\n") io.read("l")
for i = 1, 500 do cycle(i) end
settle()
io.write("warm\n") io.read("l")
local t0 = pty.now()
for i = 501, 5000 do cycle(i) end
settle()
io.write(string.format("after %.2f\n", pty.now() - t0)) io.read("l")
]])
    local p = pty.spawn{ H.bin, path, name = "ptyscript", timeout = 300 }
    finally(function() p:close() os.remove(path) end)
    local pid = p.pid
    local function at(word)
      local m = p:expect(word .. "([^\r\n]*)\r\n", 300)
      local n, kids = children(pid)
      local r = { fds = nfds(pid), kids = n, list = kids, mem = memory(pid), extra = m[1] }
      p:sendline("go")
      return r
    end
    local before = at("before")
    local warm = at("warm")
    local after = at("after")
    assert.same({ true, "exit", 0 }, { p:wait(10) })
    local took = tonumber(after.extra)
    print(string.format("\n  5,000 cycles: fds %d -> %d -> %d, children %d -> %d, "
      .. "RSS %d KiB (warm) -> %d KiB (after), 4,500 cycles in %.1f s",
      before.fds, warm.fds, after.fds, before.kids, after.kids,
      warm.mem.VmRSS // 1024, after.mem.VmRSS // 1024, took))
    assert.equal(before.fds, after.fds, "open descriptors before and after")
    assert.equal(before.fds, warm.fds, "open descriptors before and after the warm-up")
    assert.equal(0, before.kids)
    assert.equal(0, after.kids, "child processes (zombies included) after 5,000 cycles")
    local growth = after.mem.VmRSS - warm.mem.VmRSS
    assert.is_true(SANITIZED or growth < MiB, string.format("RSS grew by %d KiB over 4,500 cycles",
      growth // 1024))
  end)
end)
