-- ptyscript.repl: drive a read-eval-print loop (pexpect's replwrap).
--
--   local r = pty.repl{"python3", "-i", "-q", prompt = ">>> ", cont = "\\.\\.\\. "}
--   r:run("print(6 * 7)")      --> "42\n"
--
-- run sends each line of its text and waits for the prompt (or, between
-- lines, the continuation prompt), and returns what the program printed in
-- between, with the echo of what was sent removed and "\n" line endings.
-- For a program whose prompt could also appear in its output, prompt_change
-- (a format string, e.g. "PS1='%s'") sets a unique prompt first; for one
-- with no prompt at all (bc), sentinel (e.g. 'print "%s\n"') is sent after
-- each line and its output serves as the prompt.
local proc = require "ptyscript.proc"
local expect = require "ptyscript.expect"

local M = {}
local Repl = { __name = "ptyscript.Repl" }
Repl.__index = Repl

-- The prompt made by prompt_change or printed by sentinel.  Matched only
-- at the start of a line or after a blank (the old prompt): the echo of
-- the command that sets or prints it holds it too, but after a quote.
local UNIQUE = "PTYSCRIPT7d1ePROMPT"
local AT_LINE_START = "(?:^|[ \\t])" .. UNIQUE

function M.repl(spec)
  if type(spec) ~= "table" then expect.raise("repl: expected a table {cmd, ..., prompt = pattern}") end
  local argv, opts = {}, { env = { TERM = "dumb" }, echo = false }
  local prompt, cont, change, sentinel
  for k, v in pairs(spec) do
    if math.type(k) == "integer" then argv[k] = v
    elseif k == "prompt" then prompt = v
    elseif k == "cont" then cont = v
    elseif k == "prompt_change" then change = v
    elseif k == "sentinel" then sentinel = v
    elseif k == "env" then
      for ek, ev in pairs(v) do opts.env[ek] = ev end
    else opts[k] = v end
  end
  if prompt == nil and change == nil and sentinel == nil then
    expect.raise("repl: give prompt (a pattern), prompt_change or sentinel")
  end
  for i, a in ipairs(argv) do opts[i] = a end
  local p = proc.spawn(opts)
  local r = setmetatable({ p = p, cont = cont, sentinel = sentinel }, Repl)
  if prompt then p:expect(prompt) end
  if change then
    r.prompt = expect.re(AT_LINE_START, "m")
    p:sendline(string.format(change, UNIQUE))
    p:expect(r.prompt)
  elseif sentinel then
    r.prompt = expect.re(AT_LINE_START .. "\\r?\\n", "m")
  else
    r.prompt = prompt
  end
  return r
end

-- Strip the echo of what was sent, if the program repeated it.
local function unecho(out, line)
  if out:sub(1, #line) == line then
    out = out:sub(#line + 1):gsub("^\r?\n", "")
  end
  return out
end

-- r:run(text [, timeout]) -> output
function Repl:run(text, timeout)
  if getmetatable(self) ~= Repl then expect.raise("run: use r:run(...), not r.run(...)") end
  if type(text) ~= "string" then expect.raise("run: expected a string, got " .. type(text)) end
  local p, out = self.p, {}
  local lines = {}
  for l in (text:gsub("\n$", "") .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  for i, line in ipairs(lines) do
    p:sendline(line)
    local pats = { self.prompt }
    if self.cont and i < #lines then pats[2] = self.cont end
    if self.sentinel then p:sendline(string.format(self.sentinel, UNIQUE)) end
    local m = p:expect(pats, timeout)
    out[#out + 1] = unecho(m.before, line)
  end
  local s = table.concat(out):gsub("\r\n", "\n")
  return s
end

function Repl:close()
  return self.p:close()
end
Repl.__close = function(self) self.p:close() end

return M
