-- ptyscript.status: a child's exit as the script sees it - p.exitcode
-- and p.signal kept in step with what the C side saw, wait's results,
-- signal names and numbers, and "bc (pid 42, running)" for messages.
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local diag = require "ptyscript.diag"

local M = {}

local signame = {}
for name, num in pairs(core.signals) do signame[num] = name end

-- "TERM", "SIGTERM", 15 -> 15; anything else raises.
function M.signum(sig, what)
  if sig == nil then return core.signals.TERM end
  if math.type(sig) == "integer" and sig > 0 and sig < 65 then return sig end
  if type(sig) == "string" then
    local n = core.signals[sig:upper():gsub("^SIG", "")]
    if n then return n end
  end
  diag.raise(string.format("%s: unknown signal %s (use a name such as \"TERM\", \"INT\", "
    .. "\"HUP\", \"KILL\" or a number)", what, tostring(sig)))
end

-- Poll the child's status (its exit is seen, not reaped: close reaps)
-- and keep p.exitcode / p.signal in step.  Returns status()'s kind, n,
-- recorded.  record: a wait (what the child left is read, the exit
-- recorded); without it nothing is read, so asking the state never takes
-- output from a transcript attached after it.  recorded: false for an
-- exit only peeked at (the loop records it, after reading what is left).
function M.refresh(p, record)
  local kind, n, recorded = p._c:status(record)
  if kind == "exit" then
    p.exitcode = n
  elseif kind == "signal" then
    p.signal = signame[n] or tostring(n)
  end
  return kind, n, recorded
end
local refresh = M.refresh

-- os.execute-style results for a child whose exit was seen.
function M.results(kind, n)
  if kind == "exit" then
    if n == 0 then return true, "exit", 0 end
    return nil, "exit", n
  end
  return nil, "signal", n
end

-- "bc (pid 42, running)" / "(pid 42, exited 0)" / "(pid 42, killed by KILL)"
function M.describe(p)
  local kind, n = refresh(p)
  local st
  if kind == "exit" then st = "exited " .. n
  elseif kind == "signal" then st = "killed by SIG" .. (signame[n] or n)
  else st = "running" end
  return string.format("%s (pid %d, %s)", p.name, p.pid, st)
end

return M
