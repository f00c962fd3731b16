-- ptyscript.secrets: the script's secrets and their redaction.
--
-- One set for the whole script (core.secrets, src/redact.c), made on
-- first use, whichever process a secret was sent to: it may come back in
-- another's output (a second session tailing a file the first writes,
-- ps, a shell's history), and in the script's own messages.  Everything
-- ptyscript writes - messages, traces, transcripts, recordings, pictures,
-- --show's copy of the output - has them as ***.
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"

local M = {}

local set   -- the script's secrets, once there is one

-- The set of secrets, made on first use; show (--show) copies output
-- with them as *** too.
function M.set()
  if not set then
    set = core.secrets()
    set:show()
  end
  return set
end

-- Keep secret out of everything ptyscript writes from now on (the \r
-- and \n around it are not part of it).
function M.add(secret)
  M.set():add(secret)
end

-- s with every secret, and a piece of one cut at either end (3 bytes or
-- more, as when a match consumed the secret's first part), as ***; its
-- echoed forms too (src/redact.c).  Redact raw bytes, before escaping
-- them: an escaped secret is no longer recognised.
function M.redact(s)
  if not set then return s end
  return set:redact(s)
end

return M
