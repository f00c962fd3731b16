-- How the ptyscript command ends: whatever ends the script (return, an
-- uncaught error, os.exit, a failed task, SIGINT or SIGTERM), every child
-- still running is hung up, killed after a grace of at most 1 s, and
-- reaped; nothing it started is left behind.  Real programs, real ptys.
-- Also when the signal comes at a random moment: while the script spawns,
-- expects or sends.
local pty = require "ptyscript"
local H = require "helpers"

-- The python3 binary itself (not a pyenv shim), so children start fast
-- and keep their pid.
local PY = H.sh("python3 -c 'import sys; print(sys.executable)'").stdout:match("[^\n]+")
-- Random moments, reproducible: REL_SEED=<the seed a failure names>.
local SEED = tonumber(os.getenv("REL_SEED")) or os.time()
math.randomseed(SEED)

-- The state letter of a process (R, S, Z...), or nil when it is gone.
local function state(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return nil end
  local s = f:read("a") or ""
  f:close()
  return s:match("^%d+ %b() (%S)")
end

local function running(pid)
  local s = state(pid)
  return s ~= nil and s ~= "Z" and s ~= "X"
end

-- Kill what a failing test left behind, so one bug does not leak
-- processes into the other specs.
local function cleanup(pids)
  for _, pid in ipairs(pids) do
    if running(pid) then os.execute("kill -9 " .. pid .. " 2>/dev/null") end
  end
end

-- Processes still alive whose environment has REL_MARK=token.
local function marked(token)
  local r = H.sh("grep -las 'REL_MARK=" .. token .. "' /proc/[0-9]*/environ")
  local list = {}
  for pid in (r.stdout or ""):gmatch("/proc/(%d+)/environ") do list[#list + 1] = tonumber(pid) end
  return list
end

local function words(s)
  local t = {}
  for w in (s or ""):gmatch("%d+") do t[#t + 1] = tonumber(w) end
  return t
end

-- Starts: cat (dies of the hang-up), a shell that ignores SIGHUP (needs
-- the KILL after the grace), and a shell with a background grandchild.
-- Prints their pids, then "ready", then runs `ending`.
local function script(ending)
  return [[
local kids = {}
local cat = pty.spawn("cat")
kids[#kids + 1] = cat.pid
local stubborn = pty.sh('trap "" HUP; echo ready; while :; do sleep 1; done')
stubborn:expect("ready")
kids[#kids + 1] = stubborn.pid
local parent = pty.sh('sleep 300 & echo "bg=$!"; wait')
local grandchild = parent:expect("bg=(\\d+)")[1]
kids[#kids + 1] = parent.pid
print("children " .. table.concat(kids, " "))
print("grandchildren " .. grandchild)
print("ready")
io.stdout:flush()
]] .. ending
end

-- After the command has ended: the children it reaped are gone at once;
-- the grandchildren are dead very soon (reparented to init when their
-- parent died: init, not ptyscript, reaps them, so a zombie is fine).
local function assert_all_gone(children, grandchildren)
  assert.equal(3, #children)
  assert.equal(1, #grandchildren)
  for _, pid in ipairs(children) do
    assert.is_nil(state(pid), "child " .. pid .. " still there (" .. tostring(state(pid)) .. ")")
  end
  for _, pid in ipairs(grandchildren) do
    assert.is_true(H.eventually(function() return not running(pid) end, 3),
      "grandchild " .. pid .. " still running")
  end
end

-- Run a script with the command (no terminal); returns the result, the
-- pids and the time it took.
local function run(ending)
  local t0 = pty.now()
  local r = H.run_script(script(ending))
  r.took = pty.now() - t0
  r.children = words(r.stdout:match("children ([0-9 ]+)\n"))
  r.grandchildren = words(r.stdout:match("grandchildren ([0-9 ]+)\n"))
  return r
end

-- Start the command in a pty of our own, wait for "ready", signal it.
-- (No core file: SIGQUIT's default action would write one.)
-- wrap: a program that execs its arguments (the same pid), or nil.
local function run_signalled(ending, sig, wrap)
  local path = H.script(script(ending))
  local t0 = pty.now()
  local p = pty.spawn{ "sh", "-c", 'ulimit -c 0; exec ' .. (wrap or "") .. ' "$0" "$1"', H.bin, path,
    name = "ptyscript" }
  local kids = words(p:expect("children ([0-9 ]+)\r\n")[1])
  local gkids = words(p:expect("grandchildren ([0-9 ]+)\r\n")[1])
  p:expect("ready\r\n")
  p:kill(sig)
  local res = { p:wait(10) }
  local took = pty.now() - t0
  p:close()
  os.remove(path)
  return res, kids, gkids, took
end

describe("when the command ends", function()
  it("by returning, children are hung up, killed and reaped", function()
    local r = run("print('end of script')\n")
    finally(function() cleanup(r.children); cleanup(r.grandchildren) end)
    assert.equal(0, r.code)
    assert.equal("", r.stderr)
    assert.truthy(r.stdout:find("end of script\n", 1, true))
    assert_all_gone(r.children, r.grandchildren)
    -- the SIGHUP-ignoring child costs the grace (at most 1 s), no more
    assert.is_true(r.took < 4, "took " .. r.took .. " s")
  end)

  it("by an uncaught error, children are hung up, killed and reaped", function()
    local r = run("error('failing on purpose')\n")
    finally(function() cleanup(r.children); cleanup(r.grandchildren) end)
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find("failing on purpose", 1, true), r.stderr)
    assert_all_gone(r.children, r.grandchildren)
    assert.is_true(r.took < 4, "took " .. r.took .. " s")
  end)

  it("by os.exit, children are hung up, killed and reaped", function()
    local r = run("os.exit(5)\n")
    finally(function() cleanup(r.children); cleanup(r.grandchildren) end)
    assert.equal(5, r.code)
    assert_all_gone(r.children, r.grandchildren)
    assert.is_true(r.took < 4, "took " .. r.took .. " s")
  end)

  it("by os.exit inside a task, children are hung up, killed and reaped", function()
    local r = run("pty.go(function() pty.sleep(0.01); os.exit(6) end)\npty.sleep(30)\n")
    finally(function() cleanup(r.children); cleanup(r.grandchildren) end)
    assert.equal(6, r.code)
    assert_all_gone(r.children, r.grandchildren)
    assert.is_true(r.took < 4, "took " .. r.took .. " s")
  end)

  it("by an error in a task nobody waits on, children are killed and reaped", function()
    local r = run("pty.go(function() pty.sleep(0.01); error('task blew up') end)\npty.sleep(30)\n")
    finally(function() cleanup(r.children); cleanup(r.grandchildren) end)
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find("task blew up", 1, true), r.stderr)
    assert_all_gone(r.children, r.grandchildren)
    assert.is_true(r.took < 4, "took " .. r.took .. " s")
  end)

  it("by SIGTERM, it cleans up and dies of SIGTERM", function()
    local res, kids, gkids, took = run_signalled("pty.sleep(60)\n", "TERM")
    finally(function() cleanup(kids); cleanup(gkids) end)
    assert.same({ nil, "signal", 15 }, res)
    assert_all_gone(kids, gkids)
    assert.is_true(took < 5, "took " .. took .. " s")
  end)

  it("by SIGINT while waiting in expect, it cleans up and dies of SIGINT", function()
    local res, kids, gkids, took = run_signalled("expect('never', 60)\n", "INT")
    finally(function() cleanup(kids); cleanup(gkids) end)
    assert.same({ nil, "signal", 2 }, res)
    assert_all_gone(kids, gkids)
    assert.is_true(took < 5, "took " .. took .. " s")
  end)

  it("by SIGQUIT, it cleans up and dies of SIGQUIT", function()
    local res, kids, gkids, took = run_signalled("pty.sleep(60)\n", "QUIT")
    finally(function() cleanup(kids); cleanup(gkids) end)
    assert.same({ nil, "signal", 3 }, res)
    assert_all_gone(kids, gkids)
    assert.is_true(took < 5, "took " .. took .. " s")
  end)

  it("not by a signal that was ignored when it started (nohup, & without job control)", function()
    local path = H.script([[
print("ready")
io.stdout:flush()
print("got " .. tostring(io.read("l")))
]])
    finally(function() os.remove(path) end)
    local p = pty.spawn{ "sh", "-c", [[trap '' HUP INT QUIT PIPE; exec "$0" "$1"]], H.bin, path }
    p:expect("ready\r\n")
    for _, sig in ipairs{ "HUP", "INT", "QUIT", "PIPE" } do assert.is_true(p:kill(sig)) end
    p:sendline("on")
    p:expect("got on\r\n")
    assert.same({ true, "exit", 0 }, { p:wait(5) })
  end)

  it("by SIGTERM while the script computes and never waits, it still dies of it", function()
    -- the scheduler would only see the signal at the next wait; within 2 s
    -- an alarm kills every child's group and ptyscript dies of SIGTERM.
    -- Nobody reaps the children then (init does): they are dead, maybe
    -- zombies for a moment.
    local res, kids, gkids, took = run_signalled("local x = 0\nwhile true do x = x + 1 end\n", "TERM")
    finally(function() cleanup(kids); cleanup(gkids) end)
    assert.same({ nil, "signal", 15 }, res)
    assert.equal(3, #kids)
    for _, pid in ipairs(kids) do
      assert.is_true(H.eventually(function() return not running(pid) end, 3),
        "child " .. pid .. " still running")
    end
    assert.is_true(H.eventually(function() return not running(gkids[1]) end, 3),
      "grandchild " .. gkids[1] .. " still running")
    assert.is_true(took > 1.5 and took < 6, "took " .. took .. " s")
  end)

  it("by SIGTERM while the script computes, also when started with SIGALRM blocked", function()
    local wrap = [[python3 -c 'import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
os.execv(sys.argv[1], sys.argv[1:])']]
    local res, kids, gkids, took = run_signalled("local x = 0\nwhile true do x = x + 1 end\n",
      "TERM", wrap)
    finally(function() cleanup(kids); cleanup(gkids) end)
    assert.same({ nil, "signal", 15 }, res)
    for _, pid in ipairs(kids) do
      assert.is_true(H.eventually(function() return not running(pid) end, 3),
        "child " .. pid .. " still running")
    end
  end)

  it("a background grandchild that ignores SIGHUP is killed with the group", function()
    -- its parent dies of the hang-up at once; the grandchild stays in the
    -- child's process group, which gets the KILL: no orphan is left
    local t0 = pty.now()
    local r = H.run_script([[
-- the grandchild says "ready" only once it ignores SIGHUP
local p = pty.sh([=[sh -c 'trap "" HUP; echo "bg=$$ ready"; exec sleep 300' & wait]=])
local gk = p:expect("bg=(\\d+) ready")[1]
print("child " .. p.pid)
print("grandchild " .. gk)
]])
    local took = pty.now() - t0
    local child = tonumber(r.stdout:match("child (%d+)"))
    local gk = tonumber(r.stdout:match("grandchild (%d+)"))
    finally(function() cleanup({ child, gk }) end)
    assert.equal(0, r.code)
    assert.truthy(child and gk, r.stdout)
    assert.is_nil(state(child))
    assert.is_true(H.eventually(function() return not running(gk) end, 1.5),
      "grandchild " .. gk .. " survived the command (" .. tostring(state(gk)) .. ")")
    assert.is_true(took < 4, "took " .. took .. " s")
  end)

  it("does not wait longer than needed when the children exit on hang-up", function()
    -- six children, all of which die of SIGHUP: the grace ends as soon as
    -- they are gone, so this is far below one grace per child
    local r = H.run_script([[
local pids = {}
for i = 1, 3 do pids[#pids + 1] = pty.spawn("cat").pid end
for i = 1, 3 do
  local p = pty.sh("echo up-" .. i .. "; exec sleep 300")
  p:expect("up-" .. i)
  pids[#pids + 1] = p.pid
end
print("children " .. table.concat(pids, " "))
print("end " .. pty.now())
]])
    local done = pty.now()
    local kids = words(r.stdout:match("children ([0-9 ]+)\n"))
    finally(function() cleanup(kids) end)
    assert.equal(0, r.code)
    assert.equal("", r.stderr)
    assert.equal(6, #kids)
    for _, pid in ipairs(kids) do assert.is_nil(state(pid), "child " .. pid) end
    local ended = tonumber(r.stdout:match("end (%S+)"))
    local shutdown = done - ended   -- the same monotonic clock
    assert.is_true(shutdown >= 0 and shutdown < 3, "shutdown took " .. shutdown .. " s")
  end)

  it("finishes at once when no child is left", function()
    local t0 = pty.now()
    local r = H.run_script([[
local p = pty.spawn("sh", "-c", "echo bye")
p:expect("bye")
assert(p:wait(5))
print("exited", p.exitcode)
]])
    local took = pty.now() - t0
    assert.equal(0, r.code)
    assert.equal("exited\t0\n", r.stdout)
    assert.is_true(took < 3, "took " .. took .. " s")
  end)

  it("in plain Lua by os.exit(code), children are hung up, killed and reaped", function()
    -- no state is closed, no finalizer runs: the module's exit handler does it
    for _, ending in ipairs{ "os.exit(5)\n", "os.exit(5, true)\n" } do
      local path = H.script(string.format("package.cpath = %q .. '/?.so;' .. package.cpath\n"
        .. "local pty = require 'ptyscript'\n", H.root) .. script(ending))
      local t0 = pty.now()
      local r = H.sh("lua5.4 " .. H.q(path))
      local took = pty.now() - t0
      os.remove(path)
      local children = words(r.stdout:match("children ([0-9 ]+)\n"))
      local grandchildren = words(r.stdout:match("grandchildren ([0-9 ]+)\n"))
      finally(function() cleanup(children); cleanup(grandchildren) end)
      assert.equal(5, r.code, r.stderr)
      assert.equal("", r.stderr)
      assert_all_gone(children, grandchildren)
      assert.is_true(took < 4, ending .. " took " .. took .. " s")
    end
  end)
end)

-- Signals.  SIGINT, SIGTERM and SIGHUP reach ptyscript at a random
-- moment (the spec waits for a random progress line, then signals):
-- while it spawns, while it expects, while a send waits under
-- backpressure.  Every child must be reaped by ptyscript itself before
-- it dies (so none is left, not even as a zombie handed to init), and
-- ptyscript must die of that same signal.
--
-- SIGPIPE.  The right behaviour, decided here: a SIGPIPE (a `print` to a
-- stdout whose reader has gone, as in `ptyscript x.lua | head -1`) is
-- treated like SIGINT/SIGTERM/SIGHUP: ptyscript hangs up, kills and reaps
-- every child, then dies of SIGPIPE (status 128+13 in the shell), as any
-- filter does when its reader goes away.  It must not die at once and
-- leave its children behind: one that ignores SIGHUP would survive as an
-- orphan.
describe("signals to ptyscript at random moments", function()
  -- Each script prints "pid N" for every child before it goes on, and
  -- "step N" as it progresses; the spec signals it once it has seen a
  -- random step.  Children also carry REL_MARK=<token> in their
  -- environment, so that one the script never got to print is found too.
  local SLOW_READER = "import os, time, tty; tty.setraw(0); os.write(1, b'up\\n')\n"
    .. "while True:\n    os.read(0, 65536)\n    time.sleep(0.001)\n"
  local phases = {
    spawning = { steps = 40, src = [[
local kids = {}
for i = 1, 60 do
  kids[i] = pty.spawn("cat")
  print("pid " .. kids[i].pid)
  print("step " .. i)
end
pty.sleep(60)
]] },
    expecting = { steps = 300, src = [[
local kids = {}
for i = 1, 3 do
  kids[i] = pty.spawn{ "cat", echo = false }
  print("pid " .. kids[i].pid)
end
-- one that ignores SIGHUP: only the KILL after the grace ends it
local s = pty.sh("trap '' HUP; echo up; exec sleep 300")
s:expect("up")
print("pid " .. s.pid)
for i = 1, 1000000 do
  local c = kids[i % 3 + 1]
  c:sendline("m" .. i)
  assert(c:expect("m(\\d+)\r\n")[1] == tostring(i))
  print("step " .. i)
end
]] },
    sending = { steps = 20, src = [[
local r = pty.spawn{ ]] .. string.format("%q", PY) .. [[, "-c", ]] .. string.format("%q", SLOW_READER) .. [[ }
r:expect("up\n")
print("pid " .. r.pid)
local chunk = string.rep("s", 128 * 1024)
for i = 1, 1000000 do
  r:send(chunk)
  print("step " .. i)
end
]] },
  }

  for _, phase in ipairs({ "spawning", "expecting", "sending" }) do
    for _, sig in ipairs({ { "INT", 2 }, { "TERM", 15 }, { "HUP", 1 } }) do
      it(string.format("SIG%s while %s: children reaped, ptyscript dies of SIG%s", sig[1], phase,
        sig[1]), function()
        local ph = phases[phase]
        local token = string.format("%d-%d-%s-%s", SEED, math.random(1, 1e9), phase, sig[1])
        local path = H.script(ph.src)
        local p = pty.spawn{ H.bin, path, name = "ptyscript", env = { REL_MARK = token } }
        local out = {}
        local k = math.random(1, ph.steps)
        local m = p:expect("step " .. k .. "\r\n", 30)
        out[#out + 1] = m.before .. m[0]
        p:kill(sig[1])
        local st = { p:wait(10) }
        out[#out + 1] = p:expect(pty.EOF, 10).before
        out = table.concat(out)
        p:close()
        os.remove(path)
        local pids = {}
        for pid in out:gmatch("pid (%d+)") do pids[#pids + 1] = tonumber(pid) end
        local left = {}
        for _, pid in ipairs(pids) do
          if state(pid) then left[#left + 1] = pid .. ":" .. state(pid) end
        end
        local strays = marked(token)
        finally(function() cleanup(pids) cleanup(strays) end)
        local where = string.format(" (step %d, seed %d)", k, SEED)
        assert.same({ nil, "signal", sig[2] }, st, "exit status" .. where)
        assert.is_true(#pids >= 1, out)
        assert.same({}, left, "children left (pid:state)" .. where)
        assert.same({}, strays, "marked processes still alive" .. where)
      end)
    end
  end

  it("SIGINT while the script computes and spawns: no child is spawned after it, every child reaped", function()
    -- The script computes without waiting; the spec signals it, then
    -- makes the file it waits for: the signal was taken (at that open at
    -- the latest) before the script spawns again.
    local dir = H.tmpdir()
    local go = dir .. "/go"
    local path = H.script(string.format([[
local kids = { pty.spawn("cat") }
print("pid " .. kids[1].pid)
print("ready")
while not io.open(%q) do end   -- computing: no wait
for i = 2, 30 do
  kids[i] = pty.spawn("cat")
  print("pid " .. kids[i].pid)
end
pty.sleep(60)
]], go))
    local p = pty.spawn{ H.bin, path, name = "ptyscript" }
    finally(function() p:close() os.execute("rm -rf " .. H.q(dir)) os.remove(path) end)
    local out = { p:expect("ready\r\n", 30).before }
    p:kill("INT")
    assert(io.open(go, "w")):close()
    local st = { p:wait(10) }
    out[#out + 1] = p:expect(pty.EOF, 10).before
    out = table.concat(out)
    local pids, left = {}, {}
    for pid in out:gmatch("pid (%d+)") do pids[#pids + 1] = tonumber(pid) end
    finally(function() cleanup(pids) end)
    for _, pid in ipairs(pids) do
      if state(pid) then left[#left + 1] = pid .. ":" .. state(pid) end
    end
    assert.same({ nil, "signal", 2 }, st)
    assert.equal(1, #pids, "children spawned after the signal: " .. out)
    assert.same({}, left, "children left (pid:state)")
  end)

  it("SIGINT while the script computes and never waits: after the grace every child is killed and reaped by ptyscript itself", function()
    -- ptyscript runs under a subreaper (python): a child it leaves
    -- unreaped when it dies is handed to the subreaper, which says so
    local path = H.script([[
local c = pty.spawn("cat")
print("pid " .. c.pid)
io.stdout:flush()
while true do end   -- computes; never waits: the alarm ends it
]])
    local r = H.sh(string.format([[%s -c '
import ctypes, os, signal, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)   # PR_SET_CHILD_SUBREAPER
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE)
print(p.stdout.readline().decode().strip())
os.kill(p.pid, signal.SIGINT)
print("rc", p.wait(timeout=20))
left, t0 = [], time.time()
while time.time() - t0 < 5:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if pid:
        left.append(pid)
    else:
        time.sleep(0.01)
print("left", left)
' %s %s]], H.q(PY), H.q(H.bin), H.q(path)))
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    assert.matches("^pid %d+\nrc %-2\n", r.stdout)
    assert.matches("\nleft %[%]\n$", r.stdout, "children ptyscript left to be reaped by others")
  end)

  it("SIGPIPE from a print to a closed pipe: children reaped, ptyscript dies of SIGPIPE", function()
    local path = H.script([[
local cat = pty.spawn("cat")
local stubborn = pty.sh('trap "" HUP; echo ready; while :; do sleep 1; done')
stubborn:expect("ready")
io.stderr:write("pids ", cat.pid, " ", stubborn.pid, "\n")
io.stderr:flush()
for i = 1, 100000 do print(string.rep("x", 100)) end
io.stderr:write("printed\n")
pty.sleep(20)
]])
    -- python gives ptyscript a stdout pipe whose read end is already
    -- closed, with SIGPIPE at its default action
    local r = H.sh(string.format([[%s -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
try:
    p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE, timeout=15)
    print("rc", p.returncode)
    sys.stdout.write(p.stderr.decode())
except subprocess.TimeoutExpired as e:
    print("rc timeout")
    sys.stdout.write((e.stderr or b"").decode())
' %s %s]], H.q(PY), H.q(H.bin), H.q(path)))
    os.remove(path)
    local pids = {}
    for pid in (r.stdout:match("pids ([%d ]+)") or ""):gmatch("%d+") do pids[#pids + 1] = tonumber(pid) end
    finally(function() cleanup(pids) end)
    assert.equal(2, #pids, r.stdout .. r.stderr)
    local left = {}
    for _, pid in ipairs(pids) do
      if state(pid) then left[#left + 1] = pid .. ":" .. state(pid) end
    end
    assert.same({}, left, "children left behind (pid:state) after SIGPIPE")
    assert.equal("-13", r.stdout:match("rc (%S+)"), "ptyscript should die of SIGPIPE: " .. r.stdout)
  end)
end)
