-- ptyscript: Lua-scriptable process automation (Expect/pexpect in Lua).
--
-- This is the module `require "ptyscript"` returns, in the ptyscript
-- command (where it is also the global `pty`) and in plain Lua through the
-- C module.  The contract is doc/manual.md; the parts are listed in
-- doc/development.md.  Here: the module's functions, gathered from the
-- parts into the table of settings (ptyscript.config), and the command's
-- main (the end of the script, its exit status).
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local config = require "ptyscript.config"
local names = require "ptyscript.names"
local diag = require "ptyscript.diag"
local sched = require "ptyscript.sched"
local expect = require "ptyscript.expect"
local output = require "ptyscript.output"
local events = require "ptyscript.events"
local screen = require "ptyscript.screen"
local process = require "ptyscript.process"
local spawn = require "ptyscript.spawn"

local M = config

M.spawn = spawn.spawn
M.sh = spawn.sh
M.exact = expect.exact
M.re = expect.re
M.EOF = expect.EOF
M.TIMEOUT = expect.TIMEOUT
M.Error = diag.Error
M.go = sched.go
M.sleep = sched.sleep
M.now = sched.now
M.wrap = sched.wrap
M.resume = sched.resume
M.Process = process.Process
M.repl = require("ptyscript.repl").repl
M.getpass = require("ptyscript.user").getpass
M.run = require("ptyscript.run").run
M.screen = screen.new
-- Transcript and recording writes that failed: one message per file.
M.transcript_errors = output.errors

-- The running task's most recent process, for the global shorthands.
function M.current()
  return sched.current_state().proc
end

local function current(what)
  local p = sched.current_state().proc
  if not p then diag.raise(what .. ": no process yet (call spawn first)") end
  return p
end

-- The Expect-style global shorthands (the command installs them).
local shorthands = {
  "expect", "expect_exact", "send", "sendline", "sendcontrol", "sendeof",
  "read", "readline", "interact", "wait", "close",
}

function M.install_globals(env)
  if env ~= nil and type(env) ~= "table" then
    error("install_globals: expected a table, got " .. diag.got(env), 2)
  end
  env = env or _G
  env.pty = M
  env.spawn = function(...) return M.spawn(...) end
  names.add_global("spawn")
  for _, name in ipairs(shorthands) do
    names.add_global(name)
    env[name] = function(...)
      local p = current(name)
      return p[name](p, ...)
    end
  end
end

-- The end of the script: every child is hung up, what it printed and
-- nobody read being read first (as close does: the outputs keep it);
-- then --record's pictures, then every transcript and recording writes
-- what it kept back and closes; then the --log file.
local function finish_outputs()
  core.hangup_all()
  screen.finish()
  output.finish_all(events.deliver)
  if M._log_sink then M._log_sink.close() end
  if M._record_file then M._record_file:close() end   -- (no session was recorded)
end

-- Whether a transcript, recording or show write failed (said on stderr
-- when it did): the command's status is then 1, not 0.
local function outputs_failed()
  return #output.errors > 0 or core.show_failed() ~= nil
end

-- Whether the script's own standard output (print, io.write) could not
-- be written (a full disk): said, and a failure like any other.
-- stdout_error is the command's (src/main.c).
local function stdout_failed(stdout_error)
  local why = stdout_error()
  if not why then return false end
  diag.stderr("ptyscript: standard output: write failed: " .. why .. "\n")
  return true
end

-- Errors in __gc metamethods, which Lua only warns about: told (the
-- first, and how many more), and a failure like any other error.
-- gc_errors is the command's (src/main.c).  Whether there were any.
local function gc_failed(gc_errors)
  local n, first = gc_errors()
  if n == 0 then return false end
  diag.stderr("ptyscript: " .. first
    .. (n > 1 and string.format(" (and %d more errors in __gc)", n - 1) or "") .. "\n")
  return true
end

-- The command: run chunk as task 1 with the script's arguments.
-- Returns the exit status; cleans up every child before it returns.
function M._main(chunk, opts, ...)
  M.in_command = true
  if opts.timeout then M.timeout = opts.timeout end
  M.show = opts.show or false
  -- The files of --log and --record: checked (and opened) before the
  -- script runs, so a bad path is bad usage, not a failure in a spawn.
  if opts.log then
    local f, err = core.open_file(opts.log, "a")
    if not f then
      diag.stderr("ptyscript: --log: " .. err .. "\n")
      return 2
    end
    M._log_sink = output.file_sink(f, "--log " .. opts.log, true)
  end
  if opts.record then
    local f, err = core.open_file(opts.record, "w")
    if not f then
      diag.stderr("ptyscript: --record: " .. err .. "\n")
      return 2
    end
    M.record, M._record_file, M._record_input = opts.record, f, opts.record_input or false
  end
  M._trace = opts.trace or false
  M.install_globals(_G)
  _G.coroutine.resume = sched.resume
  _G.coroutine.wrap = sched.wrap
  local real_exit = os.exit
  _G.os.exit = function(code, close)
    io.stdout:flush()
    -- a task's error nobody retrieved is not lost: it is told, and a
    -- successful exit becomes a failure
    local failure = sched.unretrieved()
    if failure then
      diag.stderr("ptyscript: " .. (failure.traceback or diag.describe(failure.err)) .. "\n")
      if code == nil or code == true or code == 0 then code = 1 end
    end
    finish_outputs()
    core.shutdown(1)
    -- a signal caught but not yet acted on still ends us, as it would have
    local sig = core.signalled()
    if sig then core.reraise(sig) end
    if (code == nil or code == true or code == 0) and outputs_failed() then code = 1 end
    if gc_failed(opts.gc_errors) and (code == nil or code == true or code == 0) then code = 1 end
    if stdout_failed(opts.stdout_error) and (code == nil or code == true or code == 0) then code = 1 end
    return real_exit(code, close)
  end
  local caught
  sched.set_signal_handler(function(sig)
    caught = sig
    error(string.format("interrupted by signal %d", sig), 0)
  end)
  core.catch_signals()
  local ok, failure = sched.main(chunk, ...)
  local status = 0
  if not ok and not caught then
    io.stdout:flush()
    diag.stderr("ptyscript: " .. (failure.traceback or diag.describe(failure.err)) .. "\n")
    local also = failure.also   -- a task's error nobody retrieved
    if also then
      diag.stderr("ptyscript: and a task failed: "
        .. (also.traceback or diag.describe(also.err)) .. "\n")
    end
    status = 1
  end
  io.stdout:flush()
  finish_outputs()
  core.shutdown(1)
  caught = caught or core.signalled()   -- (one that came with the last event)
  if caught then core.reraise(caught) end
  if status == 0 and outputs_failed() then status = 1 end
  if gc_failed(opts.gc_errors) and status == 0 then status = 1 end
  if stdout_failed(opts.stdout_error) and status == 0 then status = 1 end
  return status
end

return M
