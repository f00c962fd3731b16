-- ptyscript.run: pty.run, pexpect's run - a command run to its end on a
-- terminal, answered when its patterns appear, its whole output and
-- exit status returned.  Nothing of it is left running: a timeout or an
-- error kills the child (its process group) before it is raised.
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local sched = require "ptyscript.sched"
local diag = require "ptyscript.diag"
local check = require "ptyscript.check"
local expect = require "ptyscript.expect"
local output = require "ptyscript.output"
local spawn = require "ptyscript.spawn"
local send = require "ptyscript.send"
local secrets = require "ptyscript.secrets"

local M = {}
local raise, got, shown = diag.raise, diag.got, diag.shown
local Pattern = getmetatable(expect.EOF)

-- spawn's options that mean nothing for a run: the run reads the
-- terminal's output to the end, which pipes, extra descriptors and a
-- screen would change.  Every other option of spawn passes through (and
-- spawn checks it, naming run).
local SPAWN_ONLY = { pty = true, fds = true, screen = true }

-- events = {{pattern, response [, secret = true]}, ...} -> the Patterns,
-- the responses and which are secrets, checked.  A list, in order: among
-- patterns that match at the same byte, the first listed wins (a
-- table's keys have no order).  A secret string is registered at once.
local function check_events(events)
  if events == nil then return {}, {}, {} end
  if type(events) ~= "table" then
    raise("run: events must be a list of {pattern, response} pairs, got " .. got(events))
  end
  local n = #events
  for k in pairs(events) do
    if math.type(k) ~= "integer" then
      raise(string.format("run: events is a list of {pattern, response} pairs, in order "
        .. "(a table's keys have no order): it has the key %s", shown(k)))
    elseif k < 1 then
      raise(string.format("run: events is a list of {pattern, response} pairs numbered from 1: "
        .. "it has the key %d", k))
    elseif k > n then
      raise(string.format("run: events has a hole (a nil before event %d)", k))
    end
  end
  local pats, responses, secret_of = {}, {}, {}
  for i = 1, n do
    local e = events[i]
    if type(e) ~= "table" then
      raise(string.format("run: event %d must be a {pattern, response} pair, got %s", i, got(e)))
    end
    local pat, response = e[1], e[2]
    if type(pat) == "string" then
      pat = expect.patterns(pat, "run")[1]   -- (compiled: an invalid regex raises now)
    elseif getmetatable(pat) ~= Pattern or not (pat._re or pat._lit) then
      raise(string.format("run: the pattern of event %d must be a string (regex), pty.exact() or "
        .. "pty.re(), got %s", i, getmetatable(pat) == Pattern and "pty." .. pat.kind or got(pat)))
    end
    -- (one that matches nothing at all would match again and again; one
    -- that matches nothing only somewhere, as (?=a), raises when it does)
    if pat._lit == "" or (pat._re and pat._re:test("")) then
      raise(string.format("run: the pattern of event %d, %s, matches the empty string: it would "
        .. "match again and again", i, expect.shown(nil, pat)))
    end
    if type(response) ~= "string" and type(response) ~= "function" then
      raise(string.format("run: the response of event %d must be a string or a function, got %s",
        i, got(response)))
    end
    local secret = e.secret
    if secret ~= nil and type(secret) ~= "boolean" then
      -- (its type only: a password given here by mistake stays unshown)
      raise(string.format("run: the secret of event %d must be true or false, got a %s", i,
        type(secret)))
    end
    if secret and type(response) == "string" then secrets.add(response) end
    pats[i], responses[i], secret_of[i] = pat, response, secret or nil
  end
  return pats, responses, secret_of
end

-- The command as given: argv (a fresh list) and the text messages show.
local function command_of(command)
  if type(command) == "string" then return { "/bin/sh", "-c", command }, command end
  if type(command) ~= "table" then
    raise("run: expected a command line string or a table {prog, arg...}, got " .. got(command))
  end
  local argv = {}
  for k, v in pairs(command) do
    if math.type(k) ~= "integer" then
      raise(string.format("run: the command table holds the program and its arguments only "
        .. "(options go in the second argument): it has the key %s", shown(k)))
    end
    argv[k] = v
  end
  for k in pairs(argv) do
    if k < 1 or k > #argv then raise("run: the argument list has holes") end
  end
  local words = {}
  for i = 1, #argv do words[i] = tostring(argv[i]) end
  return argv, table.concat(words, " ")
end

-- The run's timeout passed: the child is killed (its group), and the
-- error object raised (pty.Error, as an expect's: kind, process,
-- patterns, timeout, and before: all the output).
local function timed_out(p, text, list, timeout, out)
  p:close{ grace = 0 }   -- (which hands out what it read last)
  local before = table.concat(out)
  local e = setmetatable({ kind = "timeout", process = p, patterns = list, timeout = timeout,
    before = before }, diag.Error)
  -- redacted before they are cut and escaped, which would hide a secret
  -- from the redaction (as expect's message has it)
  local redact = diag.redact
  e.message = diag.where() .. string.format(
    "run: timeout (%gs) running %s (pid %d): it was killed\n  last output: \"%s\"",
    timeout, shown(redact(text)), p.pid, expect.last_output(redact(before)))
  error(e, 0)
end

-- pty.run(command [, options]) -> output, status, how
-- Runs command (a shell command line, or {prog, arg...}) on a terminal
-- to its end: the output up to EOF, then the exit: status is the exit
-- status (how "exit") or the number of the signal that killed the child
-- (how "signal"), as p:wait's last two results.  options: events, the
-- {pattern, response} pairs answered as the patterns appear (response:
-- a string to send, or fn(m, p) returning one, nil or false to send
-- nothing, true to stop: the child is closed, and run returns its
-- output and close's status; secret = true in a pair: what it sends is
-- a secret); timeout, for the whole run (default: no limit); the rest
-- is spawn's.
function M.run(command, opts)
  local argv, text = command_of(command)
  if opts ~= nil and type(opts) ~= "table" then
    raise("run: options must be a table such as {timeout = 10}")
  end
  local spawn_opts, timeout, events = {}, nil, nil
  for k, v in pairs(opts or {}) do
    if k == "timeout" then
      timeout = v
    elseif k == "events" then
      events = v
    elseif SPAWN_ONLY[k] then
      raise(string.format("run: option %s is pty.spawn's: run reads the terminal's output to its "
        .. "end", shown(k)))
    else
      spawn_opts[k] = v
    end
  end
  if type(command) == "string" and spawn_opts.name == nil then spawn_opts.name = "sh" end
  if timeout == nil then timeout = math.huge else timeout = check.timeout({}, timeout, "run") end
  local pats, responses, secret_of = check_events(events)
  local list = {}
  for i = 1, #pats do list[i] = pats[i] end
  local eof_i = #list + 1
  list[eof_i] = expect.EOF
  local waited = { table.unpack(list) }   -- (for the error object: TIMEOUT is ours)
  list[eof_i + 1] = expect.TIMEOUT

  -- the run's child is nobody's current process: the shorthands keep theirs
  local state = sched.current_state()
  local current = state.proc
  local p = spawn.start(argv, spawn_opts, "run")
  state.proc = current
  local done = false
  -- an error (a response function's, a send's) kills the child too
  local guard <close> = setmetatable({}, { __close = function()
    if not done then p:close{ grace = 0 } end
  end })
  local deadline = timeout ~= math.huge and core.now() + timeout or nil
  local function left()
    return deadline and math.max(deadline - core.now(), 0) or math.huge
  end
  -- the output is copied as it is read: the match window (maxbuf) only
  -- bounds what the events' patterns see
  local out = {}
  output.copy(p, function(bytes) out[#out + 1] = bytes end)
  while true do
    local m = p:expect(list, left())
    local i = m.index
    if i == eof_i then break end
    if i > eof_i then timed_out(p, text, waited, timeout, out) end
    if m[0] == "" then
      raise(string.format("run: the pattern of event %d, %s, matched nothing (an empty match): "
        .. "it would match again and again", i, expect.shown(p, list[i])))
    end
    local response = responses[i]
    if type(response) == "function" then
      response = response(m, p)
      if response == true then   -- stop: hang up, as p:close does
        done = true
        local _, how, n = p:close()
        return table.concat(out), n, how
      elseif response ~= nil and response ~= false and type(response) ~= "string" then
        raise(string.format("run: the response function of event %d returned %s; expected a "
          .. "string to send, nil or false (nothing) or true (stop)", i, got(response)))
      end
    end
    if response then
      -- as p:send, but a send that waits (the child reads no more) waits
      -- only until the run's timeout, and one the child can no longer
      -- read (it closed its terminal: it exited, often just after the
      -- text answered) is dropped: the run goes on to the EOF
      check.open(p, "send")
      local secret = secret_of[i]
      if secret then secrets.add(response) end
      local ok, sent = pcall(send.raw, p, response, secret, nil, deadline)
      if not ok then
        if p._closed or not select(3, p._c:state()) then error(sent, 0) end
        diag.trace("%s closed its terminal: the response to event %d was dropped", p.name, i)
      elseif not sent then
        timed_out(p, text, waited, timeout, out)
      end
    end
  end
  local ok, how, n = p:wait(left())
  if ok == nil and how == "timeout" then timed_out(p, text, waited, timeout, out) end
  done = true
  p:close()   -- (which hands out what it read last)
  return table.concat(out), n, how
end

return M
