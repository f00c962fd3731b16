-- ptyscript: Lua-scriptable process automation (Expect/pexpect in Lua).
--
-- This is the module `require "ptyscript"` returns, in the ptyscript
-- command (where it is also the global `pty`) and in plain Lua through the
-- C module.  The contract is API.md; the parts are:
--   ptyscript.core    C: loop, processes, PCRE2 (src/l_*.c)
--   ptyscript.sched   tasks and waiting
--   ptyscript.expect  patterns and matching
--   ptyscript.proc    the process object
--   ptyscript.screen  terminal screen emulation (libvterm)
--   ptyscript.busted  screen assertions for busted
local core = require "ptyscript.core"
local sched = require "ptyscript.sched"
local expect = require "ptyscript.expect"
local proc = require "ptyscript.proc"

local M = {
  _VERSION = "ptyscript 0.1.0",
  timeout = 10,          -- default expect timeout, read at each call
  show = false,          -- default for spawn's show option (--show)
}
expect.config = M
proc.config = M

M.spawn = proc.spawn
M.sh = proc.sh
M.exact = expect.exact
M.re = expect.re
M.EOF = expect.EOF
M.TIMEOUT = expect.TIMEOUT
M.Error = expect.Error
M.go = sched.go
M.sleep = sched.sleep
M.now = sched.now
M.wrap = sched.wrap
M.resume = sched.resume
M.Process = proc.Process
M.repl = require("ptyscript.repl").repl
M.getpass = require("ptyscript.user").getpass
M.screen = require("ptyscript.screen").new

-- The running task's most recent process, for the global shorthands.
function M.current()
  return sched.current_state().proc
end

local function current(what)
  local p = sched.current_state().proc
  if not p then expect.raise(what .. ": no process yet (call spawn first)") end
  return p
end

-- The Expect-style global shorthands (the command installs them).
local shorthands = {
  "expect", "expect_exact", "send", "sendline", "sendcontrol", "sendeof",
  "read", "readline", "interact", "wait", "close",
}

function M.install_globals(env)
  env = env or _G
  env.pty = M
  env.spawn = function(...) return M.spawn(...) end
  for _, name in ipairs(shorthands) do
    env[name] = function(...)
      local p = current(name)
      return p[name](p, ...)
    end
  end
end

-- The command: run chunk as task 1 with the script's arguments.
-- Returns the exit status; cleans up every child before it returns.
function M._main(chunk, opts, ...)
  M.in_command = true
  if opts.timeout then M.timeout = opts.timeout end
  M.show = opts.show or false
  if opts.log then
    local f, err = io.open(opts.log, "ab")
    if not f then
      io.stderr:write("ptyscript: --log: ", err, "\n")
      return 2
    end
    f:setvbuf("no")
    M.log = f
  end
  if opts.record then M.record = opts.record end
  expect.trace = opts.trace or false
  sched.full_traceback = opts.trace or false
  M.install_globals(_G)
  coroutine.resume = sched.resume
  coroutine.wrap = sched.wrap
  local real_exit = os.exit
  os.exit = function(code, close)
    io.stdout:flush()
    -- a task's error nobody retrieved is not lost: it is told, and a
    -- successful exit becomes a failure
    local failure = sched.unretrieved()
    if failure then
      io.stderr:write("ptyscript: ", failure.traceback or sched.describe(failure.err), "\n")
      if code == nil or code == true or code == 0 then code = 1 end
    end
    require("ptyscript.screen").finish()   -- --record's pictures
    core.shutdown(1)
    -- a signal caught but not yet acted on still ends us, as it would have
    local sig = core.signalled()
    if sig then core.reraise(sig) end
    return real_exit(code, close)
  end
  local caught
  sched.on_signal = function(sig)
    caught = sig
    error(string.format("interrupted by signal %d", sig), 0)
  end
  core.catch_signals()
  local ok, failure = sched.main(chunk, ...)
  local status = 0
  if not ok and not caught then
    io.stdout:flush()
    io.stderr:write("ptyscript: ", failure.traceback or sched.describe(failure.err), "\n")
    local also = failure.also   -- a task's error nobody retrieved
    if also then
      io.stderr:write("ptyscript: and a task failed: ", also.traceback or sched.describe(also.err), "\n")
    end
    status = 1
  end
  io.stdout:flush()
  require("ptyscript.screen").finish()   -- --record's pictures
  core.shutdown(1)
  caught = caught or core.signalled()   -- (one that came with the last event)
  if caught then core.reraise(caught) end
  return status
end

return M
