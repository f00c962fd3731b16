-- ptyscript.expect: patterns, the streaming match loop, read/readline,
-- and what a failed expect says (its error object's message and hints).
--
-- Each pattern keeps its own scan position (an absolute stream offset):
-- the C matcher reports where a match could still begin, and bytes before
-- that are never scanned again, so an expect costs time linear in the
-- output it reads.  Among patterns that match, the earliest start wins and
-- a tie goes to the earlier pattern in the list.
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local sched = require "ptyscript.sched"
local config = require "ptyscript.config"
local diag = require "ptyscript.diag"
local check = require "ptyscript.check"

local M = {}
local DATA = core.DATA
local now, HUGE, signalled = core.now, math.huge, core.signalled
local slot = sched.slot
local ALL = math.maxinteger   -- an offset past any buffer: "everything"
local raise, where, escape, redact, got = diag.raise, diag.where, diag.escape, diag.redact, diag.got

local Pattern = { __name = "ptyscript.Pattern" }
Pattern.__index = Pattern
-- Control characters and non-ASCII bytes of a pattern, escaped for messages.
local function show_pattern(s)
  return (s:gsub("[%c\128-\255]", function(c)
    if c == "\r" then return "\\r" elseif c == "\n" then return "\\n"
    elseif c == "\t" then return "\\t" end
    return string.format("\\x%02x", c:byte())
  end))
end

function Pattern:__tostring()
  if self.kind == "exact" then return '"' .. show_pattern(self.source:gsub('"', '\\"')) .. '"' end
  if self.kind == "re" then return "/" .. show_pattern(self.source) .. "/" .. (self.flags or "") end
  return self.kind   -- "EOF" / "TIMEOUT"
end

M.EOF = setmetatable({ kind = "EOF" }, Pattern)
M.TIMEOUT = setmetatable({ kind = "TIMEOUT" }, Pattern)

-- Compiled regexes by flags and text: each is compiled once.  (The
-- pattern objects of plain string patterns are cached the same way.)
local regexes, patterns, ncache = {}, {}, 0

local function cached(cache, key, make, ...)
  local v = cache[key]
  if v == nil then
    if ncache >= 2000 then regexes, patterns, ncache = {}, {}, 0 end
    v = make(...)
    cache[key] = v
    ncache = ncache + 1
  end
  return v
end


-- Compile (once per text and flags); an invalid pattern raises with
-- PCRE2's message and offset, the pattern's bytes escaped.
local function compile(source, flags)
  local key = flags .. "/" .. source
  local re = regexes[key]
  if re then return re end
  local err, off
  re, err, off = core.compile(source, flags)
  if not re then
    error(string.format("invalid pattern /%s/: %s at offset %d", show_pattern(source), err, off), 0)
  end
  return cached(regexes, key, function() return re end)
end

-- pty.re(text [, flags]): a regex with flags i, m, s, x.
function M.re(source, flags)
  if type(source) ~= "string" then
    error("re: pattern must be a string, got " .. type(source), 2)
  end
  flags = flags or ""
  if type(flags) ~= "string" then error("re: flags must be a string such as \"i\"", 2) end
  local ok, re = pcall(compile, source, flags)
  if not ok then raise("re: " .. tostring(re)) end
  return setmetatable({ kind = "re", source = source, flags = flags, _re = re }, Pattern)
end

-- pty.exact(text): a literal string.
function M.exact(source)
  if type(source) ~= "string" then
    error("exact: expected a string, got " .. type(source), 2)
  end
  return setmetatable({ kind = "exact", source = source, _lit = source }, Pattern)
end

-- Turn one pattern argument into a Pattern.
local function to_pattern(p, what, i)
  if type(p) == "string" then
    local pat = patterns[p]
    if pat then return pat end
    local ok, re = pcall(compile, p, "")
    if not ok then raise(what .. ": " .. tostring(re)) end
    return cached(patterns, p, setmetatable, { kind = "re", source = p, _re = re }, Pattern)
  end
  if getmetatable(p) == Pattern then return p end
  raise(string.format("%s: pattern%s is a %s; expected a string (regex), "
    .. "pty.exact(), pty.re(), pty.EOF or pty.TIMEOUT", what,
    i and " " .. i or "", type(p)))
end

-- A pattern list with keys ({ok = "...", err = "..."}): keys are no
-- names for patterns (a table has no order, and among patterns matching
-- at the same byte the first listed wins).  Raise, showing the list form
-- and how to name arms: named groups in one pattern, by the list's own
-- keys where they can be group names.
local function keyed_list(arg, what)
  local keys, names = {}, {}
  for k in pairs(arg) do
    if math.type(k) ~= "integer" then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b)
    if type(a) ~= type(b) then return type(a) < type(b) end
    return type(a) == "string" and a < b or tostring(a) < tostring(b)
  end)
  local shown = {}
  for i = 1, math.min(#keys, 3) do
    local k = keys[i]
    shown[i] = type(k) == "string" and '"' .. escape(k) .. '"' or got(k)
    if type(k) == "string" and k:find("^[%a_][%w_]*$") and #k <= 32 then names[#names + 1] = k end
  end
  if #keys > 3 then shown[#shown + 1] = "..." end
  if #names == 0 then names = { "name" } end
  local groups, fields = {}, {}
  for i, n in ipairs(names) do
    groups[i] = "(?<" .. n .. ">...)"
    fields[i] = "m." .. n
  end
  raise(string.format("%s: the pattern list has the key%s %s: a list is {pat1, pat2, ...}, in "
    .. "order (m.index says which matched); to name the arms, use named groups in one pattern, "
    .. "\"%s\", and test %s", what, #keys > 1 and "s" or "", table.concat(shown, ", "),
    table.concat(groups, "|"), table.concat(fields, ", ")))
end

-- Check a list of patterns: a sequence 1..n, n > 0, without keys.
function M.check_list(arg, what)
  local n = #arg
  for k in pairs(arg) do
    if math.type(k) ~= "integer" then
      keyed_list(arg, what)
    elseif k < 1 or k > n then
      raise(string.format("%s: the pattern list has a hole (a nil before pattern %d)", what, k))
    end
  end
  if n == 0 then raise(what .. ": the pattern list is empty") end
end

-- A list of Patterns from a pattern or a list of them.
function M.patterns(arg, what)
  if type(arg) == "table" and getmetatable(arg) == nil then
    M.check_list(arg, what)
    local list = {}
    for i = 1, #arg do list[i] = to_pattern(arg[i], what, i) end
    return list
  end
  return { to_pattern(arg, what) }
end

-- tostring(pat) for messages and traces: with the pattern's text
-- redacted (sendline's wait_echo waits for the echo of a secret).
local function shown(_, pat)
  local src = pat.source
  if not src then return tostring(pat) end
  local red = redact(src)
  if red == src then return tostring(pat) end
  return tostring(setmetatable({ kind = pat.kind, source = red, flags = pat.flags }, Pattern))
end
M.shown = shown

-- The last output as messages show it: its last 200 bytes, escaped.
local function last_output(s)
  if #s > 200 then return "..." .. escape(s:sub(-200)) end
  return escape(s)
end
M.last_output = last_output

-- The patterns for messages and trace lines, redacted: the first SHOWN,
-- then how many more (the error object's `patterns` keeps them all).
local SHOWN = 5
local function describe(p, list)
  local t = {}
  for i = 1, math.min(#list, SHOWN) do t[i] = shown(p, list[i]) end
  local s = table.concat(t, " or ")
  if #list > SHOWN then s = string.format("%s and %d more", s, #list - SHOWN) end
  return s
end

local Err = diag.Error

local function fmt_seconds(t)
  if t == math.huge then return "no limit" end
  return string.format("%gs", t)
end

-- The headline of a timeout or EOF message: "timeout (10s) waiting for
-- <what> from <process and its state>" (`from` may say otherwise, such as
-- "on the screen of").  At EOF the exit, which is often seen a moment
-- after the terminal closed, is waited for briefly so the state has it.
function M.failure_head(kind, p, what, timeout, from)
  if kind == "eof" and p._c:status() == nil then
    sched.wait_for(p._c, core.EXIT, core.now() + 0.2)
  end
  local state = p:_describe_state()
  if kind == "timeout" then
    return string.format("timeout (%s) waiting for %s %s %s", fmt_seconds(timeout), what,
      from or "from", state)
  end
  return string.format("end of output (EOF) waiting for %s %s %s", what, from or "from", state)
end

-- Lua pattern classes and what PCRE2 writes for them.
local LUA_CLASS = {
  d = "\\d", D = "\\D", s = "\\s", S = "\\S", w = "\\w", W = "\\W",
  a = "[[:alpha:]]", A = "[^[:alpha:]]", l = "[[:lower:]]", L = "[^[:lower:]]",
  u = "[[:upper:]]", U = "[^[:upper:]]", p = "[[:punct:]]", P = "[^[:punct:]]",
  c = "[[:cntrl:]]", C = "[^[:cntrl:]]", x = "[[:xdigit:]]", X = "[^[:xdigit:]]",
  g = "[[:graph:]]", G = "[^[:graph:]]",
}

-- A regex written as a Lua pattern ("(%d+)", "%(gdb%)"): PCRE2 takes
-- "%d" as the text "%d", and "%(" as "%" and a group.  The hint for the
-- first such class or escape of pat, or nil; with text (the output the
-- message shows), it also says what the Lua pattern would have matched
-- there.
local LUA_ESCAPED = "().[]*+-?^$"
local function lua_class_hint(p, pat, text)
  if pat.kind ~= "re" or not pat.source then return nil end
  local src = pat.source
  local h
  for c in src:gmatch("%%(%a)") do
    local pcre = LUA_CLASS[c]
    if pcre then
      h = string.format('%s has %%%s, a Lua pattern class; PCRE2 writes %s (in a Lua string '
        .. '"%s", or [[%s]])', shown(p, pat), c, pcre, (pcre:gsub("\\", "\\\\")), pcre)
      break
    end
  end
  if not h then
    for c in src:gmatch("%%(%p)") do
      if LUA_ESCAPED:find(c, 1, true) then
        h = string.format('%s has %%%s, a Lua pattern escape; PCRE2 escapes with a backslash: '
          .. '"\\\\%s" in a Lua string, or [[\\%s]]', shown(p, pat), c, c, c)
        break
      end
    end
  end
  if h and text and text ~= "" then
    local ok, s, e = pcall(string.find, text, src)
    if ok and s and e >= s then
      h = h .. string.format(' (as a Lua pattern it matches "%s" in the output)',
        escape(text:sub(s, e)))
    end
  end
  return h
end

-- The hint lines about patterns alone (whatever the output), for the
-- patterns a message names.
function M.pattern_hints(p, list)
  local out = {}
  for i = 1, math.min(#list, SHOWN) do
    local h = lua_class_hint(p, list[i])
    if h then out[#out + 1] = "\n  hint: " .. h end
  end
  return table.concat(out)
end

-- Output with escape sequences (ESC): a pattern has to match them too,
-- which is rarely what the script meant.  What to do depends on the
-- child's TERM (spawn's term, env.TERM or the default) and terminal; p
-- may be a stream of a process.
local function escape_hint(p, text)
  if not text:find("\27", 1, true) then return nil end
  local owner = rawget(p, "_proc") or p
  local term, screen = rawget(owner, "_term"), rawget(owner, "_screen")
  local h = "the output holds terminal escape sequences (\\x1b...), which a pattern must match too"
  if screen then
    return h .. ": p:expect_screen matches the screen's text instead"
  end
  local alt = rawget(owner, "_pty") and "with screen = true and use p:expect_screen"
  if term and term ~= "dumb" then
    return string.format('%s: the child was told its terminal is %s (TERM); spawn it with '
      .. 'term = "dumb" for plain output%s', h, term, alt and ", or " .. alt or "")
  end
  return string.format("%s (although its TERM is %s): match them (say, /\\x1b\\[[0-9;?]*[A-Za-z]/)%s",
    h, term or "unset", alt and ", or spawn " .. alt or "")
end

-- A pager or full-screen program that refuses TERM=dumb (less, man:
-- "WARNING: terminal is not fully functional").
local function dumb_hint(p, text)
  local owner = rawget(p, "_proc") or p
  if rawget(owner, "_term") ~= "dumb" or not text:find("not fully functional", 1, true) then
    return nil
  end
  return 'the program finds its terminal not capable enough: its TERM is dumb (ptyscript\'s '
    .. 'default); spawn a full-screen program with screen = true (or term = "xterm-256color")'
end

-- Why a pattern missed output that looks like what it wants: the
-- classic mistakes (a Lua pattern class for PCRE2, a prompt's "$" or "?"
-- taken as regex syntax, the case, "\n" for the terminal's "\r\n"),
-- tried against the output the message shows (its last 200 bytes,
-- secrets redacted), so each is cheap and about what the reader sees.
-- One "\n  hint: ..." line per pattern it explains, among those the
-- message names; then one if the output holds escape sequences.
local HINT_BYTES = 200
local function hints(p, list, text)
  local out = {}
  local crlf_out = text:find("\r\n", 1, true)
  local lower = text:lower()
  for i = 1, math.min(#list, SHOWN) do   -- (the patterns the message names)
    local pat = list[i]
    local src, h = pat.source, lua_class_hint(p, pat, text)
    if not h and src and src ~= "" and text ~= "" then
      local crlf = crlf_out and src:find("\n", 1, true) and not src:find("\r", 1, true)
        and (src:gsub("\n", "\r\n"))
      if pat.kind == "re" then
        local flags = pat.flags or ""
        local function matches(source, f)
          local ok, re = pcall(compile, source, f)
          return ok and re:test(text)
        end
        if not flags:find("x", 1, true) and text:find(src, 1, true) then
          h = string.format('%s is a regular expression, and the output has "%s" as text: '
            .. 'use expect_exact or pty.exact for text', shown(p, pat), show_pattern(redact(src)))
        elseif crlf and matches(crlf, flags) then
          h = 'a terminal ends each line with "\\r\\n": write "\\r\\n" (or "\\r?\\n") where the pattern has "\\n"'
        elseif not flags:find("i", 1, true)
            and matches("(?<![[:alnum:]])(?:" .. src .. ")", flags .. "i") then
          h = string.format('%s matches if case is ignored (add flag "i" with pty.re)', shown(p, pat))
        end
      elseif pat.kind == "exact" then
        if crlf and text:find(crlf, 1, true) then
          h = 'a terminal ends each line with "\\r\\n": write "\\r\\n" where the text has "\\n"'
        else
          local at = lower:find(src:lower(), 1, true)
          if at and not (at > 1 and text:sub(at - 1, at - 1):find("%w")) then
            h = string.format('%s is in the output with other case (a regex with flag "i" ignores case)',
              shown(p, pat))
          end
        end
      end
    end
    if h then out[#out + 1] = "\n  hint: " .. h end
  end
  local h = escape_hint(p, text) or dumb_hint(p, text)
  if h then out[#out + 1] = "\n  hint: " .. h end
  return table.concat(out)
end

-- Raise the error object for an unlisted timeout or EOF.
local function fail(kind, p, list, timeout, before)
  local head = M.failure_head(kind, p, describe(p, list), timeout)
  local e = setmetatable({
    kind = kind, process = p, patterns = list, timeout = timeout, before = before,
  }, Err)
  e.message = where() .. head .. "\n  last output: \"" .. last_output(redact(before)) .. "\""
    .. hints(p, list, redact(before:sub(-HINT_BYTES)))
  if config._trace then diag.stderr("[ptyscript] " .. head .. "\n") end
  error(e, 0)
end

-- The timeout a call uses (check.timeout); the last valid one is kept,
-- so that a loop passing the same timeout again and again is not
-- checked again and again.
local last_valid = 10
function M.timeout_for(p, timeout, what)
  local t = timeout
  if t == nil then t = p.timeout end
  if t == nil then t = config.timeout end
  if t == last_valid then return t end
  timeout = check.timeout(p, timeout, what)
  last_valid = timeout
  return timeout
end

local function deadline_of(timeout)
  if timeout == math.huge then return nil end
  return core.now() + timeout
end

local trace = diag.trace

-- PCRE2 gave up (its match limit, say): say where, what and on whom.
local function match_failed(p, pat, msg, what)
  raise(string.format("%s: matching %s against the output of %s failed: %s", what,
    shown(p, pat), p:_describe_state(), msg))
end

-- What core.wait does without `out`, in Lua: for the fast wait off
-- (PTYSCRIPT_FAST_WAIT=0), the same search the same loop takes.  pats is
-- one regex or literal (from its offset) or a list of them, false for
-- EOF and TIMEOUT (from a list of offsets).  A caught signal comes first.
local function lua_search(c, pats, from)
  if signalled() then return false, from, false, 0 end
  local t = type(pats)
  if t == "string" then return c:match_exact(pats, from, true) end
  if t ~= "table" then
    local s, e, m = c:match(pats, from, true)
    if s == nil then return nil, e, 1 end
    return s, e, m
  end
  local bi, bs, be, bm, eof
  for i = 1, #pats do
    local pat, s, e, m = pats[i], nil, nil, nil
    if type(pat) == "string" then
      s, e, m = c:match_exact(pat, from[i])
    elseif pat then
      s, e, m = c:match(pat, from[i])
      if s == nil then return nil, e, i end
    end
    if s then
      if not bs or s < bs then bi, bs, be, bm = i, s, e, m end
    elseif e then
      from[i], eof = e, m
    end
  end
  if bi then
    bm.before = c:take(be, be - bs)
    bm.index = bi
    return bs, be, bm
  end
  if eof == nil then eof = select(3, c:state()) end
  return false, from, eof
end

local search = core.FAST_WAIT and core.wait or lua_search

-- The one expect loop, for one pattern and for a list: search (in C:
-- core.wait), and until a match, EOF or the deadline, wait for more
-- output and search again.  pats and from as lua_search takes them;
-- list: the Patterns, for results and messages, with the first EOF and
-- TIMEOUT in it at eof_i, timeout_i (nil: one pattern, pat, or for a
-- bare literal made on demand).
-- The wait stays in C where it can (sched.slot: `out`): the command's
-- lone task waits inside core.wait, a task among others parks its wait
-- there; anything else waits through the scheduler (sched.wait_for).
local function expect_loop(p, pats, from, pat, list, timeout, what, eof_i, timeout_i)
  if timeout ~= last_valid then timeout = M.timeout_for(p, timeout, what) end
  local deadline = timeout ~= HUGE and now() + timeout or nil   -- (deadline_of, inline: hot)
  local c = p._c
  local timed_out = false
  local out, timer, left = slot(deadline, timeout)
  while true do
    local s, e, m, n = search(c, pats, from, timer, left, out)
    if s then   -- matched, with m.before and m.index set, and consumed
      if config._trace then
        if list then
          trace("%s: %s matched \"%s\" (pattern %d, %s)", p.name, shown(p, list[m.index]),
            escape(redact(m[0])), m.index, describe(p, list))
        else
          trace("%s: %s matched \"%s\"", p.name, shown(p, pat or M.exact(pats)),
            escape(redact(m[0])))
        end
      end
      return m
    end
    if s == nil then match_failed(p, list and list[m] or pat or M.exact(pats), e, what) end
    from = e
    -- n: nil, no wait in C (the scheduler waits, below); -1 or -2, a
    -- parked wait came back, -2 at its deadline; >= 0, the lone task's
    -- wait came back with n objects that fired besides its output: they
    -- go to their waiters (callbacks, taps, exits) and a caught signal
    -- to the scheduler, before anything else here.
    local expired = n == -2 or (n ~= nil and (n > 0 or n == 0 and signalled())
      and sched.wait_fired(n, deadline))
    if m then   -- EOF seen
      local i = eof_i
      if i then
        trace("%s: EOF (pattern %d)", p.name, i)
        return { before = c:take(ALL), index = i }
      end
      fail("eof", p, list or { pat or M.exact(pats) }, timeout, c:peek())
    end
    if timed_out then
      local i = timeout_i
      if i then
        trace("%s: TIMEOUT after %s (pattern %d)", p.name, fmt_seconds(timeout), i)
        return { before = c:peek(), index = i }
      end
      fail("timeout", p, list or { pat or M.exact(pats) }, timeout, c:peek())
    end
    if expired then
      timed_out, out = true, nil   -- (one last search, not a wait)
    elseif n ~= nil and n ~= 0 then
      out, timer, left = slot(deadline)
    else   -- (no wait in C, or n == 0: nothing left to wait for, p closed, a signal)
      -- (after the deadline, one more search for what arrived with it)
      if sched.wait_for(c, DATA, deadline) == "timeout" then timed_out = true end
      if n then out, timer, left = slot(deadline) end   -- (the lone task, again)
    end
  end
end

-- p:expect_exact(text [, timeout]) for one string.
function M.expect_literal(p, text, timeout)
  return expect_loop(p, text, 0, nil, nil, timeout, "expect_exact")
end

-- expect_exact(text or {texts...} [, timeout]) on p, a process or a
-- stream.
function M.expect_exact(p, text, timeout)
  if type(text) == "string" then return M.expect_literal(p, text, timeout) end
  local list = text   -- (a Pattern, or what expect's own checks refuse)
  if type(text) == "table" and getmetatable(text) == nil then
    M.check_list(text, "expect_exact")
    list = {}
    for i, s in ipairs(text) do list[i] = type(s) == "string" and M.exact(s) or s end
  end
  return M.expect(p, list, timeout, "expect_exact")
end

-- p:expect(patterns [, timeout]) -> m.  The heart of the library.
function M.expect(p, arg, timeout, what)
  what = what or "expect"
  if type(arg) == "string" then
    local pat = patterns[arg] or to_pattern(arg, what)
    return expect_loop(p, pat._re, 0, pat, nil, timeout, what)
  elseif getmetatable(arg) == Pattern and (arg._re or arg._lit) then
    return expect_loop(p, arg._re or arg._lit, 0, arg, nil, timeout, what)
  end
  local list = M.patterns(arg, what)
  local pats, from, eof_i, timeout_i = {}, {}, nil, nil
  for i = 1, #list do
    local pt = list[i]
    pats[i], from[i] = pt._re or pt._lit or false, 0
    if pt.kind == "EOF" and not eof_i then eof_i = i end
    if pt.kind == "TIMEOUT" and not timeout_i then timeout_i = i end
  end
  return expect_loop(p, pats, from, nil, list, timeout, what, eof_i, timeout_i)
end

-- p:read([timeout]) -> what has arrived (at least one byte), or
-- nil, "eof" | nil, "timeout".
function M.read(p, timeout)
  timeout = M.timeout_for(p, timeout, "read")
  local deadline = deadline_of(timeout)
  local c = p._c
  while true do
    local base, len, eof = c:state()
    if len > 0 then return c:take(base + len) end
    if eof then return nil, "eof" end
    if sched.wait_for(c, DATA, deadline) == "timeout" then
      base, len = c:state()
      if len > 0 then return c:take(base + len) end
      return nil, "timeout"
    end
  end
end

-- p:readline([timeout]) -> one line without \r\n; a last line without a
-- newline at EOF; then nil, "eof".  nil, "timeout" leaves the partial line.
function M.readline(p, timeout)
  timeout = M.timeout_for(p, timeout, "readline")
  local deadline = deadline_of(timeout)
  local c = p._c
  local from = c:state()
  local timed_out = false
  while true do
    local at, nxt = c:find("\n", from)
    if at then
      local line = c:take(at + 1, 1)
      if line:sub(-1) == "\r" then line = line:sub(1, -2) end
      return line
    end
    from = nxt
    local base, len, eof = c:state()
    if eof then
      if len > 0 then
        local line = c:take(base + len)
        if line:sub(-1) == "\r" then line = line:sub(1, -2) end
        return line
      end
      return nil, "eof"
    end
    if timed_out then return nil, "timeout" end
    if sched.wait_for(c, DATA, deadline) == "timeout" then timed_out = true end
  end
end

return M
