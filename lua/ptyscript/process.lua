-- ptyscript.process: the Process class - a Lua table around the C
-- handle p._c (l_proc.c), which never blocks - with its own core (wait,
-- kill, terminate, close, the window size, flow control) and the methods
-- the other parts offer (send, expect, log, record, interact, on,
-- streams, screen), gathered here into the one class.
--
-- Every wait goes through sched.wait_for.  Errors of the script (bad
-- arguments, use after close) raise with the script's file:line;
-- outcomes of the world (exit status, EOF or timeout when listed) are
-- values.
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local sched = require "ptyscript.sched"
local names = require "ptyscript.names"
local diag = require "ptyscript.diag"
local check = require "ptyscript.check"
local status = require "ptyscript.status"
local expect = require "ptyscript.expect"
local output = require "ptyscript.output"
local events = require "ptyscript.events"
local send = require "ptyscript.send"
local stream = require "ptyscript.stream"
local screen = require "ptyscript.screen"
local interact = require "ptyscript.interact"

local M = {}
local raise, got = diag.raise, diag.got
local refresh, results = status.refresh, status.results
local PROCESS = check.PROCESS
local expect_literal = expect.expect_literal

local Process = { __name = "ptyscript.Process" }
Process.__index = Process
M.Process = Process
names.kind(Process, "process", Process, function(p) return p:_describe_state() end)

-- A new process from its fields (spawn's).
function M.new(fields)
  fields._is = PROCESS
  return setmetatable(fields, Process)
end

function Process:__tostring()
  return "ptyscript process " .. self:_describe_state()
end

-- "bc (pid 42, running)" / "(pid 42, exited 0)" / "(pid 42, killed by KILL)"
Process._describe_state = status.describe

function Process:expect(patterns, timeout)
  check.process(self, "expect")
  return expect.expect(self, patterns, timeout, "expect")
end

-- p:expect_exact(text or {texts...} [, timeout])
function Process:expect_exact(text, timeout)
  if type(self) ~= "table" or self._is ~= PROCESS then check.process(self, "expect_exact") end
  if type(text) == "string" then return expect_literal(self, text, timeout) end
  return expect.expect_exact(self, text, timeout)
end

function Process:read(timeout)
  check.process(self, "read")
  return expect.read(self, timeout)
end

function Process:readline(timeout)
  check.process(self, "readline")
  return expect.readline(self, timeout)
end

-- p:wait([timeout]) -> true|nil, "exit"|"signal", n; nil, "timeout"
function Process:wait(timeout)
  check.process(self, "wait")
  local deadline = check.deadline(timeout, "wait")
  local c = self._c
  while true do
    -- a wait reads what the child left, and records the exit: the exit
    -- callbacks are told before it returns, as when the loop saw it
    local kind, n = refresh(self, true)
    if kind then
      events.tell_exit(self, kind, n)
      return results(kind, n)
    end
    if sched.wait_for(c, core.EXIT, deadline) == "timeout" then
      kind, n = refresh(self, true)
      if not kind then return nil, "timeout" end
      events.tell_exit(self, kind, n)
      return results(kind, n)
    end
  end
end

function Process:alive()
  check.process(self, "alive")
  return refresh(self) == nil
end

-- p:kill([sig]): signal the child (not its group).  false if it is gone.
function Process:kill(sig)
  check.process(self, "kill")
  local n = status.signum(sig, "kill")
  local ok, err = self._c:kill(n, false)
  if ok == nil then raise("kill " .. self:_describe_state() .. ": " .. err) end
  return ok
end

-- Wait up to s seconds for the exit; true if it has exited.
local function exited_within(p, s)
  return p:wait(s) ~= nil or refresh(p) ~= nil
end

-- p:terminate([force]): HUP and CONT, then INT, then KILL if force, to the
-- child's process group, each followed by a short wait.  true if it died.
function Process:terminate(force)
  check.process(self, "terminate")
  if force ~= nil and type(force) ~= "boolean" then
    raise("terminate: force must be true or false, got " .. got(force))
  end
  local c = self._c
  if refresh(self) then return true end
  c:kill(core.signals.HUP, true)
  c:kill(core.signals.CONT, true)
  if exited_within(self, 0.1) then return true end
  c:kill(core.signals.INT, true)
  if exited_within(self, 0.1) then return true end
  if force then
    c:kill(core.signals.KILL, true)
    return exited_within(self, 5)
  end
  return false
end

-- p:close([{grace = 1}]): hang up; KILL what is left of the group (the
-- child, or jobs it left in the background) after grace seconds; reap;
-- end the transcripts and recordings (closing the files p:log and
-- p:record opened).  Returns what wait returns.  Idempotent.
function Process:close(opts)
  check.process(self, "close")
  local grace = 1
  if opts ~= nil then
    if type(opts) ~= "table" then raise("close: options must be a table such as {grace = 1}") end
    check.options(opts, { grace = "number" }, "close")
    if opts.grace ~= nil then
      grace = opts.grace
      if type(grace) ~= "number" or grace ~= grace or grace < 0 then
        raise("close: grace must be a number of seconds >= 0, got " .. got(grace))
      end
    end
  end
  local c = self._c
  if not self._closed then
    self._closed = true
    local deadline = sched.now() + grace
    c:hangup()
    if refresh(self) == nil and grace > 0 then self:wait(grace) end
    -- what the child left in its group (background jobs) gets the rest
    -- of the grace too; its zombie keeps the group's id ours till the reap
    while c:group_alive() and sched.now() < deadline do
      sched.sleep(math.min(0.01, math.max(deadline - sched.now(), 0)))
    end
    c:reap()
    local kind, n = refresh(self)   -- (recorded by the reap, if not before)
    if kind then events.tell_exit(self, kind, n) end
  end
  if self._outputs then
    events.deliver(self)
    output.finish(self)
  end
  output.closed(self)
  return results(refresh(self))
end
-- `local p <close>`: Lua passes the error object (if any) as the second
-- argument, which is not close's options.
function Process:__close()
  self:close()
end

local function check_tty(p, what)
  if not p._pty then
    raise(string.format("%s: %s runs with pipes (pty = false): it has no terminal", what, p.name))
  end
end

-- p:setwinsize(rows, cols): 1..65535 each; with a screen, within the
-- screen's limits (rows 1..1000, cols 2..1000), so that the child and
-- the screen always agree.  Out of range raises, and nothing changes.
function Process:setwinsize(rows, cols)
  check.open(self, "setwinsize")
  check_tty(self, "setwinsize")
  check.int(rows, "setwinsize", "rows", 1, 65535)
  check.int(cols, "setwinsize", "cols", 1, 65535)
  if rows == nil or cols == nil then raise("setwinsize: expected rows and cols") end
  if self._screen then
    local lim = screen.LIMITS
    if rows > lim.rows or cols < lim.min_cols or cols > lim.cols then
      raise(string.format("setwinsize: with a screen, rows must be 1 to %d and cols %d to %d "
        .. "(got %sx%s)", lim.rows, lim.min_cols, lim.cols, tostring(rows), tostring(cols)))
    end
  end
  local ok, err = self._c:setwinsize(rows, cols)
  if not ok then raise("setwinsize " .. self.name .. ": " .. err) end
  self._rows, self._cols = math.tointeger(rows), math.tointeger(cols)
  return true
end

function Process:getwinsize()
  check.open(self, "getwinsize")
  check_tty(self, "getwinsize")
  local r, c = self._c:getwinsize()
  if not r then raise("getwinsize " .. self.name .. ": " .. c) end
  return r, c
end

-- Echo (pexpect's getecho, setecho, waitnoecho).  On a terminal only;
-- the modes are read and set on the master (the slave's, on Linux).

-- Whether p's terminal echoes, for the method `what` (checked by it).
local function echo_of(p, what)
  local on, err = p._c:echo()
  if on == nil then raise(string.format("%s %s: %s", what, p.name, err or "the terminal is closed")) end
  return on
end

-- p:getecho() -> whether the child's terminal echoes what it is sent.
function Process:getecho()
  check.open(self, "getecho")
  check_tty(self, "getecho")
  return echo_of(self, "getecho")
end

-- p:setecho(on) -> true: turn the terminal's echo on or off, at once.
function Process:setecho(on)
  check.open(self, "setecho")
  check_tty(self, "setecho")
  if type(on) ~= "boolean" then raise("setecho: expected true or false, got " .. got(on)) end
  local ok, err = self._c:setecho(on)
  if not ok then raise(string.format("setecho %s: %s", self.name, err)) end
  return true
end

-- How often waitnoecho looks at the modes: no event tells of a change
-- (packet mode's TIOCPKT_IOCTL needs EXTPROC, and would put a header
-- byte in front of every read).
local ECHO_POLL = 0.05

-- p:waitnoecho([timeout]) -> true once the terminal's echo is off (a
-- password prompt); false at the timeout, or when the output ends or the
-- child exits with echo still on.  The task sleeps between looks (the
-- loop runs on, reading every process), and also wakes on output, which
-- a program sends just after turning echo off (its prompt).
function Process:waitnoecho(timeout)
  check.open(self, "waitnoecho")
  check_tty(self, "waitnoecho")
  timeout = expect.timeout_for(self, timeout, "waitnoecho")
  local deadline = timeout ~= math.huge and core.now() + timeout or nil
  local c = self._c
  while true do
    if self._closed then return false end   -- (by another task meanwhile)
    if not echo_of(self, "waitnoecho") then return true end
    if refresh(self) ~= nil or select(3, c:state()) then return false end
    local now = core.now()
    if deadline and now >= deadline then return false end
    local wake = now + ECHO_POLL
    if deadline and deadline < wake then wake = deadline end
    sched.wait_for(c, core.DATA | core.EXIT, wake)
  end
end

-- Flow control: stop reading the child (its writes then block).
function Process:pause()
  check.process(self, "pause")
  self._c:pause(true)
end

function Process:resume()
  check.process(self, "resume")
  self._c:pause(false)
end

-- The methods of the other parts.
Process.send, Process._type = send.send, send.type
Process.sendline, Process.sendcontrol, Process.sendeof = send.sendline, send.sendcontrol, send.sendeof
Process.log, Process.record = output.log, output.record
Process.interact = interact.interact
Process.on = events.on
Process.stream, Process.write_fd, Process.close_fd = stream.stream, stream.write_fd, stream.close_fd

-- p:screen(), p:expect_screen(), p:wait_stable(): ptyscript.screen's.
function Process:screen()
  if type(self) ~= "table" or self._is ~= PROCESS then
    raise("screen: expected a process (use p:screen(), not p.screen())")
  end
  return screen.attach(self)
end

function Process:expect_screen(what, timeout)
  if type(self) ~= "table" or self._is ~= PROCESS then
    raise("expect_screen: expected a process (use p:expect_screen(...), not p.expect_screen(...))")
  end
  return screen.expect_screen(self, what, timeout)
end

function Process:wait_stable(quiet, timeout)
  if type(self) ~= "table" or self._is ~= PROCESS then
    raise("wait_stable: expected a process (use p:wait_stable(...), not p.wait_stable(...))")
  end
  return screen.wait_stable(self, quiet, timeout)
end

return M
