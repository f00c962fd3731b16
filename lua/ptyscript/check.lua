-- ptyscript.check: checks of the script's arguments that several parts
-- share - options tables, file names, integers, timeouts and deadlines,
-- and that a method was called on a process (p:m(), not p.m()) that is
-- still open.  Each raises at the script's line (diag.raise).
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local config = require "ptyscript.config"
local diag = require "ptyscript.diag"

local M = {}
local raise, got, shown = diag.raise, diag.got, diag.shown

-- Check the options table of `what` against known = {name = kind}: an
-- unknown name raises (a misspelt {secert = true} must not pass
-- silently), so does a "boolean" that is not true or false ("no" is a
-- true value to Lua), and a "string" that is not one or holds a NUL byte
-- (C would end it there).  Other kinds are checked where they are used.
-- Integer keys are skipped (spawn's argv).
function M.options(opts, known, what)
  for k, v in pairs(opts) do
    local kind = known[k]
    if kind == nil then
      if math.type(k) ~= "integer" then
        raise(string.format("%s: unknown option %s", what, shown(k)))
      end
    elseif kind == "boolean" then
      if type(v) ~= "boolean" then
        raise(string.format("%s: %s must be true or false, got %s", what, k, got(v)))
      end
    elseif kind == "string" then
      if type(v) ~= "string" then
        raise(string.format("%s: %s must be a string, got %s", what, k, got(v)))
      end
      if v:find("%z") then raise(string.format("%s: %s contains a NUL byte", what, k)) end
    elseif kind == "name" and type(v) == "string" and v:find("%z") then   -- uid, gid
      raise(string.format("%s: %s contains a NUL byte", what, k))
    end
  end
end

-- A file name argument: a NUL byte would end it early in C.
function M.path(path, what)
  if type(path) == "string" and path:find("%z") then
    raise(string.format("%s: the file name %s contains a NUL byte", what, shown(path)))
  end
end

-- An integer option or argument from lo to hi, or nil.
function M.int(v, what, name, lo, hi)
  if v == nil then return end
  if type(v) ~= "number" or math.tointeger(v) == nil or v < lo or v > hi then
    raise(string.format("%s: %s must be an integer from %d to %d, got %s", what, name, lo, hi,
      got(v)))
  end
end

-- The timeout a call on p uses: its own, the process's (p.timeout), or
-- pty.timeout; checked.
function M.timeout(p, timeout, what)
  local from   -- (a default: which, for the message)
  if timeout == nil then timeout, from = p.timeout, "p.timeout" end
  if timeout == nil then timeout, from = config.timeout, "pty.timeout" end
  if type(timeout) ~= "number" or timeout ~= timeout or timeout < 0 then
    raise(string.format("%s: timeout must be a number of seconds >= 0 (got %s%s)",
      what, got(timeout), from and " from " .. from or ""))
  end
  return timeout
end

-- A deadline (a core.now() value) for timeout (seconds; nil = none),
-- checked; an error names the line that called the caller.
function M.deadline(timeout, what)
  if timeout == nil or timeout == math.huge then return nil end
  if type(timeout) ~= "number" or timeout ~= timeout or timeout < 0 then
    error(string.format("%s: timeout must be a number of seconds >= 0 (got %s)",
      what, got(timeout)), 3)
  end
  return core.now() + timeout
end

-- The mark every process carries (p._is): checking it costs no function
-- call on the hot path (send, expect).
local PROCESS = setmetatable({}, { __name = "ptyscript.process mark" })
M.PROCESS = PROCESS

-- p is a process: a method was called as p:what(...).
function M.process(p, what)
  if type(p) ~= "table" or p._is ~= PROCESS then
    raise(string.format("%s: expected a process (use p:%s(...), not p.%s(...))",
      what, what, what))
  end
end

-- p is a process that is not closed.
function M.open(p, what)
  M.process(p, what)
  if p._closed then raise(string.format("%s: %s was closed", what, p:_describe_state())) end
end

return M
