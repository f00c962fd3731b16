-- ptyscript.sched: tasks (coroutines) on the event loop, and waiting.
--
-- Every waiting call in the library ends in sched.wait_for(obj, bits,
-- deadline).  Inside a task it yields SENTINEL to the scheduler, which
-- resumes the task when obj fires (or the deadline's timer does).  Outside
-- any task - the main thread of plain Lua or busted, or a spot where a
-- yield is impossible - it runs the loop itself until the event comes,
-- resuming other ready tasks meanwhile.  Either way the caller just sees
-- a call that returns.  Every wait arms its object through core.wait
-- (src/l_wait.c); expect's wait also searches there, and may stay there
-- (sched.slot): the command's lone task until its output matches (then
-- sched.wait_fired for whatever else came meanwhile), a task among others
-- parked, suspended from C, until core.poll resumes it.
--
-- The C side (core.poll) reports which armed objects fired; objects are
-- C processes and timers, or Lua tasks (their completion); and tasks whose
-- parked waits woke (to resume) or that it resumed (what they returned).
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local core_wait = core.wait
local names = require "ptyscript.names"
local diag = require "ptyscript.diag"
local check = require "ptyscript.check"

local co_create, co_resume, co_yield = coroutine.create, coroutine.resume, coroutine.yield
local co_running, co_status, co_isyieldable = coroutine.running, coroutine.status, coroutine.isyieldable

local pack, unpack = table.pack, table.unpack

local M = {}
-- PTYSCRIPT_FAST_WAIT=0: no search or wait in C (scripts/bench/README.md)
local FAST = core.FAST_WAIT

-- The value a waiting task yields; unique, so it can't be confused with a
-- script's own coroutine.yield values.
-- (core's: a task whose wait is parked in C yields it too, from C)
local SENTINEL = setmetatable(core.SUSPEND, { __name = "ptyscript.wait", __tostring = function()
  return "ptyscript.wait"
end })
M.SENTINEL = SENTINEL
-- What a task's coroutine returns first when its function has returned.
local DONE = setmetatable({}, { __name = "ptyscript.done" })

-- coroutine -> task, for every task not yet finished: a strong table, so
-- that a task nobody keeps a reference to (pty.go(fn) alone) is not
-- collected, with its timer, while it waits.
local tasks = {}
local nested = setmetatable({}, { __mode = "k" })  -- script's coroutine -> owning task
local ready, nready = {}, 0                        -- tasks to resume
local ntasks = 0                                   -- tasks not yet finished
local main_running = false                         -- M.main (the command) drives the tasks
local watch = setmetatable({}, { __mode = "k" })   -- object -> waiter(s): see add_watch
local fired = {}                                   -- reused core.poll output
local main_rec = { proc = nil }                    -- the main thread's "task" state
M.failure = nil                                    -- a task error nobody waited on
local failures, looked = 0, 0                      -- errors of tasks not waited for; when last looked
M.on_signal = nil                                  -- M.set_signal_handler's
local where, describe = diag.where_in, diag.describe

-- The command's handler of a caught signal (SIGINT ...), on_signal(sig):
-- called where the script is, it raises to end the script.
function M.set_signal_handler(fn)
  M.on_signal = fn
end

local Task = {}
Task.__index = Task
Task.__name = "ptyscript.Task"
names.kind(Task, "task", Task, function(t) return (tostring(t):match("%(.-%)$")) end)

-- The task whose coroutine (or a script coroutine inside it) is running.
local function current_task()
  local co = co_running()
  return tasks[co] or nested[co]
end
M.current_task = current_task

-- Per-task state (the shorthands' current process): the task, or the
-- main thread's record.
function M.current_state()
  return current_task() or main_rec
end

local function push_ready(t)
  nready = nready + 1
  ready[nready] = t
end

local function wake(w, obj)
  if not w.fired then
    w.fired = obj
    if w.task then push_ready(w.task) end
  end
end

local HOOKED = core.EXIT | core.TAP
local on_event = nil   -- (C object, bits) for exits and taps

-- The handler of every exit and tapped chunk the loop reports,
-- fn(C object, bits), whether or not anybody waits (ptyscript.events).
function M.set_event_handler(fn)
  on_event = fn
end

-- A wait that ends sets its entries to false, not nil: the key keeps its
-- slot (the collector turns a nil entry's key dead, and the next wait on
-- the object would insert it anew).
-- watch[obj] is the one waiter on obj (the common case), with the bits
-- it waits for in bitsof[obj]; or, when several wait on the same object,
-- a set {[MULTI] = true, [w] = bits, ...}.
local bitsof = setmetatable({}, { __mode = "k" })
local MULTI = {}

-- Wake everybody waiting on obj for any of bits.
local function dispatch(obj, bits)
  local ws = watch[obj]
  if ws then
    if ws[MULTI] then
      for w, wbits in pairs(ws) do
        if w ~= MULTI and wbits & bits ~= 0 then wake(w, obj) end
      end
    elseif bitsof[obj] & bits ~= 0 then
      wake(ws, obj)
    end
  end
  if bits & HOOKED ~= 0 and on_event then on_event(obj, bits) end
end
M.dispatch = dispatch

local function add_watch(obj, w, bits)
  local ws = watch[obj]
  if not ws or ws == w then
    watch[obj], bitsof[obj] = w, bits
  elseif ws[MULTI] then
    ws[w] = bits
  else
    watch[obj] = { [MULTI] = true, [ws] = bitsof[obj], [w] = bits }
  end
end

local function del_watch(obj, w)
  local ws = watch[obj]
  if ws == w then
    watch[obj] = false
  elseif ws and ws[MULTI] then
    ws[w] = nil
  end
end

-- One loop iteration: wait for an event if block, then wake the waiters
-- of every object that fired.
local signal_seen = false   -- poll_solo saw a signal: the scheduler reports it

local resumed

-- Wake the waiters of the n objects core.poll (or core.wait) stored in
-- fired, and let go of them there.  A task's coroutine in it is a parked
-- wait's (src/l_wait.c): with true, woken, to be resumed; with a table,
-- resumed already by core.poll, and this is what the resume returned.
-- (A callback started here may wait where it cannot yield, and run the
-- loop there: its core.poll stores into another table, not over the
-- pairs still to be read from this one.)
local spare_fired = {}
local function dispatch_fired(n)
  if n == 0 then return end
  local f = fired
  fired, spare_fired = spare_fired or {}, nil
  for i = 1, 2 * n, 2 do
    local obj, bits = f[i], f[i + 1]
    f[i], f[i + 1] = nil, nil
    if type(bits) == "number" then
      dispatch(obj, bits)
    else
      local t = tasks[obj]
      if t then
        if bits == true then push_ready(t) else resumed(t, unpack(bits, 1, bits.n)) end
      end
    end
  end
  fired, spare_fired = f, fired
end

-- The command's lone task may wait without switching to the scheduler
-- (poll_solo, core.wait): nothing else is ready or to be reported.
local function alone()
  return main_running and ntasks == 1 and nready == 0 and not M.failure and not signal_seen
end

-- Give waiter w a timer of its own (w.timer), watched by it for good;
-- callers use w.timer or new_timer(w).
local function new_timer(w)
  local timer = core.timer()
  w.timer = timer
  add_watch(timer, w, 1)
  return timer
end

-- Nothing can wake any task: raise, naming the script's line where the
-- main task (the command's task 1, else this thread) waits.
local main_task = nil
local function deadlock()
  local msg = "every task is waiting and nothing can wake any of them "
    .. "(no process, timer or task left to wait for)"
  local t = main_task
  if t and co_status(t.co) == "suspended" then
    local err = where(t.co, 0) .. msg
    M.last_failure = { err = err, traceback = diag.traceback(t.co, err) }
    error(err, 0)
  end
  error(where(nil, 1) .. msg, 0)
end

-- Before the loop sleeps: if a task failed since the last look, a full
-- collection finds whether nobody holds it any more (its error then ends
-- the script: Guard.__gc).  At most once per failure, never per wait.
local function look_for_lost()
  looked = failures
  collectgarbage()
end

local function poll(block)
  if signal_seen then block, signal_seen = false, false end
  if block and failures ~= looked then
    look_for_lost()
    if M.failure then return end   -- (run_ready raises it)
  end
  local n, alive = core.poll(block, fired)
  if block and n == 0 and not alive and not core.signalled() then deadlock() end
  dispatch_fired(n)
  local sig = core.signalled()
  if sig and M.on_signal then M.on_signal(sig) end
end

-- The lone task's wait, in the command (see wait_for): poll from inside
-- it, without the switch to the scheduler and back, while nothing else is
-- ready.  Only under M.main: anywhere else the main thread, further up,
-- may itself be waiting or expect the task to yield at its first wait.  Returns
-- when w has fired, or when the scheduler must take over: another task is
-- ready, a failure or a signal is to be reported, or nothing is left to
-- wait for (the scheduler's poll says so).
local function poll_solo(w)
  repeat
    if failures ~= looked then
      look_for_lost()
      if M.failure then return end
    end
    local n, alive = core.poll(true, fired)
    dispatch_fired(n)
    if core.signalled() then signal_seen = true return end
    if n == 0 and not alive then return end
  until w.fired or nready > 0 or M.failure
end

local resume_task

-- Resume every ready task that can be resumed now.  A task that is not
-- suspended (it is further up this very stack, in an inline wait, or
-- finished in a resume whose results are yet to be dispatched) stays in
-- the queue for later.
local spare = {}   -- the other of the two ready arrays, swapped per batch
local yielded, nyielded = {}, 0   -- tasks that yielded bare: ready after a poll

local function raise_failure()
  local f = M.failure
  M.failure = nil
  M.last_failure = f
  -- a failed handler's queue goes on, unless this error ends the command
  if f.serial and not main_running then f.serial:kick() end
  error(f.err, 0)
end

-- The tasks that yielded bare, ready again (for after this round).
local function requeue_yielded()
  for i = 1, nyielded do
    push_ready(yielded[i])
    yielded[i] = nil
  end
  nyielded = 0
end

local function run_ready()
  if nready == 0 then
    requeue_yielded()
    if M.failure then raise_failure() end
    return 0
  end
  local keep, nkeep = nil, 0
  while nready > 0 do
    local batch, n = ready, nready
    ready, nready, spare = spare, 0, batch
    for i = 1, n do
      local t = batch[i]
      batch[i] = nil
      if t.parked then
        -- (woken by an old timer of its: an idle queue's task stays idle)
      elseif not t.done and co_status(t.co) == "suspended" then
        -- (not t.active alone: core.poll resumes a task whose parked
        -- wait woke without marking it, and it may be up this stack)
        resume_task(t)
      elseif not t.done then
        keep = keep or {}
        nkeep = nkeep + 1
        keep[nkeep] = t
      end
    end
  end
  for i = 1, nkeep do push_ready(keep[i]) end
  requeue_yielded()
  if M.failure then raise_failure() end
  return nkeep
end

-- Run the loop until w has fired.
-- (The loop may sleep while the ready tasks are only those that cannot
-- be resumed yet - up this stack, in a wait like this one - or it would
-- spin until this wait ends.)
local function run_until(w)
  while not w.fired do
    local kept = run_ready() or 0
    if w.fired then break end
    poll(nready <= kept)
  end
end

-- Suspend the caller until obj fires one of bits, or until deadline (a
-- core.now() value; nil waits without limit).  obj may be nil (a sleep),
-- a C object (armed here), or with lua_obj a Lua object such as a task
-- (woken by dispatch).  Returns "event" or "timeout".
function M.wait_for(obj, bits, deadline, lua_obj)
  local co = co_running()
  local t = tasks[co] or nested[co]
  local w
  if t and co_isyieldable() then
    w = t.waiter
  else
    w = {}       -- inline: this call runs the loop itself
    t = nil
  end
  w.fired = false
  local timer, left
  if deadline then
    left = deadline - core.now()
    if left <= 0 then return "timeout" end
    timer = w.timer or new_timer(w)
  end
  if obj then
    if not watch[obj] then   -- (add_watch's common case, inline: hot)
      watch[obj], bitsof[obj] = w, bits
    else
      add_watch(obj, w, bits)
    end
  end
  core_wait(not lua_obj and obj or nil, nil, bits, timer, left)
  local ok, err = true, nil
  if t then
    if alone() then
      w.task = false      -- (wake must not queue the running task)
      poll_solo(w)
      w.task = t
      -- a signal came with the event: the scheduler must report it now
      if signal_seen then co_yield(SENTINEL) end
    end
    while not w.fired do co_yield(SENTINEL) end
  else
    ok, err = pcall(run_until, w)
  end
  if obj then
    if watch[obj] == w then watch[obj] = false else del_watch(obj, w) end
  end
  -- The timer is left running: restarted by the next wait, and harmless
  -- if it fires meanwhile (w.fired is only looked at inside a wait).
  local fired = w.fired
  w.fired = false   -- (a task's waiter lives on: keep no object alive)
  if not ok then error(err, 0) end
  if timer and fired == timer then return "timeout" end
  return "event"
end

-- Task t's park, for its waits in C (core.park).
local function new_park(t)
  local park = core.park()
  t.park = park
  return park
end

-- Where expect's wait (core.wait's `out`) may stay in C, with the
-- task's timer (nil without a deadline) and the seconds left (left, if
-- given, is that already): the command's lone task searches and waits
-- inside core.wait while nothing else can run (the table core.wait
-- stores what else fired in, for wait_fired); a task among others parks
-- its wait there (its park: core.poll resumes it when its output
-- matches).  nil when the scheduler must do the wait: plain Lua's main
-- thread, a nested coroutine, a spot where the task cannot yield, the
-- deadline passed, the fast wait off.  Asked again after each wait in C
-- (the task may have company now, or none).
function M.slot(deadline, left)
  local t = tasks[co_running()]
  -- (where it cannot yield - a gsub callback, a metamethod, a module's
  -- main chunk under require - neither wait could hand over what fired)
  if not (t and FAST and co_isyieldable()) then return nil end
  local timer
  if deadline then
    left = left or deadline - core.now()
    if left <= 0 then return nil end
    timer = t.waiter.timer or new_timer(t.waiter)
  end
  if main_running and ntasks == 1 then   -- (alone(), inline: hot)
    if failures ~= looked then look_for_lost() end
    if nready == 0 and not M.failure and not signal_seen then return fired, timer, left end
  end
  return t.park or new_park(t), timer, left
end

-- After core.wait returned unmatched with n objects that fired (the
-- lone task's wait in C), or with a signal caught (n == 0): hand them
-- to their waiters as poll does.  Returns whether this wait's timer
-- fired (deadline: the wait has one; the timer of an earlier wait may
-- still run).  A signal or a failure goes to the scheduler at once, as
-- from wait_for: it reports it, which ends the command.  Other ready
-- tasks (a callback started one) run first, then this one goes on.
function M.wait_fired(n, deadline)
  local co = co_running()
  local t = tasks[co] or nested[co]
  if not (t and co_isyieldable()) then   -- (a signal: no wait in C here)
    poll(false)
    return false
  end
  local w = t.waiter
  w.task, w.fired = false, false   -- (wake must not queue the running task)
  dispatch_fired(n)
  w.task = t
  local f = w.fired
  w.fired = false
  if core.signalled() then signal_seen = true end
  if signal_seen or M.failure then
    co_yield(SENTINEL)   -- reported there (which ends the command)
  elseif nready > 0 then
    push_ready(t)        -- the others first, then us
    co_yield(SENTINEL)
  end
  return deadline ~= nil and f ~= nil and f == w.timer
end

-- A failed task's error is for t:wait to deliver.  One nobody retrieves
-- ends the script when the task is collected (its guard's __gc), or, in
-- the command, at the end of the main chunk: pending holds the guards of
-- the failures not yet retrieved, seq their order.
local pending = setmetatable({}, { __mode = "k" })
local seq = 0
local Guard = { __name = "ptyscript.failure" }
Guard.__gc = function(g)
  local t = g.task
  if t.guard == g then
    t.guard, pending[g] = nil, nil   -- (reported now: not again at the end)
    M.failure = M.failure or { err = t.err, traceback = t.traceback, task = t }
  end
end

-- A task's error, re-raised by t:wait in the task that failed with it:
-- the frames of the task where it began, then those of this one.
local function reraised(t)
  local info = debug.getinfo(t.co, 1, "f")
  if not (info and info.func == Task.wait) then return end
  local _, o = debug.getlocal(t.co, 1, 1)
  if getmetatable(o) == Task and o.failed and rawequal(o.err, t.err) then
    t.traceback = o.traceback .. "\nraised again at:"
      .. (t.traceback:match("\nstack traceback:(.*)$") or "")
  end
end

-- Finish task t with its function's results, or its error.
local function finish(t, ok, ...)
  t.done = true
  tasks[t.co] = nil
  ntasks = ntasks - 1
  if ok then
    t.results = pack(...)
  else
    local err = ...
    t.failed, t.err = true, err
    t.traceback = diag.traceback(t.co, err)
    reraised(t)
    if t.callback then
      -- A callback's error ends the script at once: nobody can wait for it.
      M.failure = M.failure or { err = err, traceback = t.traceback, task = t }
      if t.serial then t.serial:lost(t) end
    else
      seq = seq + 1
      local g = setmetatable({ task = t, seq = seq }, Guard)
      t.guard = g
      pending[g] = true
      -- (one waited for is retrieved at once: nothing to look for)
      if not watch[t] then failures = failures + 1 end
    end
  end
  dispatch(t, 1)
end

-- What an idle serial queue's task yields (see M.serial).
local PARK = setmetatable({}, { __name = "ptyscript.park" })

function resumed(t, ok, first, ...)
  t.active = false
  if not ok then return finish(t, false, first) end
  if first == DONE then return finish(t, true, ...) end
  if first == PARK then
    -- idle: not a task until it has work again (alone() stays true), and
    -- not kept alive by tasks[] (its process may be collected)
    t.parked = true
    tasks[t.co] = nil
    ntasks = ntasks - 1
  elseif first ~= SENTINEL then
    -- A bare coroutine.yield() in a task gives the others a turn: it runs
    -- again after the loop has been polled (run_ready), so that a task
    -- that yields until another's I/O came does not starve that I/O.
    nyielded = nyielded + 1
    yielded[nyielded] = t
  end
end

-- Resume t (the scheduler's side of a wait).
function resume_task(t, ...)
  t.active = true
  return resumed(t, co_resume(t.co, ...))
end

-- A new task running fn; its coroutine returns DONE before the results.
local function new_task(fn, proc)
  local t = setmetatable({ waiter = {}, proc = proc, active = false, done = false }, Task)
  t.co = co_create(function(...) return DONE, fn(...) end)
  t.waiter.task = t
  tasks[t.co] = t
  ntasks = ntasks + 1
  return t
end

-- pty.go(fn, ...): start a task; it runs at once up to its first wait.
-- Its error, even one before that wait, is delivered by t:wait().
function M.go(fn, ...)
  if type(fn) ~= "function" and not (getmetatable(fn) or {}).__call then
    error("go: expected a function, got " .. type(fn), 2)
  end
  local t = new_task(fn, M.current_state().proc)
  resume_task(t, ...)
  return t
end

-- Start fn(proc, ...) as a callback's task: nobody waits for it, so its
-- error ends the script at once (in plain Lua: raised by the next wait).
-- The callback's process (its first argument) is its current one,
-- whichever task happens to be running when the loop reports.
function M.callback(fn, proc, ...)
  local t = new_task(fn, proc)
  t.callback = true
  resume_task(t, proc, ...)
  return t
end

-- An error of the library's own work for the loop (a transcript's
-- write): it ends the script at once, as a callback's does.
function M.fail(err)
  M.failure = M.failure or { err = err, traceback = describe(err) }
end

-- A serial queue: q:push(item) hands each item to handle(q, item), one
-- at a time and in order, in one task that is reused: a handler that
-- never waits costs a resume, not a task; one that waits holds up the
-- items behind it.  on_idle(q) is called whenever the task stops taking
-- items: the queue ran dry, or a handler failed.  Handlers are
-- callbacks: an error ends the script as theirs does; the items after it
-- go on with the next push, or once the error has been raised.
local Serial = {}
Serial.__index = Serial

function M.serial(handle, proc, on_idle)
  return setmetatable({ handle = handle, proc = proc, on_idle = on_idle,
    head = 1, tail = 0, task = nil }, Serial)
end

-- The queue's task: take items until none is left, then park.
local function serve(q, t)
  while true do
    local i = q.head
    if i > q.tail then
      q.head, q.tail = 1, 0
      if q.on_idle then q.on_idle(q) end
      co_yield(PARK)
    else
      local item = q[i]
      q[i], q.head = nil, i + 1
      t.proc = q.proc   -- (the handler may have made another current)
      q.handle(q, item)
    end
  end
end

-- Start or wake the queue's task if it is idle.
function Serial:kick()
  local t = self.task
  if t == nil then
    if self.head > self.tail then return end
    local f = M.failure
    if f and f.serial == self then return end   -- (its handler's error first)
    t = new_task(serve, self.proc)
    t.callback, t.serial = true, self
    self.task = t
    resume_task(t, self, t)
  elseif t.parked and self.head <= self.tail then
    t.parked = false
    tasks[t.co] = t
    ntasks = ntasks + 1
    resume_task(t)
  end
end

function Serial:push(item)
  local n = self.tail + 1
  self[n], self.tail = item, n
  self:kick()
end

-- Whether an item is being handled or waits.
function Serial:busy()
  local t = self.task
  return self.head <= self.tail or (t ~= nil and not t.parked)
end

-- The queue's task failed (t): a new one takes the items left, at the
-- next push or when the failure is raised (M.failure.serial).
function Serial:lost(t)
  if self.task == t then self.task = nil end
  if M.failure and M.failure.task == t then M.failure.serial = self end
  if self.on_idle then self.on_idle(self) end
end

-- t:wait([timeout]) -> the task's results, or its error re-raised (the
-- very value it raised, nil included); nil, "timeout" if it has not
-- finished in time.
function Task:wait(timeout)
  if getmetatable(self) ~= Task then
    error(diag.where() .. "wait: expected a task (use t:wait(...), not t.wait(...))", 0)
  end
  local deadline = check.deadline(timeout, "wait")
  while not self.done do
    if M.wait_for(self, 1, deadline, true) == "timeout" and not self.done then
      return nil, "timeout"
    end
  end
  if self.failed then
    self.guard = nil   -- retrieved
    error(self.err, 0)
  end
  return unpack(self.results, 1, self.results.n)
end

function Task:__tostring()
  return string.format("ptyscript task (%s)", self.done and (self.failed and "failed" or "done") or "running")
end

-- pty.sleep(seconds)
function M.sleep(s)
  if type(s) ~= "number" or s ~= s or s < 0 then
    error("sleep: expected a number of seconds >= 0, got " .. diag.got(s), 2)
  end
  if s == math.huge then error("sleep: refusing to sleep forever", 2) end
  M.wait_for(nil, 0, core.now() + s)
end

M.now = core.now

-- Like coroutine.resume, but a wait inside co suspends the task that runs
-- us too (the scheduler's yields pass through).
function M.resume(co, ...)
  if type(co) ~= "thread" then
    error(diag.where() .. "resume: expected a coroutine, got " .. type(co), 0)
  end
  -- (where the owner cannot yield - a gsub callback - a wait inside co
  -- runs the loop itself, as the owner's own would)
  local owner = current_task()
  if owner and co_isyieldable() then nested[co] = owner else nested[co] = nil end
  local r = pack(co_resume(co, ...))
  while r[1] and r[2] == SENTINEL and co_status(co) == "suspended" do
    r = pack(co_resume(co, co_yield(SENTINEL)))
  end
  return unpack(r, 1, r.n)
end

-- Like coroutine.wrap, with M.resume's pass-through.
function M.wrap(fn)
  if type(fn) ~= "function" then
    error(diag.where() .. "wrap: expected a function, got " .. type(fn), 0)
  end
  local co = co_create(fn)
  return function(...)
    local r = pack(M.resume(co, ...))
    if not r[1] then error(r[2], 0) end
    return unpack(r, 2, r.n)
  end
end

-- Run fn(...) as task 1 and the loop until it ends (the command).
-- Returns true, or false and the failure {err, traceback}.
function M.main(fn, ...)
  local t = new_task(fn, nil)
  add_watch(t, {}, 0)   -- the command itself waits for task 1
  main_task, main_running = t, true
  M.last_failure = nil
  resume_task(t, ...)
  local ok, err = pcall(function()
    while not t.done do
      run_ready()
      if t.done then break end
      poll(nready == 0)
    end
    run_ready()
  end)
  main_task, main_running = nil, false
  local other   -- what ended the loop besides the main chunk's own error
  if not ok then
    other = M.last_failure
    M.last_failure = nil
    if not (other and rawequal(other.err, err)) then
      other = { err = err, traceback = describe(err) }
    end
  end
  if t.failed then
    -- the main chunk's error first; a task's error nobody retrieved
    -- (maybe why) is told too
    t.guard = nil
    return false, { err = t.err, traceback = t.traceback, also = other or M.unretrieved() }
  end
  if other then
    other.also = M.unretrieved()
    return false, other
  end
  -- The end of the main chunk: the first error of a task that nobody
  -- retrieved with t:wait() ends the script now.
  local f = M.unretrieved()
  if f then return false, f end
  return true
end

-- The first failure of a task that nobody retrieved, as a failure
-- {err, traceback}, now counted as retrieved; nil if there is none.
function M.unretrieved()
  local f = M.failure
  if f then
    M.failure = nil
    return f
  end
  local first
  for g in pairs(pending) do
    if g.task.guard == g and (first == nil or g.seq < first.seq) then first = g end
  end
  if not first then return nil end
  local t = first.task
  t.guard = nil
  return { err = t.err, traceback = t.traceback }
end

return M
