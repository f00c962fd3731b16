-- ptyscript.output: what ptyscript writes besides the script's own
-- output - transcripts (--log, p:log) and recordings (--record,
-- p:record) - with the secrets kept out of them.
--
-- Files: opened by core.open_file (never through a symbolic link,
-- created 0600, an existing file keeps its mode), written by core.write
-- (all of it, also to a non-blocking descriptor; a reader gone is EPIPE,
-- never SIGPIPE).  The first failed write to a file is said once on
-- stderr, ends the writing to it and is kept in M.errors
-- (pty.transcript_errors); the command then ends with status 1.
--
-- Secrets (ptyscript.secrets): transcripts and recordings see the output
-- through a redacting stream per direction, which keeps back a tail that
-- could still grow into a secret (a secret echoed one key at a time)
-- until the next chunk, or the end (close, the end of the script),
-- decides.
--
-- Hooks offered to others: on_record(fn) for what --record makes besides
-- the recording (the screen's picture), at_close(p, fn) for what is
-- written once close has read all the child left.
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local config = require "ptyscript.config"
local sched = require "ptyscript.sched"
local secrets = require "ptyscript.secrets"
local diag = require "ptyscript.diag"
local check = require "ptyscript.check"

local M = { errors = {} }
local raise = diag.raise

-- A failed write, said once: on stderr and in M.errors.
function M.report(msg)
  M.errors[#M.errors + 1] = msg
  diag.stderr("ptyscript: " .. msg .. "\n")
end

-- A sink writing to the Lua file f, named label in messages ("--log
-- x.log"); closes f at sink.close() when owned.
function M.file_sink(f, label, owned)
  local sink = { failed = false, closed = false }
  function sink.write(data)
    if sink.failed or sink.closed or data == "" then return end
    local ok, err
    if io.type(f) == "file" then
      ok, err = core.write(f, data)
    else
      err = "the file was closed"
    end
    if not ok then
      sink.failed = true
      M.report(label .. ": write failed: " .. tostring(err))
    end
  end
  function sink.close()
    if sink.closed then return end
    sink.closed = true
    if owned and io.type(f) == "file" then
      local ok, err = f:close()
      if not ok and not sink.failed then M.report(label .. ": close failed: " .. tostring(err)) end
    end
  end
  return sink
end

-- emit(text, kind) for a function the script gave: called in order, in
-- a task (so it may wait, as data callbacks may), one call at a time.
function M.ordered(fn)
  local queue, head, tail, busy = {}, 1, 0, false
  local function drain()
    while head <= tail do
      local e = queue[head]
      queue[head], head = nil, head + 1
      fn(e[1], e[2])
    end
    busy = false
  end
  return function(text, kind)
    tail = tail + 1
    queue[tail] = { text, kind }
    if not busy then
      busy = true
      sched.callback(drain)
    end
  end
end

-- The outputs of p: transcripts and recordings, each a table
--   data(bytes, fd)    output read from the child (fd 1, or 2: stderr)
--   sent(bytes, typed) what was sent: typed is nil for the script's
--                      sends, true for keys typed during interact
--   finish()           the end: what is kept back, closing
-- made by M.transcript.  live: processes with outputs, for M.finish_all.
local live = setmetatable({}, { __mode = "k" })

-- A transcript of p to emit(text, kind) (kind "o" output, "i" input):
-- output always, the script's sends with sent, keys typed during
-- interact with typed (never while the child's echo was off: those never
-- get here).  on_finish() runs after the last emit.
function M.transcript(p, emit, sent, typed, on_finish)
  local set = secrets.set()
  local streams, order = {}, {}
  local function stream(key)
    local st = streams[key]
    if not st then
      st = set:stream()
      streams[key] = st
      order[#order + 1] = key
    end
    return st
  end
  local out = {}
  function out.data(bytes, fd)
    local text = stream(fd == 2 and "e" or "o"):feed(bytes)
    if text ~= "" then emit(text, "o") end
  end
  if sent or typed then
    function out.sent(bytes, by_user)
      if (by_user and not typed) or (not by_user and not sent) then return end
      local text = stream("i"):feed(bytes)
      if text ~= "" then emit(text, "i") end
    end
  end
  function out.finish()
    for _, key in ipairs(order) do
      local text = streams[key]:flush()
      if text ~= "" then emit(text, key == "i" and "i" or "o") end
    end
    if on_finish then on_finish() end
  end
  local list = p._outputs
  if not list then
    list = {}
    p._outputs = list
  end
  list[#list + 1] = out
  live[p] = true
  p._c:tap(true)
  if p.stderr then p.stderr._c:tap(true) end
  return out
end

-- A raw copy of everything p's child prints from now on, to fn(bytes)
-- as each chunk is read, in order (pty.run's output): the bytes as they
-- came, secrets too (the script's own, as expect's matches are), and
-- nothing kept back.  close hands it what it reads last.
function M.copy(p, fn)
  local list = p._outputs
  if not list then
    list = {}
    p._outputs = list
  end
  list[#list + 1] = { data = function(bytes) fn(bytes) end, finish = function() end }
  live[p] = true
  p._c:tap(true)
end

-- End every output of p (close, the end of the script): each writes
-- what it kept back and closes what it opened.  Idempotent.
function M.finish(p)
  local list = p._outputs
  if not list then return end
  p._outputs = nil
  live[p] = nil
  for _, out in ipairs(list) do out.finish() end
end

-- End the outputs of every process (the end of the script); deliver(p)
-- first hands each the output read but not yet passed on.
function M.finish_all(deliver)
  local ps = {}
  for p in pairs(live) do ps[#ps + 1] = p end
  for _, p in ipairs(ps) do
    deliver(p)
    M.finish(p)
  end
end

-- Functions run after an output of --record starts (on_record).
local record_hooks = {}

-- fn(p, path, n) runs whenever --record starts recording p, to path, the
-- n-th session recorded.
function M.on_record(fn)
  record_hooks[#record_hooks + 1] = fn
end

-- fn() runs when p is closed, once close has read what the child left
-- and ended its transcripts (M.closed).
function M.at_close(p, fn)
  local list = p._at_close
  if not list then
    list = {}
    p._at_close = list
  end
  list[#list + 1] = fn
end

-- p was closed: run what at_close registered, once.
function M.closed(p)
  local list = p._at_close
  if not list then return end
  p._at_close = nil
  for _, fn in ipairs(list) do fn() end
end

-- p:log(target [, {sent = true}]): a transcript of everything the child
-- prints from now on - to a file name (appended; created 0600, never
-- through a symbolic link; closed by close), an open file, or a
-- function(data, kind) with kind "o" (output) or "i" (what was sent, with
-- {sent = true}, and what the user typed during interact while the child
-- echoed).  Secrets are written as ***, also where the child echoes them,
-- one key at a time or not.
function M.log(self, target, opts)
  check.open(self, "log")   -- (after close nothing would end the transcript)
  check.path(target, "log")
  if opts ~= nil and type(opts) ~= "table" then raise("log: options must be a table such as {sent = true}") end
  if opts ~= nil then check.options(opts, { sent = "boolean" }, "log") end
  local sent = opts and opts.sent
  if type(target) == "string" then
    local f, err = core.open_file(target, "a")
    if not f then raise("log: " .. err) end
    local sink = M.file_sink(f, "log " .. target, true)
    M.transcript(self, sink.write, sent, sent, sink.close)
  elseif io.type(target) == "file" then
    local sink = M.file_sink(target, "log " .. tostring(target), false)
    M.transcript(self, sink.write, sent, sent)
  elseif type(target) == "function" then
    M.transcript(self, M.ordered(target), sent, sent)
  else
    raise("log: expected a file name, an open file or a function, got " .. type(target))
  end
  return self
end

-- Recordings made by --record: the first session gets the file name as
-- given (opened when the command started), the others name.N.cast
-- beside it.
local recorded = 0

-- p:record(file.cast [, {input = true}]): an asciicast v2 recording
-- (asciinema's format) of the session from now on: a header with the
-- size, time and command, then [seconds, "o", output] and [seconds, "i",
-- input] events - what the script sent, and with input = true what the
-- user typed during interact (never while the child's echo is off).
-- Bytes that are not UTF-8 become U+FFFD, secrets are ***.  The file is
-- created 0600, never through a symbolic link, and closed by close.
function M.record(self, path, opts)
  check.open(self, "record")
  if type(path) ~= "string" then raise("record: expected a file name, got " .. type(path)) end
  check.path(path, "record")
  if opts ~= nil then
    if type(opts) ~= "table" then raise("record: options must be a table such as {input = true}") end
    check.options(opts, { input = "boolean", _auto = "boolean" }, "record")
  end
  local input = opts and opts.input
  local auto = opts and opts._auto
  local given = path
  local f, err
  if auto then
    recorded = recorded + 1
    if recorded > 1 then
      local base = path:gsub("%.cast$", "")
      path = string.format("%s.%d.cast", base, recorded)
    elseif config._record_file then
      f, config._record_file = config._record_file, nil
    end
  end
  if not f then
    f, err = core.open_file(path, "w")
    if not f then raise((auto and "--record: " or "record: ") .. err) end
  end
  local sink = M.file_sink(f, (auto and "--record " or "record ") .. path, true)
  local esc = core.json_escape
  local function str(s) return '"' .. (esc(s, true)) .. '"' end
  local cmd = {}
  for i, a in ipairs(self._argv or { self.name }) do cmd[i] = a end
  local red = secrets.redact   -- (a secret may be among the arguments too)
  sink.write(string.format('{"version": 2, "width": %d, "height": %d, "timestamp": %d, '
    .. '"command": %s, "title": %s, "env": {"TERM": %s}}\n',
    self._cols, self._rows, os.time(), str(red(table.concat(cmd, " "))), str(red(self.name)),
    str(os.getenv("TERM") or "xterm")))
  local t0 = sched.now()
  local carry = { o = "", i = "" }
  local function event(data, kind, final)
    local text
    text, carry[kind] = esc(carry[kind] .. data, final)
    if text ~= "" then
      sink.write(string.format('[%.6f, "%s", "%s"]\n', sched.now() - t0, kind, text))
    end
  end
  M.transcript(self, event, true, input, function()
    -- a UTF-8 sequence cut by the end: U+FFFD
    for _, kind in ipairs{ "o", "i" } do
      if carry[kind] ~= "" then event("", kind, true) end
    end
    sink.close()
  end)
  if auto then
    for _, fn in ipairs(record_hooks) do fn(self, given, recorded) end
  end
  return self
end

return M
