-- ptyscript.proc: the process object and spawning.
--
-- A Process is a Lua table around the C handle p._c (l_proc.c), which
-- never blocks; every wait here goes through sched.wait_for.  Errors of
-- the script (bad arguments, use after close) and failures to start a
-- program raise with the script's file:line; outcomes of the world (exit
-- status, EOF or timeout when listed) are values.
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local sched = require "ptyscript.sched"
local expect = require "ptyscript.expect"
local output = require "ptyscript.output"
local names = require "ptyscript.names"

local M = {}
local raise = expect.raise
local HIGH_WATER = 64 * 1024   -- a send waits while more than this is queued

local Process = { __name = "ptyscript.Process" }
M.Process = Process

local signame = {}
for name, num in pairs(core.signals) do signame[num] = name end

-- "TERM", "SIGTERM", 15 -> 15; anything else raises.
local function signum(sig, what)
  if sig == nil then return core.signals.TERM end
  if math.type(sig) == "integer" and sig > 0 and sig < 65 then return sig end
  if type(sig) == "string" then
    local n = core.signals[sig:upper():gsub("^SIG", "")]
    if n then return n end
  end
  raise(string.format("%s: unknown signal %s (use a name such as \"TERM\", \"INT\", "
    .. "\"HUP\", \"KILL\" or a number)", what, tostring(sig)))
end
M.signum = signum

Process.__index = Process
names.kind(Process, "process", Process, function(p) return p:_describe_state() end)

-- Poll the child's status (its exit is seen, not reaped: close reaps)
-- and keep p.exitcode / p.signal in step.  Returns status()'s kind, n,
-- recorded.  record: a wait (what the child left is read, the exit
-- recorded); without it nothing is read, so asking the state never takes
-- output from a transcript attached after it.  recorded: false for an
-- exit only peeked at (the loop records it, after reading what is left).
local function refresh(p, record)
  local kind, n, recorded = p._c:status(record)
  if kind == "exit" then
    p.exitcode = n
  elseif kind == "signal" then
    p.signal = signame[n] or tostring(n)
  end
  return kind, n, recorded
end

local results   -- (defined below)
local send_failure, drain, expect_exact
local expect_literal = expect.expect_literal

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

local deliver   -- (below)

-- Tell p's exit callbacks of its recorded exit, once, after the data
-- callbacks of everything read before it: first the chunks read but not
-- yet handed on (a wait records an exit before the loop reports what it
-- read with it, and a stream's chunks may be reported after the exit),
-- then, if the data callbacks are behind, through their queue.
local function tell_exit(p, kind, n)
  if not p._on_exit or p._exit_told then return end
  p._exit_told = true
  deliver(p)
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
    if kind then tell_exit(p, kind, n) end
  end
end
sched.on_event = on_event

-- Hand p's outputs and data callbacks the output read but not yet
-- passed on (before the outputs end, before the exit is told).
function deliver(p)
  on_event(p._c, core.TAP)
  if p.stderr then on_event(p.stderr._c, core.TAP) end
end

-- The end of the script: every transcript and recording writes what it
-- kept back, and closes.
function M.finish_outputs()
  output.finish_all(deliver)
end

function Process:__tostring()
  return "ptyscript process " .. self:_describe_state()
end

-- "bc (pid 42, running)" / "(pid 42, exited 0)" / "(pid 42, killed by KILL)"
function Process:_describe_state()
  local kind, n = refresh(self)
  local st
  if kind == "exit" then st = "exited " .. n
  elseif kind == "signal" then st = "killed by SIG" .. (signame[n] or n)
  else st = "running" end
  return string.format("%s (pid %d, %s)", self.name, self.pid, st)
end

-- Instances carry _is = Process as a plain field: checking it costs no
-- function call on the hot path (send, expect).
local function check_self(p, what)
  if type(p) ~= "table" or p._is ~= Process then
    raise(string.format("%s: expected a process (use p:%s(...), not p.%s(...))",
      what, what, what))
  end
end

-- A name or file name as messages show it: a string quoted and escaped
-- (its first 40 bytes), a number or boolean as it is, anything else by
-- its type.  (Values the script passed are shown by got.)
local function shown(v)
  if type(v) == "string" then
    return '"' .. expect.escape(v:sub(1, 40)) .. (#v > 40 and '..."' or '"')
  end
  if type(v) == "number" or type(v) == "boolean" then return tostring(v) end
  return type(v)
end
local got = expect.got

-- Check the options table of `what` against known = {name = kind}: an
-- unknown name raises (a misspelt {secert = true} must not pass
-- silently), so does a "boolean" that is not true or false ("no" is a
-- true value to Lua), and a "string" that is not one or holds a NUL byte
-- (C would end it there).  Other kinds are checked where they are used.
-- Integer keys are skipped (spawn's argv).
local function check_options(opts, known, what)
  for k, v in pairs(opts) do
    local kind = known[k]
    if kind == nil then
      if math.type(k) ~= "integer" then
        raise(string.format("%s: unknown option %s", what, shown(k)))
      end
    elseif kind == "boolean" then
      if type(v) ~= "boolean" then
        raise(string.format("%s: %s must be true or false, got %s", what, k, got(v)))
      end
    elseif kind == "string" then
      if type(v) ~= "string" then
        raise(string.format("%s: %s must be a string, got %s", what, k, got(v)))
      end
      if v:find("%z") then raise(string.format("%s: %s contains a NUL byte", what, k)) end
    elseif kind == "name" and type(v) == "string" and v:find("%z") then   -- uid, gid
      raise(string.format("%s: %s contains a NUL byte", what, k))
    end
  end
end
M.check_options = check_options

-- A file name argument: a NUL byte would end it early in C.
local function check_path(path, what)
  if type(path) == "string" and path:find("%z") then
    raise(string.format("%s: the file name %s contains a NUL byte", what, shown(path)))
  end
end

-- The child's TERM unless the term option or env.TERM says otherwise:
-- a program that automates a line-oriented program wants its answers
-- without colour, bracketed-paste or cursor codes (readline sends them to
-- any capable terminal).  interact sessions pass term = os.getenv("TERM");
-- screen = true gives the emulator's type (screen.lua).
M.DEFAULT_TERM = "dumb"

-- The child's environment: ours (none with clearenv), with env's
-- variables set (false removes one) and TERM the term option, else
-- env.TERM, else DEFAULT_TERM.  core.spawn builds it from ours in place
-- (env.c): no table of our environment is made.  Returns env, checked,
-- and the child's TERM (false: none).
local function child_env(opts, what)
  local env = opts.env
  if env ~= nil then
    if type(env) ~= "table" then raise(what .. ": env must be a table, got " .. expect.got(env)) end
    for k, v in pairs(env) do
      if type(k) ~= "string" or k == "" or k:find("[=%z]") then
        raise(string.format("%s: env: invalid variable name %q", what, tostring(k)))
      end
      if type(v) == "string" or type(v) == "number" then
        if tostring(v):find("%z") then
          raise(string.format("%s: env: value of %s contains a NUL byte", what, k))
        end
      elseif v ~= false then
        raise(string.format("%s: env: value of %s must be a string, number or false, got %s",
          what, k, type(v)))
      end
    end
  end
  local term = opts.term
  if term == nil and env and env.TERM ~= nil then term = env.TERM and tostring(env.TERM) end
  if term == nil then term = M.DEFAULT_TERM end
  return env, term
end

-- spawn's options and their kinds (check_options)
local known_opts = {
  env = "env", clearenv = "boolean", cwd = "string", rows = "int", cols = "int",
  term = "string", echo = "boolean", timeout = "timeout", show = "boolean", name = "string",
  maxbuf = "int", uid = "name", gid = "name", pty = "boolean", fds = "fds",
  screen = "boolean",   -- (ptyscript.screen, installed at the end)
}

-- fds = {[3] = "r" | "w" | file | fd, ...} -> the list core.spawn takes:
-- {to = 3, mode = "r"|"w"|"fd", fd = file or integer}.  "r": a pipe
-- ptyscript reads (p:stream(3)); "w": a pipe it writes (p:write_fd(3,
-- data)); a Lua file or a descriptor number: passed to the child as is.
-- The one check of fds, against the C side's limits (plumb.h); whether
-- a descriptor number is open is known when the child is made.
local MAX_EXTRA_FDS, MAX_CHILD_FD = core.MAX_EXTRA_FDS, core.MAX_CHILD_FD
local function check_fds(fds, what)
  if fds == nil then return nil end
  if type(fds) ~= "table" then
    raise(string.format("%s: fds must be a table such as {[3] = \"w\"}, got %s", what, type(fds)))
  end
  local list = {}
  for to, v in pairs(fds) do
    if math.type(to) ~= "integer" or to < 3 or to > MAX_CHILD_FD then
      raise(string.format("%s: fds: child descriptor %s must be an integer from 3 to %d "
        .. "(0, 1 and 2 are the terminal, or the pipes with pty = false)", what, tostring(to),
        MAX_CHILD_FD))
    end
    local e = { to = to }
    if v == "r" or v == "w" then
      e.mode = v
    elseif math.type(v) == "integer" and v >= 0 then
      e.mode, e.fd = "fd", v
    elseif io.type(v) == "file" then
      e.mode, e.fd = "fd", v
    elseif io.type(v) == "closed file" then
      raise(string.format("%s: fds[%d]: the file is closed", what, to))
    else
      raise(string.format("%s: fds[%d] must be \"r\", \"w\", an open Lua file or a "
        .. "descriptor number, got %s", what, to, got(v)))
    end
    list[#list + 1] = e
  end
  table.sort(list, function(a, b) return a.to < b.to end)
  if #list > MAX_EXTRA_FDS then
    raise(string.format("%s: fds: at most %d extra descriptors", what, MAX_EXTRA_FDS))
  end
  return list
end

-- A uid or gid option: a name, or an integer in uid_t's range without
-- its top value (-1 as uid_t, which setuid takes as "no change").
local ID_MAX = (1 << 32) - 2
local function check_id(v, what, name)
  if type(v) == "string" then
    if v == "" or v:find("%z") then
      raise(string.format("%s: %s must be a %s name or number, got %q", what, name,
        name == "uid" and "user" or "group", v))
    end
    return
  end
  if math.type(v) ~= "integer" or v < 0 or v > ID_MAX then
    raise(string.format("%s: %s must be a %s name or number (an integer from 0 to %d), got %s",
      what, name, name == "uid" and "user" or "group", ID_MAX, got(v)))
  end
end

-- uid/gid options -> numeric uid, gid, supplementary groups, and the
-- target user's passwd entry (for HOME, USER, LOGNAME); nil when unset.
-- A numeric uid without a passwd entry needs gid: there is no group to
-- take from it, and the child must never keep ours (root's).
local function resolve_ids(opts, what)
  if opts.uid == nil and opts.gid == nil then return nil end
  local ids = {}
  if opts.uid ~= nil then
    check_id(opts.uid, what, "uid")
    local pw, err = core.getpw(opts.uid)
    if not pw and type(opts.uid) == "string" then
      raise(string.format("%s: unknown user %q (%s)", what, opts.uid, err))
    end
    if not pw and opts.gid == nil then
      raise(string.format("%s: uid %d has no passwd entry: give gid too", what, opts.uid))
    end
    ids.uid = pw and pw.uid or opts.uid
    ids.pw = pw
  end
  if opts.gid ~= nil then
    check_id(opts.gid, what, "gid")
    local gid, err = core.getgr(opts.gid)
    if not gid and type(opts.gid) == "string" then
      raise(string.format("%s: unknown group %q (%s)", what, opts.gid, err))
    end
    ids.gid = gid or opts.gid
  elseif ids.pw then
    ids.gid = ids.pw.gid
  end
  if ids.pw then
    ids.groups = core.grouplist(ids.pw.name, ids.gid)
  else
    ids.groups = { ids.gid }
  end
  return ids
end

local function check_int(v, what, name, lo, hi)
  if v == nil then return end
  if type(v) ~= "number" or math.tointeger(v) == nil or v < lo or v > hi then
    raise(string.format("%s: %s must be an integer from %d to %d, got %s", what, name, lo, hi,
      got(v)))
  end
end

-- Read by spec/docs_spec.lua: the manual must document every option.
M.known_opts = known_opts

-- A program not found (errname ENOENT) whose name has a space is a
-- command line given as one program ("bc -q"): the hint to split it, or
-- to use a shell.
local function split_hint(prog, errname)
  if not prog:find("%s") or errname ~= "ENOENT" then return "" end
  local words = {}
  for w in prog:gmatch("%S+") do words[#words + 1] = '"' .. expect.escape(w) .. '"' end
  local line = '"' .. expect.escape(prog) .. '"'
  return string.format("\n  hint: %s is taken as the name of one program: give its arguments "
    .. "apart, pty.spawn(%s), or run a command line with pty.sh(%s)", line,
    table.concat(words, ", "), line)
end

-- Spawn from argv (strings) and options; the one path behind every form.
local function start(argv, opts, what)
  check_options(opts, known_opts, what)
  if opts.show == nil and type(M.config.show) ~= "boolean" then
    raise(string.format("%s: pty.show (the default of show) must be true or false, got %s",
      what, got(M.config.show)))
  end
  if #argv == 0 then raise(what .. ": no program given") end
  for i = 1, #argv do
    local a = argv[i]
    if type(a) == "number" then
      argv[i] = tostring(a)
    elseif type(a) ~= "string" then
      raise(string.format("%s: argument %d must be a string, got %s", what, i, type(a)))
    elseif a:find("%z") then
      raise(string.format("%s: argument %d contains a NUL byte", what, i))
    end
  end
  check_int(opts.rows, what, "rows", 1, 65535)
  check_int(opts.cols, what, "cols", 1, 65535)
  check_int(opts.maxbuf, what, "maxbuf", 1, 1 << 40)
  if opts.timeout ~= nil then expect.timeout_for({}, opts.timeout, what) end
  local pipes = opts.pty == false
  if pipes and opts.screen then
    raise(what .. ": screen = true needs a terminal (pty = false runs the child on pipes)")
  end
  local fds = check_fds(opts.fds, what)
  local ids = resolve_ids(opts, what)
  if ids and ids.uid then
    -- the target user's HOME, USER, LOGNAME, unless env says otherwise;
    -- none at all for a uid without a passwd entry (never ours left)
    local env = {}
    for k, v in pairs(opts.env or {}) do env[k] = v end
    local pw = ids.pw or {}
    for k, v in pairs{ HOME = pw.dir or false, USER = pw.name or false,
        LOGNAME = pw.name or false } do
      if env[k] == nil then env[k] = v end
    end
    local o = {}
    for k, v in pairs(opts) do o[k] = v end
    o.env = env
    opts = o
  end
  opts = M._screen.spawn_opts(opts, what)
  local env, term = child_env(opts, what)
  -- A signal that ends the command (SIGINT ...), not yet acted on, ends
  -- the script here: no child is made after it.  (A script that spawns
  -- without waiting would go on until the alarm, which kills the
  -- children but cannot reap them.)
  local sig = core.signalled()
  if sig and sched.on_signal then sched.on_signal(sig) end
  local c, err, errname = core.spawn(argv, env, {
    clearenv = opts.clearenv, term = term, cwd = opts.cwd, rows = opts.rows, cols = opts.cols,
    echo = opts.echo ~= false, maxbuf = opts.maxbuf,
    uid = ids and ids.uid, gid = ids and ids.gid, groups = ids and ids.groups,
    pipes = pipes, fds = fds,
  })
  if not c then
    if ids and errname == "EPERM" then
      err = err .. " (changing uid/gid needs root)"
    end
    raise(string.format("spawn %s: %s%s", argv[1], err, split_hint(argv[1], errname)))
  end
  local show = opts.show
  if show == nil then show = M.config.show end
  c:show(show and true or false)
  local p = setmetatable({
    _argv = argv, _rows = opts.rows or 24, _cols = opts.cols or 80,
    _show = show and true or false,
    _c = c, _is = Process, _closed = false, _pty = not pipes, _term = term or nil,
    pid = c:pid(), name = opts.name or argv[1], timeout = opts.timeout,
  }, Process)
  owner[c] = p
  local ok, failure = pcall(function()
    if fds or pipes then M.attach_streams(p, err, fds) end
    if opts.screen then M._screen.attach(p) end
    local log = M.config._log_sink
    if log then output.transcript(p, log.write) end
    if M.config.record then
      p:record(M.config.record, { _auto = true, input = M.config._record_input })
    end
  end)
  if not ok then
    -- the child has started: hang up, kill and reap it before raising
    p._closed = true
    output.finish(p)
    c:close()
    error(failure, 0)
  end
  sched.current_state().proc = p
  expect.trace_msg("spawn %s: pid %d", table.concat(argv, " "), p.pid)
  return p
end

-- pty.spawn(prog, arg...) or pty.spawn{prog, arg..., option = value}
function M.spawn(first, ...)
  if type(first) == "table" then
    if select("#", ...) > 0 then raise("spawn: give either a table or strings, not both") end
    local argv, opts = {}, {}
    for k, v in pairs(first) do
      if math.type(k) == "integer" then argv[k] = v else opts[k] = v end
    end
    if #argv ~= 0 and argv[#argv + 1] == nil then
      for k in pairs(argv) do
        if k < 1 or k > #argv then raise("spawn: the argument list has holes") end
      end
    end
    return start(argv, opts, "spawn")
  end
  if first == nil then raise("spawn: no program given") end
  return start({ first, ... }, {}, "spawn")
end

-- pty.sh("command line", opts): /bin/sh -c
function M.sh(cmd, opts)
  if type(cmd) ~= "string" then raise("sh: expected a command line string, got " .. type(cmd)) end
  if opts ~= nil and type(opts) ~= "table" then raise("sh: options must be a table") end
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  o.name = o.name or "sh"
  return start({ "/bin/sh", "-c", cmd }, o, "sh")
end

local function check_open(p, what)
  check_self(p, what)
  if p._closed then raise(string.format("%s: %s was closed", what, p:_describe_state())) end
end

-- Why a send to p (or to its child fd `fd`) failed, from the C side's
-- message and errno name.
function send_failure(p, fd, err, errname, later)
  local target = fd and string.format("fd %d of %s", fd, p:_describe_state())
    or p:_describe_state()
  if errname == "EIO" then
    err = "the terminal is closed (the process has exited)"
  elseif errname == "EPIPE" then
    err = "the child closed its end of the pipe (Broken pipe)"
  elseif errname == "EBADF" then
    if p._closed then   -- (close, perhaps by another task)
      err = p._pty and "the terminal was closed" or "the process was closed (close)"
    else
      err = (p._pty and not fd) and "the terminal was closed"
        or "the pipe was closed (sendeof or close_fd)"
    end
  end
  if later then err = "not all was written: " .. err end
  return string.format("send to %s: %s", target, err)
end

-- Wait while more than HIGH_WATER bytes are queued on c.
function drain(p, c, q, fd)
  while q > HIGH_WATER do
    sched.wait_for(c, core.DRAIN, nil)
    local err, errname
    q, err, errname = c:queued()
    if err then raise(send_failure(p, fd, err, errname, true)) end
  end
end

-- Send data to p: queue it, trace it, show it to p's outputs.  secret:
-- true to show it as *** (registered by the caller), or the text to show
-- for it ("" for nothing: a key of a secret typed one at a time, after
-- the first); typed: keys the user typed during interact, "on" while the
-- child echoes, "off" while it does not (a password: no output ever sees
-- it).
local function send(p, data, secret, typed)
  local c = p._c
  local q, err, errname = c:send(data)
  if not q then raise(send_failure(p, nil, err, errname)) end
  local shown = data
  if secret then
    shown = secret == true and data:gsub("[^\r\n]+", "***") or secret
  end
  if expect.trace and shown ~= "" then
    expect.trace_msg("send to %s: \"%s\"", p.name, secret == true and "***"
      or expect.escape(secret and shown or expect.redact(data)))
  end
  local outs = p._outputs
  if outs and typed ~= "off" and shown ~= "" then
    for i = 1, #outs do
      local fn = outs[i].sent
      if fn then fn(shown, typed ~= nil) end
    end
  end
  if q > HIGH_WATER then drain(p, c, q) end
  return #data
end

-- p:send(data [, {secret = true, delay = s, human = true}]) -> bytes
-- secret: data is kept out of everything ptyscript writes (traces,
-- messages, transcripts, recordings, pictures, whichever process's),
-- also where the child echoes it.
-- delay: type one character at a time, s seconds apart (Expect's send -s);
-- human: with irregular, human-like pauses (send -h).
local SEND_OPTS = { secret = "boolean", human = "boolean", delay = "delay" }
function Process:send(data, opts)
  if type(self) ~= "table" or self._is ~= Process or self._closed then check_open(self, "send") end
  if type(data) ~= "string" then
    if type(data) ~= "number" then raise("send: expected a string, got " .. type(data)) end
    data = tostring(data)
  end
  local secret
  if opts ~= nil then
    if type(opts) ~= "table" then raise("send: options must be a table such as {secret = true}") end
    check_options(opts, SEND_OPTS, "send")
    if opts.delay ~= nil or opts.human then return self:_type(data, opts) end
    secret = opts.secret
    if secret then output.add_secret(data) end
  end
  return send(self, data, secret)
end

-- Type data one character (UTF-8 sequence) at a time, for send's delay
-- and human options.
function Process:_type(data, opts)
  local delay = opts.delay
  if delay ~= nil and (type(delay) ~= "number" or delay ~= delay or delay < 0 or delay > 3600) then
    raise("send: delay must be a number of seconds from 0 to 3600, got " .. got(delay))
  end
  -- the whole secret, once: never its characters one by one; traces and
  -- transcripts see *** once for each run of keys between line ends, not
  -- one per key (which would tell its length)
  local secret = opts.secret
  if secret then output.add_secret(data) end
  local n, in_run = 0, false
  for ch in data:gmatch("[%z\1-\127\192-\255][\128-\191]*") do
    if n > 0 then
      local pause = delay or 0
      if opts.human then
        -- 40-160 ms a key, longer after a word, now and then a hesitation
        pause = pause + 0.04 + math.random() * 0.12
        if ch == " " then pause = pause + math.random() * 0.15 end
        if math.random() < 0.05 then pause = pause + 0.3 end
      end
      if pause > 0 then sched.sleep(pause) end
    end
    check_open(self, "send")
    local shown = false
    if secret then
      if ch == "\r" or ch == "\n" then
        shown, in_run = ch, false
      else
        shown, in_run = in_run and "" or "***", true
      end
    end
    send(self, ch, shown)
    n = n + #ch
  end
  return n
end

-- p:sendline(line [, opts]): line .. "\r".  With {wait_echo = true} it
-- then waits for the terminal's echo of the line and consumes it, so the
-- next expect sees only the program's answer (needs echo on); timeout
-- bounds that wait.  The other options are send's.
local SENDLINE_OPTS = { secret = "boolean", human = "boolean", delay = "delay",
  wait_echo = "boolean", timeout = "timeout" }
function Process:sendline(line, opts)
  check_open(self, "sendline")
  if line == nil then line = "" end
  if type(line) == "number" then line = tostring(line) end
  if type(line) ~= "string" then raise("sendline: expected a string, got " .. type(line)) end
  local wait_echo, timeout
  if opts ~= nil then
    if type(opts) ~= "table" then
      raise("sendline: options must be a table such as {wait_echo = true}")
    end
    check_options(opts, SENDLINE_OPTS, "sendline")
    wait_echo, timeout = opts.wait_echo, opts.timeout
    if timeout ~= nil then
      if not wait_echo then raise("sendline: timeout is the wait for the echo: give wait_echo = true too") end
      expect.timeout_for(self, timeout, "sendline")
    end
    if wait_echo ~= nil then   -- send gets its own options only
      local o = {}
      for k, v in pairs(opts) do
        if SEND_OPTS[k] then o[k] = v end
      end
      opts = o
    end
  end
  if wait_echo and not self._pty then
    raise("sendline: wait_echo needs a terminal (this process runs with pipes)")
  end
  local n = self:send(line .. (self._pty and "\r" or "\n"), opts)
  if wait_echo then expect.expect_literal(self, line .. "\r\n", timeout) end
  return n
end

local control_extra = { ["@"] = 0, ["["] = 27, ["\\"] = 28, ["]"] = 29, ["^"] = 30,
  ["_"] = 31, ["?"] = 127 }

-- p:sendcontrol("c") sends ^C (\3); also @ [ \ ] ^ _ ?
function Process:sendcontrol(ch)
  check_open(self, "sendcontrol")
  if type(ch) ~= "string" or #ch ~= 1 then
    raise("sendcontrol: expected one character such as \"c\", got " .. got(ch))
  end
  local b = ch:lower():byte()
  local code
  if b >= 97 and b <= 122 then code = b - 96 else code = control_extra[ch] end
  if not code then raise(string.format("sendcontrol: no control character for %q", ch)) end
  return self:send(string.char(code))
end

-- p:sendeof(): the terminal's EOF character (normally ^D); with pipes,
-- close the child's stdin once what was sent before is written.
function Process:sendeof()
  check_open(self, "sendeof")
  if not self._pty then
    self._c:close_write()   -- already closed: nothing more to say
    return 0
  end
  return self:send(self._c:eofchar() or "\4")
end

function Process:expect(patterns, timeout)
  check_self(self, "expect")
  return expect.expect(self, patterns, timeout, "expect")
end

-- p:expect_exact(text or {texts...} [, timeout])
function Process:expect_exact(text, timeout)
  if type(self) ~= "table" or self._is ~= Process then check_self(self, "expect_exact") end
  if type(text) == "string" then return expect_literal(self, text, timeout) end
  return expect_exact(self, text, timeout)
end

function expect_exact(self, text, timeout)
  if type(text) == "string" then return expect_literal(self, text, timeout) end
  local list = text   -- (a Pattern, or what expect's own checks refuse)
  if type(text) == "table" and getmetatable(text) == nil then
    expect.check_list(text, "expect_exact")
    list = {}
    for i, s in ipairs(text) do list[i] = type(s) == "string" and expect.exact(s) or s end
  end
  return expect.expect(self, list, timeout, "expect_exact")
end

function Process:read(timeout)
  check_self(self, "read")
  return expect.read(self, timeout)
end

function Process:readline(timeout)
  check_self(self, "readline")
  return expect.readline(self, timeout)
end

-- os.execute-style results for a child whose exit was seen.
function results(kind, n)
  if kind == "exit" then
    if n == 0 then return true, "exit", 0 end
    return nil, "exit", n
  end
  return nil, "signal", n
end

-- p:wait([timeout]) -> true|nil, "exit"|"signal", n; nil, "timeout"
function Process:wait(timeout)
  check_self(self, "wait")
  local deadline = sched.deadline(timeout, "wait")
  local c = self._c
  while true do
    -- a wait reads what the child left, and records the exit: the exit
    -- callbacks are told before it returns, as when the loop saw it
    local kind, n = refresh(self, true)
    if kind then
      tell_exit(self, kind, n)
      return results(kind, n)
    end
    if sched.wait_for(c, core.EXIT, deadline) == "timeout" then
      kind, n = refresh(self, true)
      if not kind then return nil, "timeout" end
      tell_exit(self, kind, n)
      return results(kind, n)
    end
  end
end

function Process:alive()
  check_self(self, "alive")
  return refresh(self) == nil
end

-- p:kill([sig]): signal the child (not its group).  false if it is gone.
function Process:kill(sig)
  check_self(self, "kill")
  local n = signum(sig, "kill")
  local ok, err = self._c:kill(n, false)
  if ok == nil then raise("kill " .. self:_describe_state() .. ": " .. err) end
  return ok
end

-- Wait up to s seconds for the exit; true if it has exited.
local function exited_within(p, s)
  return p:wait(s) ~= nil or refresh(p) ~= nil
end

-- p:terminate([force]): HUP and CONT, then INT, then KILL if force, to the
-- child's process group, each followed by a short wait.  true if it died.
function Process:terminate(force)
  check_self(self, "terminate")
  if force ~= nil and type(force) ~= "boolean" then
    raise("terminate: force must be true or false, got " .. got(force))
  end
  local c = self._c
  if refresh(self) then return true end
  c:kill(core.signals.HUP, true)
  c:kill(core.signals.CONT, true)
  if exited_within(self, 0.1) then return true end
  c:kill(core.signals.INT, true)
  if exited_within(self, 0.1) then return true end
  if force then
    c:kill(core.signals.KILL, true)
    return exited_within(self, 5)
  end
  return false
end

-- p:close([{grace = 1}]): hang up; KILL what is left of the group (the
-- child, or jobs it left in the background) after grace seconds; reap;
-- end the transcripts and recordings (closing the files p:log and
-- p:record opened).  Returns what wait returns.  Idempotent.
function Process:close(opts)
  check_self(self, "close")
  local grace = 1
  if opts ~= nil then
    if type(opts) ~= "table" then raise("close: options must be a table such as {grace = 1}") end
    check_options(opts, { grace = "number" }, "close")
    if opts.grace ~= nil then
      grace = opts.grace
      if type(grace) ~= "number" or grace ~= grace or grace < 0 then
        raise("close: grace must be a number of seconds >= 0, got " .. got(grace))
      end
    end
  end
  local c = self._c
  if not self._closed then
    self._closed = true
    local deadline = sched.now() + grace
    c:hangup()
    if refresh(self) == nil and grace > 0 then self:wait(grace) end
    -- what the child left in its group (background jobs) gets the rest
    -- of the grace too; its zombie keeps the group's id ours till the reap
    while c:group_alive() and sched.now() < deadline do
      sched.sleep(math.min(0.01, math.max(deadline - sched.now(), 0)))
    end
    c:reap()
    local kind, n = refresh(self)   -- (recorded by the reap, if not before)
    if kind then tell_exit(self, kind, n) end
  end
  if self._outputs then
    deliver(self)
    output.finish(self)
  end
  return results(refresh(self))
end
-- `local p <close>`: Lua passes the error object (if any) as the second
-- argument, which is not close's options.
function Process:__close()
  self:close()
end

local function check_tty(p, what)
  if not p._pty then
    raise(string.format("%s: %s runs with pipes (pty = false): it has no terminal", what, p.name))
  end
end

-- p:setwinsize(rows, cols): 1..65535 each; with a screen, within the
-- screen's limits (rows 1..1000, cols 2..1000), so that the child and
-- the screen always agree.  Out of range raises, and nothing changes.
function Process:setwinsize(rows, cols)
  check_open(self, "setwinsize")
  check_tty(self, "setwinsize")
  check_int(rows, "setwinsize", "rows", 1, 65535)
  check_int(cols, "setwinsize", "cols", 1, 65535)
  if rows == nil or cols == nil then raise("setwinsize: expected rows and cols") end
  if self._screen then
    local lim = M._screen.LIMITS
    if rows > lim.rows or cols < lim.min_cols or cols > lim.cols then
      raise(string.format("setwinsize: with a screen, rows must be 1 to %d and cols %d to %d "
        .. "(got %sx%s)", lim.rows, lim.min_cols, lim.cols, tostring(rows), tostring(cols)))
    end
  end
  local ok, err = self._c:setwinsize(rows, cols)
  if not ok then raise("setwinsize " .. self.name .. ": " .. err) end
  self._rows, self._cols = math.tointeger(rows), math.tointeger(cols)
  return true
end

function Process:getwinsize()
  check_open(self, "getwinsize")
  check_tty(self, "getwinsize")
  local r, c = self._c:getwinsize()
  if not r then raise("getwinsize " .. self.name .. ": " .. c) end
  return r, c
end

-- Flow control: stop reading the child (its writes then block).
function Process:pause()
  check_self(self, "pause")
  self._c:pause(true)
end

function Process:resume()
  check_self(self, "resume")
  self._c:pause(false)
end

-- p:log(target [, {sent = true}]): a transcript of everything the child
-- prints from now on - to a file name (appended; created 0600, never
-- through a symbolic link; closed by close), an open file, or a
-- function(data, kind) with kind "o" (output) or "i" (what was sent, with
-- {sent = true}, and what the user typed during interact while the child
-- echoed).  Secrets are written as ***, also where the child echoes them,
-- one key at a time or not.
function Process:log(target, opts)
  check_open(self, "log")   -- (after close nothing would end the transcript)
  check_path(target, "log")
  if opts ~= nil and type(opts) ~= "table" then raise("log: options must be a table such as {sent = true}") end
  if opts ~= nil then check_options(opts, { sent = "boolean" }, "log") end
  local sent = opts and opts.sent
  if type(target) == "string" then
    local f, err = core.open_file(target, "a")
    if not f then raise("log: " .. err) end
    local sink = output.file_sink(f, "log " .. target, true)
    output.transcript(self, sink.write, sent, sent, sink.close)
  elseif io.type(target) == "file" then
    local sink = output.file_sink(target, "log " .. tostring(target), false)
    output.transcript(self, sink.write, sent, sent)
  elseif type(target) == "function" then
    output.transcript(self, output.ordered(target), sent, sent)
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
function Process:record(path, opts)
  check_open(self, "record")
  if type(path) ~= "string" then raise("record: expected a file name, got " .. type(path)) end
  check_path(path, "record")
  if opts ~= nil then
    if type(opts) ~= "table" then raise("record: options must be a table such as {input = true}") end
    check_options(opts, { input = "boolean", _auto = "boolean" }, "record")
  end
  local input = opts and opts.input
  local auto = opts and opts._auto
  local f, err
  if auto then
    recorded = recorded + 1
    self._record_n = recorded   -- (its picture has the same number)
    if recorded > 1 then
      local base = path:gsub("%.cast$", "")
      path = string.format("%s.%d.cast", base, recorded)
    elseif M.config._record_file then
      f, M.config._record_file = M.config._record_file, nil
    end
  end
  if not f then
    f, err = core.open_file(path, "w")
    if not f then raise((auto and "--record: " or "record: ") .. err) end
  end
  local sink = output.file_sink(f, (auto and "--record " or "record ") .. path, true)
  local esc = core.json_escape
  local function str(s) return '"' .. (esc(s, true)) .. '"' end
  local cmd = {}
  for i, a in ipairs(self._argv or { self.name }) do cmd[i] = a end
  local red = output.redact   -- (a secret may be among the arguments too)
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
  output.transcript(self, event, true, input, function()
    -- a UTF-8 sequence cut by the end: U+FFFD
    for _, kind in ipairs{ "o", "i" } do
      if carry[kind] ~= "" then event("", kind, true) end
    end
    sink.close()
  end)
  return self
end

-- p:interact([{escape = "\29", input = fn, output = fn}]) -> why
-- Connect the user's terminal to the child: standard input goes to the
-- child, the child's output to standard output, until the escape
-- character is typed (default Ctrl-], false for none; returns "escape"),
-- the child's output ends ("eof") or standard input does ("stdin eof").
-- A terminal on standard input is put in raw mode and restored on every
-- way out; its window size is copied to the child at the start and on
-- every SIGWINCH.  input(data) and output(data) may rewrite what
-- passes (return the bytes to pass on, or nil to drop them).
function Process:interact(opts)
  check_open(self, "interact")
  if opts ~= nil and type(opts) ~= "table" then
    raise("interact: options must be a table such as {escape = \"\\29\"}")
  end
  opts = opts or {}
  check_options(opts, { escape = "escape", input = "function", output = "function" }, "interact")
  local escape = opts.escape
  if escape == nil then escape = "\29" end
  if escape ~= false and (type(escape) ~= "string" or #escape ~= 1) then
    raise("interact: escape must be one character or false, got " .. got(escape))
  end
  for _, k in ipairs{ "input", "output" } do
    if opts[k] ~= nil and type(opts[k]) ~= "function" then
      raise("interact: " .. k .. " must be a function")
    end
  end
  local in_filter, out_filter = opts.input, opts.output
  local c = self._c
  local tty = core.isatty(0)
  local function copy_size()
    if not tty or not self._pty then return end
    local r, cols = core.winsize(0)
    if r and self._screen then   -- (the child and its screen agree)
      local lim = M._screen.LIMITS
      r, cols = math.min(r, lim.rows), math.max(lim.min_cols, math.min(cols, lim.cols))
    end
    if r and (r ~= self._rows or cols ~= self._cols) then
      self._rows, self._cols = r, cols
      c:setwinsize(r, cols)
    end
  end
  local stdin = core.reader(0)
  local done = {}       -- woken when either direction ends
  local why
  -- all of it, also to a non-blocking standard output
  local function to_stdout(data)
    io.stdout:flush()
    local ok, err = core.write(1, data)
    if not ok then raise("interact: writing to standard output failed: " .. err) end
  end
  -- What the user types at a password prompt - the child's terminal
  -- reads lines with echo off, as getpass(3), sudo and ssh have it - is
  -- never written to a transcript or recording, and each line of it
  -- becomes a secret when Enter ends it.  (A program in
  -- raw mode, readline say, turns echo off too, but echoes for itself.)
  local hidden = ""
  local function type_keys(data)
    local echo, lines = c:echo()
    if echo ~= false or not lines then   -- (nil: pipes, where nothing is hidden)
      hidden = ""
      return send(self, data, false, "on")
    end
    local at = 1
    while true do
      local s, e = data:find("[\r\n]", at)
      hidden = hidden .. data:sub(at, (s or 0) - 1)
      if not s then break end
      -- the line as the terminal's line editing leaves it
      local line = hidden:gsub("^.*\21", "")
      repeat
        local n
        line, n = line:gsub("[%z\1-\127\192-\255][\128-\191]*[\8\127]", "", 1)
      until n == 0
      line = line:gsub("[\8\127]", "")
      if line ~= "" then output.add_secret(line) end
      hidden, at = "", e + 1
    end
    return send(self, data, true, "off")
  end
  local function finish(reason)
    why = why or reason
    sched.dispatch(done, 1)
  end

  -- child -> standard output, as its own task.  Both pumps look at `why`
  -- after every wait, and are woken when it is set, so that neither takes
  -- a byte once interact has returned.
  local function pump_out()
    while not why do
      local _, len, eof = c:state()
      if len > 0 then
        local data = c:take(math.maxinteger)
        if out_filter then data = out_filter(data) end
        if data and data ~= "" then to_stdout(data) end
      elseif eof then
        return finish("eof")
      else
        sched.wait_for(c, core.DATA, nil)
      end
    end
  end
  -- the user's window size -> child, at the start and on every SIGWINCH
  local winch = tty and self._pty and core.winch()
  local function pump_size()
    copy_size()
    while not why do
      sched.wait_for(winch, 1, nil, true)   -- (always armed: see l_tty.c)
      copy_size()
    end
  end
  -- standard input -> child
  local function pump_in()
    while not why do
      local data, err = stdin:read()
      if data == false then
        sched.wait_for(stdin, core.DATA, nil)
      elseif not data then
        return finish("stdin " .. err)
      else
        local stop = escape and data:find(escape, 1, true)
        if stop then data = data:sub(1, stop - 1) end
        if in_filter then data = in_filter(data) end
        if data and data ~= "" then
          check_open(self, "interact")
          type_keys(data)
        end
        if stop then return finish("escape") end
      end
    end
  end

  c:show(false)
  if self.stderr then self.stderr._c:show(true, 2) end   -- stderr passes straight through
  local raw_ok
  local failed, failure   -- an error in a pump or a filter: re-raised at the end
  local function run(pump)
    return function()
      local ok, err = pcall(pump)
      if not ok then
        if not failed then failed, failure = true, err end
        finish("error")
      end
    end
  end
  local ok, err = pcall(function()
    local pending = c:take(math.maxinteger)   -- what arrived before: show it first
    if pending ~= "" then
      if out_filter then pending = out_filter(pending) end
      if pending and pending ~= "" then to_stdout(pending) end
    end
    -- raw mode passes every key to the child's terminal; with pipes there
    -- is none: the user's terminal stays as it is (echo, lines, ^D)
    if tty and self._pty then
      local why_not
      raw_ok, why_not = core.tty_raw(0)
      if not raw_ok then raise("interact: " .. why_not) end
    end
    sched.go(run(pump_out))
    sched.go(run(pump_in))
    if winch then sched.go(run(pump_size)) end
    while not why do sched.wait_for(done, 1, nil, true) end
  end)
  if raw_ok then core.tty_restore() end
  sched.dispatch(c, core.DATA)       -- let both pumps see `why` and end
  sched.dispatch(stdin, core.DATA)
  stdin:close()
  if winch then
    sched.dispatch(winch, 1)
    winch:close()
  end
  c:show(self._show or false)
  if self.stderr then self.stderr._c:show(self._show or false, 2) end
  if not ok then error(err, 0) end
  if failed then error(failure, 0) end
  return why
end
-- p:on("data", fn): fn(p, chunk, fd) for every chunk the child writes, in
-- order, from now on (the bytes stay in the buffer for expect as well);
-- fd is 1 (the terminal, or stdout) or 2 (stderr, with pty = false).
-- p:on("exit", fn): fn(p, ok, "exit"|"signal", n) once the child's exit
-- is seen by the loop or a wait (at once if it already is), after the
-- data callbacks of its output.  Several callbacks run in order.
function Process:on(event, fn)
  check_self(self, "on")
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
        tell_exit(self, kind, n)        -- every exit callback, this one too
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
-- Streams: the pipes of a process besides its own output - stderr with
-- pty = false, and the "r"/"w" descriptors of fds.  A stream reading the
-- child has expect, expect_exact, read and readline, with the same engine
-- and guarantees as the process (it is drained when the process exits);
-- one writing to it has send and sendline.  p:stream(fd) returns it.
local Stream = { __name = "ptyscript.Stream" }
M.Stream = Stream
names.kind(Stream, "stream", Stream, function(s) return s:_describe_state() end)
Stream.__index = function(s, k)
  local m = Stream[k]
  if m ~= nil then return m end
  if k == "timeout" then return rawget(s, "_proc")[k] end
end

function Stream:__tostring()
  return "ptyscript stream " .. self:_describe_state()
end

function Stream:_describe_state()
  return self._what .. " of " .. self._proc:_describe_state()
end

local function check_stream(s, what, mode)
  if type(s) ~= "table" or getmetatable(s) ~= Stream then
    raise(string.format("%s: expected a stream (use s:%s(...), not s.%s(...))", what, what, what))
  end
  if mode and s._mode ~= mode then
    raise(string.format("%s: %s is %s by ptyscript", what, s:_describe_state(),
      s._mode == "r" and "read, not written" or "written, not read"))
  end
end

function Stream:expect(patterns, timeout)
  check_stream(self, "expect", "r")
  return expect.expect(self, patterns, timeout, "expect")
end

function Stream:expect_exact(text, timeout)
  check_stream(self, "expect_exact", "r")
  return expect_exact(self, text, timeout)
end

function Stream:read(timeout)
  check_stream(self, "read", "r")
  return expect.read(self, timeout)
end

function Stream:readline(timeout)
  check_stream(self, "readline", "r")
  return expect.readline(self, timeout)
end

-- s:send(data [, {secret = true}]): a secret (a password for gpg's
-- --passphrase-fd, say) is registered before it is written, as p:send's.
local STREAM_SEND_OPTS = { secret = "boolean" }
local function stream_opts(opts, what)
  if opts == nil then return false end
  if type(opts) ~= "table" then raise(what .. ": options must be a table such as {secret = true}") end
  check_options(opts, STREAM_SEND_OPTS, what)
  return opts.secret
end

function Stream:send(data, opts)
  check_stream(self, "send", "w")
  if type(data) == "number" then data = tostring(data) end
  if type(data) ~= "string" then raise("send: expected a string, got " .. type(data)) end
  local secret = stream_opts(opts, "send")
  if secret then output.add_secret(data) end
  local c = self._c
  local q, err, errname = c:send(data)
  if not q then raise(send_failure(self._proc, self._fd, err, errname)) end
  if expect.trace then
    expect.trace_msg("send to %s fd %d: \"%s\"", self._proc.name, self._fd,
      secret and "***" or expect.escape(expect.redact(data)))
  end
  if q > HIGH_WATER then drain(self._proc, c, q, self._fd) end
  return #data
end

function Stream:sendline(line, opts)
  check_stream(self, "sendline", "w")
  if type(line) == "number" then line = tostring(line) end
  if type(line) ~= "string" then raise("sendline: expected a string, got " .. type(line)) end
  stream_opts(opts, "sendline")
  return self:send(line .. "\n", opts)
end

-- s:close(): "w": EOF for the child once the queue is written; "r": stop
-- reading (the child then gets EPIPE/SIGPIPE writing it).  Idempotent.
function Stream:close()
  check_stream(self, "close")
  if self._mode == "w" then self._c:close_write() else self._c:hangup() end
end

-- Make p's streams from core.spawn's map {[childfd] = handle}; remember
-- which child fds are files or descriptors passed as they are.
function M.attach_streams(p, handles, fds)
  p._fds = {}
  for fd, c in pairs(handles or {}) do
    local mode = "w"
    for _, e in ipairs(fds or {}) do
      if e.to == fd then mode = e.mode end
    end
    if fd == 2 then mode = "r" end
    local s = setmetatable({ _c = c, _proc = p, _fd = fd, _mode = mode,
      _what = fd == 2 and "stderr" or ("fd " .. fd),
      name = p.name .. (fd == 2 and " stderr" or (" fd " .. fd)) }, Stream)
    p._fds[fd] = s
  end
  p.stderr = p._fds[2]
  if p.stderr then   -- what the child prints on stderr: shown, logged, recorded
    local c = p.stderr._c
    owner[c], err_stream[c] = p, true
    c:show(p._show, 2)
  end
  for _, e in ipairs(fds or {}) do
    if e.mode == "fd" then p._fds[e.to] = "passed" end
  end
end

-- The stream or "passed" for child fd `fd`, or a clear error.
local function child_fd(p, fd, what)
  if math.type(fd) ~= "integer" then
    raise(string.format("%s: expected a child descriptor number, got %s", what, got(fd)))
  end
  local s = p._fds and p._fds[fd]
  if s == nil and fd >= 0 and fd <= 2 and p._pty then
    raise(string.format("%s: fd %d of %s is its terminal: use p:send, p:expect and p:sendeof "
      .. "(or spawn with pty = false for pipes)", what, fd, p.name))
  end
  if s == nil and (fd == 1 or fd == 2) and not p._pty then
    raise(string.format("%s: fd %d of %s is its %s: read it with %s", what, fd, p.name,
      fd == 1 and "stdout" or "stderr", fd == 1 and "p:expect or p:read" or "p.stderr"))
  end
  if s == nil and not (fd == 0 and not p._pty) then
    raise(string.format("%s: fd %d of %s is not mapped (map it with spawn's fds = {[%d] = \"w\"})",
      what, fd, p.name, fd))
  end
  return s
end

-- p:stream(fd) -> the stream for child fd `fd` (2 is p.stderr with pipes).
function Process:stream(fd)
  check_self(self, "stream")
  local s = child_fd(self, fd, "stream")
  if s == nil or s == "passed" then
    raise(string.format("stream: fd %d of %s is %s", fd, self.name,
      s and "the script's own file, passed as it is" or "the process's own stdin (p:send)"))
  end
  return s
end

-- p:write_fd(fd, data [, {secret = true}]): send to the child's
-- descriptor fd (a "w" pipe of fds, or 0 with pty = false), with
-- backpressure like send.
function Process:write_fd(fd, data, opts)
  check_open(self, "write_fd")
  stream_opts(opts, "write_fd")
  local s = child_fd(self, fd, "write_fd")
  if s == nil then return self:send(data, opts) end
  if s == "passed" or s._mode ~= "w" then
    raise(string.format("write_fd: fd %d of %s is %s", fd, self.name,
      s == "passed" and "the script's own file, passed as it is: write to that file"
      or "read by ptyscript (\"r\"), not written"))
  end
  return s:send(data, opts)
end

-- p:close_fd(fd): close our end of the pipe for child fd `fd`: the child
-- reads EOF there (after what was queued), or, for an "r" pipe, ptyscript
-- stops reading it.  0 with pty = false is sendeof.
function Process:close_fd(fd)
  check_self(self, "close_fd")
  local s = child_fd(self, fd, "close_fd")
  if s == nil then return self:sendeof() end
  if s == "passed" then
    raise(string.format("close_fd: fd %d of %s is the script's own file, passed as it is: "
      .. "close that file", fd, self.name))
  end
  s:close()
end
-- p:screen(), p:expect_screen(), p:wait_stable() and spawn's screen
-- option
M._screen = require("ptyscript.screen").install(Process)

return M
