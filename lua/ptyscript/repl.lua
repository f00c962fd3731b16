-- ptyscript.repl: drive a read-eval-print loop (pexpect's replwrap).
--
--   local r = pty.repl{"python3", "-i", "-q", prompt = ">>> ", cont = "\\.\\.\\. "}
--   r:run("print(6 * 7)")      --> "42\n"
--
-- run sends each line of its text (lines end with "\r\n", "\n" or "\r")
-- and waits for the prompt (or the continuation prompt), and returns what
-- the program printed in between, with the echo of what was sent removed
-- and "\n" line endings.  For a program whose prompt could also appear in
-- its output, prompt_change (a format string, e.g. "PS1='%s'") sets a
-- unique prompt first; for one with no prompt at all (bc), sentinel (e.g.
-- 'print "%s\n"') is sent after each line and its output serves as the
-- prompt.
--
-- Every line sent is owed exactly one answer (a prompt, or the sentinel's
-- output).  The count of answers still owed survives a run that raises
-- (a timeout, say): the next run first takes those late answers, so that
-- it never returns an earlier command's output as its own.
local _ENV = require "ptyscript.std"
local spawn = require "ptyscript.spawn"
local expect = require "ptyscript.expect"
local diag = require "ptyscript.diag"
local check = require "ptyscript.check"

local M = {}
local Repl = { __name = "ptyscript.Repl" }
Repl.__index = Repl
require("ptyscript.names").kind(Repl, "REPL", Repl,
  function(r) return "of " .. r.p:_describe_state() end)
local raise = diag.raise
local Pattern = getmetatable(expect.EOF)
local pty_now = require("ptyscript.core").now

-- The prompt made by prompt_change or printed by sentinel.
local UNIQUE = "PTYSCRIPT7d1ePROMPT"
local GUARD = 16   -- bytes of the command before it that its echo shows

-- s as PCRE2 text: punctuation escaped, control bytes as \xHH (bytes of
-- 128 and up are left as they are: the pattern is UTF-8).
local function quote(s)
  return (s:gsub("[%p%c ]", function(c)
    if c:find("%c") then return string.format("\\x%02x", c:byte()) end
    return "\\" .. c
  end))
end

-- The unique prompt as a regex that matches it anywhere except inside
-- the echo of cmd (the command that sets or prints it): there it follows
-- the text before it in cmd, which a lookbehind excludes.  tail: what
-- must follow it (the sentinel's newline).
local function unique_prompt(cmd, tail, what)
  local guards, at = {}, 1
  while true do
    local a, b = cmd:find(UNIQUE, at, true)
    if not a then break end
    local before = cmd:sub(math.max(1, a - GUARD), a - 1):gsub("^[\128-\191]+", "")
    if before == "" then
      raise(string.format("repl: %s must have some text before %%s (its echo would be "
        .. "taken for the prompt)", what))
    end
    guards[#guards + 1] = "(?<!" .. quote(before) .. ")"
    at = b + 1
  end
  if #guards == 0 then
    raise(string.format("repl: %s must hold %%s (or %%q) where the prompt goes", what))
  end
  local ok, re = pcall(expect.re, table.concat(guards) .. UNIQUE .. tail)
  if not ok then raise(string.format("repl: %s: %s", what, tostring(re):gsub("^.-re: ", ""))) end
  return re
end

-- Format prompt_change's or sentinel's text with the unique prompt.
local function format_cmd(fmt, what)
  if type(fmt) ~= "string" then
    raise(string.format("repl: %s must be a format string such as %s, got %s", what,
      what == "sentinel" and "'print \"%s\\n\"'" or "\"PS1='%s'\"", type(fmt)))
  end
  local ok, cmd = pcall(string.format, fmt, UNIQUE)
  if not ok then raise(string.format("repl: %s: %s", what, tostring(cmd))) end
  if cmd:find("[%z\r\n]") then
    raise(string.format("repl: %s must be one line without NUL bytes", what))
  end
  return cmd
end

local function check_pattern(v, what)
  if type(v) == "string" or (getmetatable(v) == Pattern and (v._re or v._lit)) then
    return expect.patterns(v, "repl")[1]
  end
  raise(string.format("repl: %s must be a pattern (a string regex, pty.re() or pty.exact()), "
    .. "got %s", what, getmetatable(v) == Pattern and tostring(v) or type(v)))
end

function M.repl(spec)
  if type(spec) ~= "table" then raise("repl: expected a table {cmd, ..., prompt = pattern}") end
  local argv, opts = {}, { env = { TERM = "dumb" }, echo = false }
  local prompt, cont, change, sentinel
  for k, v in pairs(spec) do
    if math.type(k) == "integer" then argv[k] = v
    elseif k == "prompt" then prompt = check_pattern(v, "prompt")
    elseif k == "cont" then cont = check_pattern(v, "cont")
    elseif k == "prompt_change" then change = format_cmd(v, "prompt_change")
    elseif k == "sentinel" then sentinel = format_cmd(v, "sentinel")
    elseif k == "env" then
      if type(v) ~= "table" then raise("repl: env must be a table, got " .. type(v)) end
      for ek, ev in pairs(v) do opts.env[ek] = ev end
    else opts[k] = v end
  end
  if prompt == nil and change == nil and sentinel == nil then
    raise("repl: give prompt (a pattern), prompt_change or sentinel")
  end
  if change and sentinel then raise("repl: give prompt_change or sentinel, not both") end
  local re
  if change then re = unique_prompt(change, "", "prompt_change") end
  if sentinel then re = unique_prompt(sentinel, "\\r?\\n", "sentinel") end
  for i, a in ipairs(argv) do opts[i] = a end
  local p = spawn.spawn(opts)
  local r = setmetatable({ p = p, cont = cont, sentinel = sentinel, prompt = re or prompt,
    _owed = 0 }, Repl)
  if prompt then p:expect(prompt) end
  if change then
    p:sendline(change)
    p:expect(re)
  end
  return r
end

-- text -> its lines, and whether it ended with a line ending (which is
-- not a line of its own).
local function lines_of(text)
  text = text:gsub("\r\n?", "\n")
  local ended = text:sub(-1) == "\n"
  if ended then text = text:sub(1, -2) end
  local lines = {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  return lines, ended
end

-- Strip the echo of what was sent, if the program repeated it: the line
-- at the start, and the sentinel command (with its line end) wherever it
-- is, since only an echo holds it.
local function unecho(out, line, sentinel)
  if out:sub(1, #line) == line then
    out = out:sub(#line + 1):gsub("^\r?\n", "")
  end
  if sentinel and out:find(sentinel, 1, true) then
    out = out:gsub(sentinel:gsub("%W", "%%%0") .. "\r?\n?", "")
  end
  return out
end

-- Send one line (and the sentinel): one more answer is owed.
local function ask(r, line)
  r.p:sendline(line)
  if r.sentinel then r.p:sendline(r.sentinel) end
  r._owed = r._owed + 1
end

-- Wait for the next answer: the prompt (m.index 1) or the continuation
-- prompt (2, if cont was given).  A prompt is the last thing the program
-- prints before it waits for us: one with more output after it already
-- was in the output (print(">>> ")), and the wait goes on.  (The
-- sentinel's output is unique and ends with its own newline.)
local function answer(r, timeout)
  local pats = r.cont and { r.prompt, r.cont } or r.prompt
  local deadline = timeout ~= math.huge and pty_now() + timeout
  local m = r.p:expect(pats, timeout)
  if not r.sentinel then
    local skipped
    while select(2, r.p._c:state()) > 0 do
      skipped = (skipped or "") .. m.before .. m[0]
      m = r.p:expect(pats, deadline and math.max(0, deadline - pty_now()) or timeout)
    end
    if skipped then m.before = skipped .. m.before end
  end
  r._owed = r._owed - 1
  return m
end

-- Leave the continuation prompt: ^C, as pexpect's replwrap does, and
-- take the prompt that answers it (within 2 s; else it stays owed).  A
-- program that waits for input in select() keeps a ^C that came just
-- before it began to wait pending until the next input (Python's
-- readline): when nothing at all answers within half a second, a second
-- ^C wakes it, and the two make one interrupt.
local ANYTHING = expect.re("(?=[\\s\\S])")   -- (consumes nothing)
local function cancel(r, timeout)
  local p = r.p
  p:sendcontrol("c")
  if r.sentinel then p:sendline(r.sentinel) end
  r._owed = r._owed + 1
  if p:expect({ ANYTHING, expect.TIMEOUT }, math.min(timeout, 0.5)).index == 2 then
    p:sendcontrol("c")
  end
  local ok, m = pcall(answer, r, math.min(timeout, 2))
  return ok and m.index == 1
end

-- Take the answers owed to earlier runs (the REPL may still be busy with
-- one: wait for it), then refuse to start on a prompt nobody asked for.
local function settle(r, timeout)
  local where, cancelled = diag.where(), false
  while r._owed > 0 do
    local ok, m = pcall(answer, r, timeout)
    if not ok then
      if getmetatable(m) == diag.Error then
        local msg = m.message
        if msg:sub(1, #where) == where then msg = msg:sub(#where + 1) end
        m.message = string.format("%srun: the answer to an earlier run that failed has not come: %s",
          where, msg)
      end
      error(m, 0)
    end
    if r._owed == 0 and m.index == 2 and not cancelled then
      cancelled = true
      cancel(r, timeout)
    end
  end
  local list = { r.prompt }
  if r.cont then list[2] = r.cont end
  list[#list + 1] = expect.TIMEOUT
  local m = r.p:expect(list, 0)
  if m.index ~= #list then
    raise(string.format("run: the REPL printed a prompt that answers no command of run "
      .. "(output before it: \"%s\"); it was consumed, and nothing was sent",
      diag.escape(diag.redact(m.before))))
  end
end

-- r:run(text [, timeout]) -> output
function Repl:run(text, timeout)
  if getmetatable(self) ~= Repl then raise("run: use r:run(...), not r.run(...)") end
  if type(text) ~= "string" then raise("run: expected a string, got " .. type(text)) end
  timeout = check.timeout(self.p, timeout, "run")
  settle(self, timeout)
  local lines, ended = lines_of(text)
  local last = lines[#lines]   -- (named when the input is incomplete)
  local out, i = {}, 1
  while i <= #lines do
    local line = lines[i]
    ask(self, line)
    local m = answer(self, timeout)
    out[#out + 1] = unecho(m.before, line, self.sentinel)
    if m.index == 2 and i == #lines then
      if ended then   -- one more empty line ends the block (pexpect's replwrap)
        ended = false
        lines[#lines + 1] = ""
      else
        local back = cancel(self, timeout)
        raise(string.format("run: incomplete input: the REPL waits for more (continuation prompt "
          .. "%s after the last line \"%s\"); %s", tostring(self.cont),
          diag.escape(diag.redact(last)),
          back and "cancelled with ^C" or "sent ^C, and its prompt has not come yet"))
      end
    end
    i = i + 1
  end
  local s = table.concat(out):gsub("\r\n", "\n")
  return s
end

function Repl:close()
  return self.p:close()
end
Repl.__close = function(self) self.p:close() end

return M
