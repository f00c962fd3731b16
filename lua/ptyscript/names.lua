-- ptyscript.names: "did you mean" for a method or a global the script
-- got wrong.
--
-- p:sendlien(...) fails in Lua itself: "attempt to call a nil value
-- (method 'sendlien')".  When such an error ends a task (the script, in
-- the command), its traceback (diag.traceback) gets a hint line naming
-- the object and the nearest method: "the process bc (pid 42, running)
-- has no method sendlien; did you mean sendline?".
--
-- The hint is made from the error, never by answering the lookup: an
-- __index that returned something for a missing name would make reading
-- a field the script has not set yet (p.closed, p.sent, a flag of its
-- own) a true value, silently.  The object is found among the failed
-- frame's temporaries, where a method call keeps it next to the nil it
-- looked up (debug.getlocal); when that is not clear, no object is named.
-- (The standard library as it was at load: a script with a global
-- `debug`, `pairs` or `string` of its own still gets its hints.)
local _ENV = require "ptyscript.std"

local M = {}

-- Names from Expect, pexpect and elsewhere that mean one of ours, by
-- kind of object.
local ALIASES = {
  process = {
    isalive = "alive", sendintr = 'sendcontrol("c")', expect_list = "expect({pat1, pat2, ...})",
    expect_exact_list = "expect_exact({text1, text2, ...})", write = "send",
    writelines = "send", logfile = "log", logfile_read = "log", logfile_send = "log",
    eof = "expect(pty.EOF)",
  },
  stream = { write = "send", writelines = "send", eof = "expect(pty.EOF)" },
  task = { join = "wait", result = "wait" },
  REPL = { run_command = "run" },
  screen = { display = "text", dump = "text" },
}

-- metatable -> { what = "process", methods = the methods table,
-- describe = fn(obj) -> what follows "the process" in a message }
local kinds = {}

-- Register a kind of object whose method names get hints.
function M.kind(mt, what, methods, describe)
  kinds[mt] = { what = what, methods = methods, describe = describe, aliases = ALIASES[what] }
end

-- "send_line", "sendLine" -> "sendline": case and underscores are the
-- commonest slips and cost nothing here.
local function norm(s)
  return (s:lower():gsub("_", ""))
end

-- Edit distance with transpositions (optimal string alignment), or a
-- number above limit as soon as it is certain.
local function distance(a, b, limit)
  if math.abs(#a - #b) > limit then return limit + 1 end
  local prev2, prev, cur = {}, {}, {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    cur = { [0] = i }
    local best = i
    for j = 1, #b do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      local d = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
      if i > 1 and j > 1 and a:byte(i) == b:byte(j - 1) and a:byte(i - 1) == b:byte(j) then
        d = math.min(d, prev2[j - 2] + 1)
      end
      cur[j] = d
      if d < best then best = d end
    end
    if best > limit then return limit + 1 end
    prev2, prev = prev, cur
  end
  return prev[#b]
end

-- The method of `kind` nearest to name (an alias first), or nil: edit
-- distance up to 1 for names of 4 letters or fewer, else up to 2, ties
-- to the first in sorted order.
local function nearest(kind, name)
  local alias = kind.aliases and kind.aliases[name]
  if alias then return alias end
  local n = norm(name)
  local limit = #n <= 4 and 1 or 2
  local list = kind.list
  if not list then
    list = {}
    for k, v in pairs(kind.methods) do
      if type(k) == "string" and not k:find("^_") and type(v) == "function" then list[#list + 1] = k end
    end
  end
  table.sort(list)
  local best, bestd = nil, limit + 1
  for _, m in ipairs(list) do
    local d = distance(n, norm(m), limit)
    if d < bestd then best, bestd = m, d end
  end
  return best
end

-- The object whose method `name` a call in co's failed frame looked up
-- and got nil: the value after a nil temporary, of a registered kind,
-- without that method.  Its kind and itself; or the kind alone when the
-- frame holds several such objects of one kind; else nil.
local function receiver(co, name)
  local vals, names, n = {}, {}, 0
  for i = 1, 250 do
    local k, v = debug.getlocal(co, 0, i)
    if not k then break end
    n = i
    names[i], vals[i] = k, v
  end
  local found, kind, many
  for i = 1, n - 1 do
    local v = vals[i + 1]
    local mt = vals[i] == nil and names[i] == "(temporary)" and v ~= nil and getmetatable(v)
    local info = mt and kinds[mt]
    if info and info.methods[name] == nil then
      if found == nil then
        found, kind = v, info
      elseif not rawequal(found, v) then
        if info ~= kind then return nil end
        many = true
      end
    end
  end
  if many then return kind, nil end
  return kind, found
end

-- The global shorthands installed (pty.install_globals): name -> true.
local globals = {}

-- A global the script may mean when it calls an undefined one.
function M.add_global(name)
  globals[name] = true
end

-- A global the script called and that is not defined: the shorthand
-- nearest to its name, if any.
local function global_hint(name)
  local list = {}
  for k in pairs(globals) do list[#list + 1] = k end
  if #list == 0 then return "" end
  local near = nearest({ list = list }, name)
  if not near then return "" end
  return string.format("\n  hint: %s is not defined; did you mean %s (%s)?", name, near,
    near == "spawn" and "pty.spawn" or "the shorthand for the current process's p:" .. near)
end

-- The hint for msg, an error raised in coroutine co (dead, its stack
-- kept): "\n  hint: ..." or "".
function M.hint(co, msg)
  if type(msg) ~= "string" or type(co) ~= "thread" then return "" end
  local g = msg:match("attempt to call a nil value %(global '([%w_]+)'%)$")
  if g then return global_hint(g) end
  local name = msg:match("attempt to call a nil value %(method '([%w_]+)'%)$")
    or msg:match("attempt to call a nil value %(field '([%w_]+)'%)$")
  if not name then return "" end
  local ok, kind, obj = pcall(receiver, co, name)
  if not ok or not kind then return "" end
  local who = "a " .. kind.what
  if obj and kind.describe then
    local ok2, d = pcall(kind.describe, obj)
    if ok2 and type(d) == "string" then who = "the " .. kind.what .. " " .. d end
  end
  local near = nearest(kind, name)
  return string.format("\n  hint: %s has no method %s%s", who, name,
    near and "; did you mean " .. near .. "?" or "")
end

return M
