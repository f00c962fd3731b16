-- ptyscript.diag: how the library tells the script what went wrong -
-- errors at the script's line, the error objects of an unlisted timeout
-- or EOF, values and bytes as messages show them, the secrets kept out
-- of every message, trace lines, and the traceback of an error that ends
-- the script.
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local config = require "ptyscript.config"
local secrets = require "ptyscript.secrets"
local names = require "ptyscript.names"

local M = {}

-- The script's file:line for messages: the first frame outside the
-- library, in this thread (co nil) or in the suspended coroutine co,
-- from level first.
function M.where_in(co, first)
  for level = first, first + 200 do
    local info
    if co then info = debug.getinfo(co, level, "Sl") else info = debug.getinfo(level, "Sl") end
    if not info then break end
    if info.what ~= "C" and not info.source:find("^@lua/ptyscript/") then
      if info.currentline and info.currentline > 0 then
        return info.short_src .. ":" .. info.currentline .. ": "
      end
      return info.short_src .. ": "
    end
  end
  return ""
end
local where_in = M.where_in

-- The script's file:line for a message of its caller.
function M.where()
  local w = where_in(nil, 3)   -- (not a tail call: level 3 is our caller)
  return w
end

-- s with the script's secrets as *** (secrets.redact).
M.redact = secrets.redact

-- Raise msg at the script's line, with the script's secrets redacted (a
-- message may quote a pattern or a value made from one).
function M.raise(msg)
  error(M.where() .. secrets.redact(msg), 0)
end

-- The metatable of the error objects of an unlisted timeout or EOF
-- (pty.Error): fields kind, process, patterns, timeout, before, message
-- (and screen, from a screen's wait).
local Error = { __name = "ptyscript.Error" }
Error.__index = Error
function Error:__tostring() return self.message end
M.Error = Error

-- What lua.c prints for an error value: a string or number as it is, a
-- value with __tostring as that makes it, anything else (nil, false, a
-- plain table) as "(error object is a nil value)".
function M.describe(err)
  local ty = type(err)
  if ty == "string" or ty == "number" then return tostring(err) end
  local mt = debug.getmetatable(err)
  if mt and rawget(mt, "__tostring") then
    local ok, s = pcall(tostring, err)
    if ok and type(s) == "string" then return s end
  end
  return "(error object is a " .. ty .. " value)"
end
local describe = M.describe

-- Escape bytes for messages: \r, \n, \t, \\, \", \xNN.
function M.escape(s)
  return (s:gsub('[%c"\\\128-\255]', function(c)
    if c == "\r" then return "\\r" elseif c == "\n" then return "\\n"
    elseif c == "\t" then return "\\t" elseif c == "\\" then return "\\\\"
    elseif c == '"' then return '\\"' end
    return string.format("\\x%02x", c:byte())
  end))
end

-- A value the script passed, as a message names it after "got": a
-- string quoted, with its type (the string "5"), a number, boolean or
-- nil as it is, anything else by its type ("a table").
function M.got(v)
  local t = type(v)
  if t == "string" then
    return 'the string "' .. M.escape(v:sub(1, 40)) .. (#v > 40 and '..."' or '"')
  elseif t == "number" or t == "boolean" or t == "nil" then
    return tostring(v)
  end
  return "a " .. t
end

-- A name or file name as messages show it: a string quoted and escaped
-- (its first 40 bytes), a number or boolean as it is, anything else by
-- its type.  (Values the script passed are shown by got.)
function M.shown(v)
  if type(v) == "string" then
    return '"' .. M.escape(v:sub(1, 40)) .. (#v > 40 and '..."' or '"')
  end
  if type(v) == "number" or type(v) == "boolean" then return tostring(v) end
  return type(v)
end

-- Write s to standard error, with the secrets redacted, whatever
-- happens (there is nowhere else to say that it failed).
function M.stderr(s)
  io.stderr:flush()
  core.write(2, secrets.redact(s))
end

-- A trace line (--trace) on stderr.
function M.trace(fmt, ...)
  if config._trace then M.stderr("[ptyscript] " .. string.format(fmt, ...) .. "\n") end
end

-- The traceback of an error that ends the script: the script's own
-- frames, without the library's (lua/ptyscript/...) and C frames between
-- them, which say nothing about the script.  Everything is shown when the
-- error comes from the library itself (a bug there), with --trace, or
-- when no frame of the script is left.  A mistyped method or global gets
-- its hint (names.hint).
local LIB = "^lua/ptyscript/"
function M.traceback(co, msg)
  msg = describe(msg) .. names.hint(co, msg)
  if config._trace or msg:find(LIB) then return debug.traceback(co, msg, 0) end
  local out = { msg, "stack traceback:" }
  local level = 0
  local info = debug.getinfo(co, 0, "Slnt")
  while info do
    local caller = debug.getinfo(co, level + 1, "S")
    if info.what ~= "C" and not info.short_src:find(LIB) then
      local what
      if info.what == "main" then
        what = "main chunk"
      elseif info.name and info.namewhat ~= "" and caller
          and not caller.short_src:find(LIB) and caller.what ~= "C" then
        -- (a name only where the script's own code called it; the
        -- library's names for it, such as a task's "fn", mean nothing)
        what = (info.namewhat == "global" and "function" or info.namewhat) .. " '" .. info.name .. "'"
      else
        what = string.format("function <%s:%d>", info.short_src, info.linedefined)
      end
      out[#out + 1] = string.format("\t%s:%d: in %s", info.short_src, info.currentline, what)
      if info.istailcall then out[#out + 1] = "\t(...tail calls...)" end
    end
    level = level + 1
    info = debug.getinfo(co, level, "Slnt")
  end
  if #out == 2 then return debug.traceback(co, msg, 0) end
  return table.concat(out, "\n")
end

return M
