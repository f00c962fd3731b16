-- ptyscript.events: what the loop reports about a process whether or
-- not anybody waits - its exit, and the chunks it reads while data
-- callbacks or outputs want them - and p:on's callbacks.
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local sched = require "ptyscript.sched"
local diag = require "ptyscript.diag"
local check = require "ptyscript.check"
local status = require "ptyscript.status"

local M = {}
local raise, got = diag.raise, diag.got
local refresh, results = status.refresh, status.results

-- The loop reports every exit, and every chunk read while data callbacks
-- or outputs (transcripts, recordings) are registered: the exit fields
-- are set as soon as the exit is seen, whether or not anybody waits,
-- the outputs are written as each chunk is read, and p:on callbacks run
-- as tasks (they may wait; an error in one ends the script at once).
-- A process's data callbacks take its chunks one at a time, in order,
-- from a queue (sched.serial): a callback that waits holds up the chunks
-- behind it, and once more than QUEUE_HIGH bytes wait, the process is not
-- read (its writes block) until the queue is empty.  Its exit callbacks
-- come after the chunks read before the exit.
local owner = setmetatable({}, { __mode = "k" })   -- C object -> Process
local err_stream = setmetatable({}, { __mode = "k" })   -- C object of a p.stderr -> true
local QUEUE_HIGH = 64 * 1024

local function start_exit_callbacks(p, kind, n)
  for _, fn in ipairs(p._on_exit) do sched.callback(fn, p, results(kind, n)) end
end

-- One item of a process's queue: a chunk {data, fd}, or {false, kind, n}
-- for its exit (every exit callback), or {false, kind, n, fn} for one
-- exit callback registered after the exit was told.
local function handle(q, item)
  local p, data = q.proc, item[1]
  if not data then
    if item[4] then return sched.callback(item[4], p, results(item[2], item[3])) end
    p._exit_queued = nil
    return start_exit_callbacks(p, item[2], item[3])
  end
  q.bytes = q.bytes - #data
  local fns = p._on_data
  for i = 1, #fns do fns[i](p, data, item[2]) end
end

-- The queue's task stopped taking chunks: read the process again.
local function release(q)
  for c in pairs(q.held) do
    q.held[c] = nil
    c:hold(false)
  end
end

local function queue_of(p)
  local q = p._queue
  if not q then
    q = sched.serial(handle, p, release)
    q.bytes, q.held = 0, {}
    p._queue = q
  end
  return q
end

-- Tell p's exit callbacks of its recorded exit, once, after the data
-- callbacks of everything read before it: first the chunks read but not
-- yet handed on (a wait records an exit before the loop reports what it
-- read with it, and a stream's chunks may be reported after the exit),
-- then, if the data callbacks are behind, through their queue.
function M.tell_exit(p, kind, n)
  if not p._on_exit or p._exit_told then return end
  p._exit_told = true
  M.deliver(p)
  local q = p._queue
  if q and q:busy() then
    p._exit_queued = true
    q:push({ false, kind, n })
  else
    start_exit_callbacks(p, kind, n)
  end
end

local function on_event(c, bits)
  local p = owner[c]
  if not p then return end
  if bits & core.TAP ~= 0 then
    local data = c:tapped()
    if data ~= "" then
      local fd = err_stream[c] and 2 or 1
      local outs = p._outputs
      if outs then
        for i = 1, #outs do outs[i].data(data, fd) end
      end
      if p._on_data then
        local q = queue_of(p)
        q.bytes = q.bytes + #data
        q:push({ data, fd })
        if q.bytes > QUEUE_HIGH and not q.held[c] then
          q.held[c] = true
          c:hold(true)
        end
      end
    end
  end
  if bits & core.EXIT ~= 0 then
    local kind, n = refresh(p)
    if kind then M.tell_exit(p, kind, n) end
  end
end
sched.set_event_handler(on_event)

-- Hand p's outputs and data callbacks the output read but not yet
-- passed on (before the outputs end, before the exit is told).
function M.deliver(p)
  on_event(p._c, core.TAP)
  if p.stderr then on_event(p.stderr._c, core.TAP) end
end

-- p:on("data", fn): fn(p, chunk, fd) for every chunk the child writes, in
-- order, from now on (the bytes stay in the buffer for expect as well);
-- fd is 1 (the terminal, or stdout) or 2 (stderr, with pty = false).
-- p:on("exit", fn): fn(p, ok, "exit"|"signal", n) once the child's exit
-- is seen by the loop or a wait (at once if it already is), after the
-- data callbacks of its output.  Several callbacks run in order.
function M.on(self, event, fn)
  check.process(self, "on")
  if event ~= "data" and event ~= "exit" then
    raise("on: the event must be \"data\" or \"exit\", got " .. got(event))
  end
  if type(fn) ~= "function" then raise("on: expected a function, got " .. type(fn)) end
  local key = "_on_" .. event
  self[key] = self[key] or {}
  table.insert(self[key], fn)
  if event == "data" then
    self._c:tap(true)
    if self.stderr then self.stderr._c:tap(true) end
  else
    -- Only a recorded exit is told now: one only peeked at (p:alive())
    -- is recorded, and told, by the loop once it has read what the child
    -- left - nothing has, yet.
    local kind, n, recorded = refresh(self)
    if kind and recorded then
      if not self._exit_told then
        M.tell_exit(self, kind, n)        -- every exit callback, this one too
      elseif not self._exit_queued then   -- (else the queue tells it)
        local q = self._queue
        if q and q:busy() then
          q:push({ false, kind, n, fn })
        else
          sched.callback(fn, self, results(kind, n))
        end
      end
    end
  end
  return self
end

-- c (a C process or the C side of its p.stderr, is_err) is p's: its
-- exits and chunks are p's events.
function M.register(p, c, is_err)
  owner[c] = p
  if is_err then err_stream[c] = true end
end

return M
