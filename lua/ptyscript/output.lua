-- ptyscript.output: what ptyscript writes besides the script's own
-- output - transcripts (--log, p:log), recordings (--record, p:record),
-- pictures (--record's, s:snapshot) - and the secrets kept out of them.
--
-- Files: opened by core.open_file (never through a symbolic link,
-- created 0600, an existing file keeps its mode), written by core.write
-- (all of it, also to a non-blocking descriptor; a reader gone is EPIPE,
-- never SIGPIPE).  The first failed write to a file is said once on
-- stderr, ends the writing to it and is kept in M.errors
-- (pty.transcript_errors); the command then ends with status 1.
--
-- Secrets: one set for the whole script (core.secrets, src/redact.c),
-- made on first use, whichever process a secret was sent to: it may come
-- back in another's output (a second session tailing a file the first
-- writes, ps, a shell's history), and in the script's own messages.
-- Transcripts and recordings see the output through a redacting stream
-- per direction, which keeps back a tail that could still grow into a
-- secret (a secret echoed one key at a time) until the next chunk, or
-- the end (close, the end of the script), decides.  Everything written
-- to stderr here (traces, the error that ends the script) is redacted.
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local sched = require "ptyscript.sched"

local M = { errors = {} }

local set   -- the script's secrets, once there is one

-- The set of secrets, made on first use; show (--show) copies output
-- with them as *** too.
function M.secrets()
  if not set then
    set = core.secrets()
    set:show()
  end
  return set
end

-- Keep secret out of everything ptyscript writes from now on (the \r
-- and \n around it are not part of it).
function M.add_secret(secret)
  M.secrets():add(secret)
end

-- s with every secret, and a piece of one cut at either end, as ***.
function M.redact(s)
  if not set then return s end
  return set:redact(s)
end

-- Write s to standard error, with the secrets redacted, whatever
-- happens (there is nowhere else to say that it failed).
function M.stderr(s)
  io.stderr:flush()
  core.write(2, M.redact(s))
end

-- A failed write, said once: on stderr and in M.errors.
function M.report(msg)
  M.errors[#M.errors + 1] = msg
  M.stderr("ptyscript: " .. msg .. "\n")
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
  local secrets = M.secrets()
  local streams, order = {}, {}
  local function stream(key)
    local st = streams[key]
    if not st then
      st = secrets:stream()
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

return M
