-- ptyscript.user: asking the person at the terminal (Expect's
-- "stty -echo; expect_user"): pty.getpass.
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local sched = require "ptyscript.sched"
local diag = require "ptyscript.diag"

local M = {}

-- pty.getpass([prompt]) -> the line typed on the terminal (standard
-- input), without its newline and not echoed; nil, "eof" when input ends
-- first (^D).  The prompt goes to standard error.  The wait goes through
-- the loop, so other tasks run meanwhile and ^C ends the script as a
-- signal does; the terminal's modes are restored on every way out.  The
-- answer is not registered as a secret (the script decides what it is
-- for), but from now on ptyscript holds a secret: it cannot be dumped or
-- traced.
function M.getpass(prompt)
  if prompt == nil then prompt = "Password: " end
  if type(prompt) ~= "string" then
    diag.raise("getpass: the prompt must be a string, got " .. type(prompt))
  end
  if not core.isatty(0) then
    diag.raise("getpass: standard input is not a terminal (nobody to ask; "
      .. "take the secret from the environment or a file instead)")
  end
  core.protect_secrets()
  -- echo off before the prompt: nothing typed once it shows is echoed
  local ok, err = core.tty_raw(0, "noecho")
  if not ok then diag.raise("getpass: " .. err) end
  io.stdout:flush()
  diag.stderr(prompt)
  local stdin = core.reader(0)
  local parts, eof = {}, false
  local done, failure = pcall(function()
    while true do
      local data = stdin:read()
      if data == false then
        sched.wait_for(stdin, core.DATA, nil)
      elseif data == nil then
        eof = true
        return
      else
        -- canonical mode: one read returns at most one line
        local nl = data:find("\n", 1, true)
        if nl then
          parts[#parts + 1] = data:sub(1, nl - 1)
          return
        end
        parts[#parts + 1] = data
      end
    end
  end)
  core.tty_restore()
  stdin:close()
  diag.stderr("\n")
  if not done then error(failure, 0) end
  if eof and #parts == 0 then return nil, "eof" end
  return (table.concat(parts):gsub("\r$", ""))
end

return M
