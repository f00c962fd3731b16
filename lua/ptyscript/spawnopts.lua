-- ptyscript.spawnopts: spawn's arguments and options checked, and made
-- into what core.spawn takes - the child's environment and TERM, its
-- extra descriptors (fds), its user and groups (uid, gid) - before any
-- child starts.
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local config = require "ptyscript.config"
local diag = require "ptyscript.diag"
local check = require "ptyscript.check"
local screen = require "ptyscript.screen"

local M = {}
local raise, got = diag.raise, diag.got

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
    if type(env) ~= "table" then raise(what .. ": env must be a table, got " .. got(env)) end
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
  screen = "boolean",   -- (ptyscript.screen)
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

-- Read by spec/docs_spec.lua: the manual must document every option.
M.known_opts = known_opts

-- A program not found (errname ENOENT) whose name has a space is a
-- command line given as one program ("bc -q"): the hint to split it, or
-- to use a shell.
function M.split_hint(prog, errname)
  if not prog:find("%s") or errname ~= "ENOENT" then return "" end
  local words = {}
  for w in prog:gmatch("%S+") do words[#words + 1] = '"' .. diag.escape(w) .. '"' end
  local line = '"' .. diag.escape(prog) .. '"'
  return string.format("\n  hint: %s is taken as the name of one program: give its arguments "
    .. "apart, pty.spawn(%s), or run a command line with pty.sh(%s)", line,
    table.concat(words, ", "), line)
end

-- Check spawn's argv (strings; numbers become strings, in place) and
-- options, before anything starts.  Returns the options as spawn uses
-- them (for uid, with the target user's HOME, USER, LOGNAME; for screen,
-- its TERM), the child's environment and TERM, the checked fds, the
-- uid/gid/groups (or nil), and whether the child runs on pipes.
function M.check(argv, opts, what)
  check.options(opts, known_opts, what)
  if opts.show == nil and type(config.show) ~= "boolean" then
    raise(string.format("%s: pty.show (the default of show) must be true or false, got %s",
      what, got(config.show)))
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
  check.int(opts.rows, what, "rows", 1, 65535)
  check.int(opts.cols, what, "cols", 1, 65535)
  check.int(opts.maxbuf, what, "maxbuf", 1, 1 << 40)
  if opts.timeout ~= nil then check.timeout({}, opts.timeout, what) end
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
  opts = screen.spawn_opts(opts, what)
  local env, term = child_env(opts, what)
  return opts, env, term, fds, ids, pipes
end

return M
