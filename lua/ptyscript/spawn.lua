-- ptyscript.spawn: pty.spawn and pty.sh - one path from checked
-- arguments (ptyscript.spawnopts) to a running child and its Process,
-- with its streams, screen, --log transcript and --record recording
-- attached, or none of it and the child reaped.
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local config = require "ptyscript.config"
local sched = require "ptyscript.sched"
local diag = require "ptyscript.diag"
local spawnopts = require "ptyscript.spawnopts"
local output = require "ptyscript.output"
local events = require "ptyscript.events"
local stream = require "ptyscript.stream"
local screen = require "ptyscript.screen"
local process = require "ptyscript.process"

local M = {}
local raise = diag.raise

-- Spawn from argv (strings) and options; the one path behind every form.
local function start(argv, opts, what)
  local env, term, fds, ids, pipes
  opts, env, term, fds, ids, pipes = spawnopts.check(argv, opts, what)
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
    raise(string.format("spawn %s: %s%s", argv[1], err, spawnopts.split_hint(argv[1], errname)))
  end
  local show = opts.show
  if show == nil then show = config.show end
  c:show(show and true or false)
  local p = process.new{
    _argv = argv, _rows = opts.rows or 24, _cols = opts.cols or 80,
    _show = show and true or false,
    _c = c, _closed = false, _pty = not pipes, _term = term or nil,
    pid = c:pid(), name = opts.name or argv[1], timeout = opts.timeout,
  }
  events.register(p, c)
  local ok, failure = pcall(function()
    if fds or pipes then stream.attach_streams(p, err, fds) end
    if opts.screen then screen.attach(p) end
    local log = config._log_sink
    if log then output.transcript(p, log.write) end
    if config.record then
      p:record(config.record, { _auto = true, input = config._record_input })
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
  diag.trace("spawn %s: pid %d", table.concat(argv, " "), p.pid)
  return p
end

-- start(argv, opts, what) for pty.run: spawn's checks and messages,
-- naming `what`.
M.start = start

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

return M
