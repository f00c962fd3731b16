-- ptyscript.screen: a terminal screen kept in sync with a process, and
-- waiting on it.
--
-- The emulator is C (src/vt*.c on libvterm, bound in src/l_screen.c): the
-- process feeds it every byte as it reads it, whether or not anybody
-- waits, and it answers the child's terminal queries.  Here: the Screen
-- methods that need no C (find with any pattern, pictures), the waits
-- (expect_screen, wait_stable, through sched.wait_for on the process's
-- DATA events), and the error objects of a timeout, which show the
-- screen in a frame.  --record's picture of the final screen is made
-- through the hooks ptyscript.output offers (on_record, at_close).
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local config = require "ptyscript.config"
local sched = require "ptyscript.sched"
local names = require "ptyscript.names"
local diag = require "ptyscript.diag"
local check = require "ptyscript.check"
local expect = require "ptyscript.expect"
local output = require "ptyscript.output"

local M = {}
local Screen = core.Screen   -- the C methods table: extended here
M.Screen = Screen

local SETTLE = 0.05          -- quiet time before the screen is looked at
local MAX_UNSETTLED = 0.5    -- ...but look at least this often during a redraw
M.DEFAULT_TERM = "xterm-256color"

local raise = diag.raise

local function check_screen(s, what)
  if getmetatable(s) ~= getmetatable(M._probe) then
    raise(string.format("%s: expected a screen (use s:%s(...), not s.%s(...))", what, what, what))
  end
end

local function check_index(v, what, name, hi)
  if math.type(v) ~= "integer" and not (type(v) == "number" and math.tointeger(v)) then
    raise(string.format("%s: %s must be an integer, got %s", what, name, diag.got(v)))
  end
  v = math.tointeger(v)
  if v < 1 or v > hi then
    raise(string.format("%s: %s %d out of range 1..%d", what, name, v, hi))
  end
  return v
end

local c_row, c_cell = Screen.row, Screen.cell

-- s:row(n) -> the text of row n (1-based), trailing blanks trimmed
function Screen:row(n)
  check_screen(self, "row")
  local rows = self:size()
  return c_row(self, check_index(n, "row", "row", rows))
end

-- s:cell(row, col) -> char, attrs (see l_screen.c)
function Screen:cell(r, c)
  check_screen(self, "cell")
  local rows, cols = self:size()
  return c_cell(self, check_index(r, "cell", "row", rows), check_index(c, "cell", "column", cols))
end

-- A Pattern (expect.lua) from a string (PCRE2), pty.re() or pty.exact().
-- A string is multiline: ^ and $ match at the start and end of each row.
local multiline, nmultiline = {}, 0
local function to_pattern(pat, what)
  if type(pat) == "string" then
    local p = multiline[pat]
    if p then return p end
    local ok, r = pcall(expect.re, pat, "m")
    if not ok then raise(what .. ": " .. tostring(r):gsub("^.-re: ", "", 1)) end
    if nmultiline >= 500 then multiline, nmultiline = {}, 0 end
    multiline[pat], nmultiline = r, nmultiline + 1
    return r
  end
  if getmetatable(pat) == getmetatable(expect.EOF) then
    local list = expect.patterns(pat, what)
    local p = list[1]
    if not (p._re or p._lit) then
      raise(what .. ": pty.EOF and pty.TIMEOUT are not screen patterns")
    end
    return p
  end
  return nil
end

-- s:find(pattern) -> row, col, text of the first match on the screen's
-- text (rows trimmed, joined by "\n"), or nil.
function Screen:find(pat)
  check_screen(self, "find")
  local p = to_pattern(pat, "find")
  if not p then
    raise("find: expected a pattern (a string regex, pty.re() or pty.exact()), got " .. type(pat))
  end
  local r, c, text = self:_find(p._re or p._lit)
  if r then return r, c, text end
  return nil
end

-- s:contains(text) -> whether the literal text is on the screen
function Screen:contains(text)
  check_screen(self, "contains")
  if type(text) ~= "string" then raise("contains: expected a string, got " .. type(text)) end
  return self:_find(text) ~= nil
end

-- The screen as a framed block of text, for messages.  Pictures and
-- frames show the script's secrets as *** (redact(text), by default
-- diag.redact); the screen's text itself (s:text(), s:row()) is raw.
function Screen:framed(indent, redact)
  indent = indent or ""
  redact = redact or diag.redact
  local rows, cols = self:size()
  local r, c, visible = self:cursor()
  local title = self:title()
  if redact then title = redact(title) end
  local head = string.format("%sscreen %dx%d, cursor at row %d, col %d%s%s%s", indent, rows, cols,
    r, c, visible and "" or " (hidden)", self:alt() and ", alternate screen" or "",
    title ~= "" and string.format(", title %q", title) or "")
  local bar = indent .. "+" .. string.rep("-", cols) .. "+"
  local out = { head, bar }
  for i = 1, rows do
    local line = c_row(self, i)
    local shown = redact and redact(line) or line
    local w
    if shown == line then
      -- columns the text takes: wide characters take two, combining none
      w = 0
      for col = 1, cols do
        local ch, a = c_cell(self, i, col)
        if a.width ~= 0 and ch ~= "" and ch ~= " " then w = col + a.width - 1 end
      end
    else
      w = utf8.len(shown) or #shown
    end
    line = shown
    out[#out + 1] = indent .. "|" .. line .. string.rep(" ", math.max(0, cols - w)) .. "|"
  end
  out[#out + 1] = bar
  return table.concat(out, "\n")
end

---------------------------------------------------------------- pictures

-- s with every byte that is not part of valid UTF-8 as U+FFFD.
local function valid_utf8(s)
  if utf8.len(s) then return s end
  local out, i = {}, 1
  while i <= #s do
    local ok, bad = utf8.len(s, i)
    if ok then
      out[#out + 1] = s:sub(i)
      break
    end
    out[#out + 1] = s:sub(i, bad - 1)
    out[#out + 1] = "\u{FFFD}"
    i = bad + 1
  end
  return table.concat(out)
end

local function xml_escape(s)
  s = valid_utf8(s)   -- a title holds whatever bytes the program sent
  s = s:gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
    ['"'] = "&quot;", ["'"] = "&#39;" })
  -- code points XML 1.0 does not allow: U+FFFD
  s = s:gsub("[%z\1-\8\11\12\14-\31]", "\u{FFFD}")
  s = s:gsub("\239\191[\190\191]", "\u{FFFD}")   -- U+FFFE, U+FFFF
  return s
end

-- Runs of cells with the same look, per row: {col, text, ncells, fg, bg, a}.
-- redact (optional) rewrites each run's text (secrets as ***).
local function runs(s, redact)
  local rows, cols = s:size()
  local cr, cc, cvis = s:cursor()
  local out = {}
  local dfg, dbg
  for r = 1, rows do
    local list, cur = {}, nil
    for c = 1, cols do
      local ch, a = c_cell(s, r, c)
      if a.width ~= 0 then
        if a.fg == nil and not dfg then dfg = a.fg_rgb end
        if a.bg == nil and not dbg then dbg = a.bg_rgb end
        local fg, bg = a.fg_rgb, a.bg_rgb
        if a.reverse then fg, bg = bg, fg end
        local key = table.concat({ fg, bg, tostring(a.bold), tostring(a.italic),
          tostring(a.underline), tostring(a.strike), tostring(a.bg ~= nil or a.reverse) }, "/")
        if a.width == 2 or not cur or cur.key ~= key or cur.wide then
          cur = { col = c, text = {}, ncells = 0, fg = fg, bg = bg, a = a, key = key,
            wide = a.width == 2, paint = a.bg ~= nil or a.reverse }
          list[#list + 1] = cur
        end
        cur.text[#cur.text + 1] = ch
        cur.ncells = cur.ncells + a.width
      end
    end
    if redact then
      -- A secret can span runs (a colour change, every wide character is
      -- a run of its own): look at the whole row, and a row that shows one
      -- becomes a single run of its redacted text.
      local parts = {}
      for i, run in ipairs(list) do parts[i] = table.concat(run.text) end
      local text = table.concat(parts)
      local red = redact(text)
      if red ~= text and #list > 0 then
        local first = list[1]
        first.text, first.wide, first.ncells = {}, false, 0
        for ch in red:gmatch(utf8.charpattern) do
          first.text[#first.text + 1] = ch
          first.ncells = first.ncells + 1
        end
        list = { first }
      end
    end
    out[r] = list
  end
  return out, rows, cols, { row = cr, col = cc, visible = cvis },
    dfg or "#f0f0f0", dbg or "#000000"
end

local CW, CH, FS = 8.4, 17, 14   -- cell width, height, font size (px)

-- s:svg() -> an SVG picture of the screen (colours, attributes, cursor)
function Screen:svg(redact)
  check_screen(self, "svg")
  redact = redact or diag.redact
  local rs, rows, cols, cursor, dfg, dbg = runs(self, redact)
  local W, H = cols * CW, rows * CH
  local o = {}
  o[#o + 1] = string.format('<?xml version="1.0" encoding="UTF-8"?>\n'
    .. '<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" '
    .. 'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="%d">\n',
    W, H, W, H, FS)
  local title = self:title()
  if redact then title = redact(title) end
  if title ~= "" then o[#o + 1] = "<title>" .. xml_escape(title) .. "</title>\n" end
  o[#o + 1] = string.format('<rect width="100%%" height="100%%" fill="%s"/>\n', dbg)
  for r = 1, rows do
    for _, run in ipairs(rs[r]) do
      if run.paint then
        o[#o + 1] = string.format('<rect x="%g" y="%g" width="%g" height="%g" fill="%s"/>\n',
          (run.col - 1) * CW, (r - 1) * CH, run.ncells * CW, CH, run.bg)
      end
    end
  end
  if cursor.visible then
    o[#o + 1] = string.format('<rect class="cursor" x="%g" y="%g" width="%g" height="%g" '
      .. 'fill="%s" fill-opacity="0.6"/>\n', (cursor.col - 1) * CW, (cursor.row - 1) * CH, CW, CH, dfg)
  end
  o[#o + 1] = '<g xml:space="preserve">\n'
  for r = 1, rows do
    for _, run in ipairs(rs[r]) do
      local text = table.concat(run.text)
      local ncells = run.ncells
      if not run.paint then   -- trailing blanks need no glyphs
        local trimmed = text:gsub(" +$", "")
        ncells, text = ncells - (#text - #trimmed), trimmed
      end
      if text:find("[^ ]") then
        local a = run.a
        local attrs = { string.format('x="%g" y="%g"', (run.col - 1) * CW, (r - 1) * CH + FS - 1) }
        if run.fg ~= dfg then attrs[#attrs + 1] = string.format('fill="%s"', run.fg)
        else attrs[#attrs + 1] = string.format('fill="%s"', dfg) end
        if a.bold then attrs[#attrs + 1] = 'font-weight="bold"' end
        if a.italic then attrs[#attrs + 1] = 'font-style="italic"' end
        local deco = {}
        if a.underline then deco[#deco + 1] = "underline" end
        if a.strike then deco[#deco + 1] = "line-through" end
        if #deco > 0 then attrs[#attrs + 1] = 'text-decoration="' .. table.concat(deco, " ") .. '"' end
        attrs[#attrs + 1] = string.format('textLength="%g" lengthAdjust="spacingAndGlyphs"',
          ncells * CW)
        o[#o + 1] = "<text " .. table.concat(attrs, " ") .. ">" .. xml_escape(text) .. "</text>\n"
      end
    end
  end
  o[#o + 1] = "</g>\n</svg>\n"
  return table.concat(o)
end

-- s:html() -> an HTML page showing the screen in a <pre>
function Screen:html(redact)
  check_screen(self, "html")
  redact = redact or diag.redact
  local rs, rows, _, cursor, dfg, dbg = runs(self, redact)
  local title = self:title()
  if redact then title = redact(title) end
  local o = { string.format('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>%s</title>'
    .. '</head>\n<body style="margin:0;background:%s">\n<pre class="screen" style="margin:0;'
    .. 'padding:4px;color:%s;background:%s;font:14px/17px \'DejaVu Sans Mono\',Menlo,Consolas,'
    .. 'monospace">', xml_escape(title ~= "" and title or "ptyscript screen"),
    dbg, dfg, dbg) }
  for r = 1, rows do
    for _, run in ipairs(rs[r]) do
      local a = run.a
      local style = {}
      if run.fg ~= dfg then style[#style + 1] = "color:" .. run.fg end
      if run.paint then style[#style + 1] = "background:" .. run.bg end
      if a.bold then style[#style + 1] = "font-weight:bold" end
      if a.italic then style[#style + 1] = "font-style:italic" end
      local deco = {}
      if a.underline then deco[#deco + 1] = "underline" end
      if a.strike then deco[#deco + 1] = "line-through" end
      if #deco > 0 then style[#style + 1] = "text-decoration:" .. table.concat(deco, " ") end
      -- the cursor: its cell in reverse video
      local pieces = { { run.col, run.text } }
      if cursor.visible and cursor.row == r and cursor.col >= run.col
        and cursor.col < run.col + run.ncells and not run.wide then
        local k = cursor.col - run.col + 1
        pieces = { { run.col, { table.unpack(run.text, 1, k - 1) } },
          { cursor.col, { run.text[k] }, true },
          { cursor.col + 1, { table.unpack(run.text, k + 1) } } }
      end
      for _, pc in ipairs(pieces) do
        local text = table.concat(pc[2])
        if text ~= "" then
          local st = table.concat(style, ";")
          if pc[3] then
            st = string.format("color:%s;background:%s", run.paint and run.bg or dbg, run.fg)
            o[#o + 1] = '<span class="cursor" style="' .. st .. '">' .. xml_escape(text) .. "</span>"
          elseif st ~= "" then
            o[#o + 1] = '<span style="' .. st .. '">' .. xml_escape(text) .. "</span>"
          else
            o[#o + 1] = xml_escape(text)
          end
        end
      end
    end
    if r < rows then o[#o + 1] = "\n" end
  end
  o[#o + 1] = "</pre>\n</body></html>\n"
  return table.concat(o)
end

-- s:snapshot(path [, format]) -> path: the screen as a picture, SVG or
-- HTML (from the format, else the file's extension); the file is created
-- 0600 and never written through a symbolic link.
function Screen:snapshot(path, format, redact)
  check_screen(self, "snapshot")
  if type(path) ~= "string" then raise("snapshot: expected a file name, got " .. type(path)) end
  if path:find("%z") then raise("snapshot: the file name contains a NUL byte") end
  format = format or path:match("%.(%w+)$")
  format = format and format:lower()
  if format == "htm" then format = "html" end
  if format ~= "svg" and format ~= "html" then
    raise(string.format("snapshot: unknown format %s (use a .svg or .html file name)", tostring(format)))
  end
  local data = format == "svg" and self:svg(redact) or self:html(redact)
  local f, err = core.open_file(path, "w")
  if not f then raise("snapshot: " .. err) end
  local ok
  ok, err = core.write(f, data)
  f:close()
  if not ok then raise(string.format("snapshot: %s: write failed: %s", path, err)) end
  return path
end

---------------------------------------------------------------- processes

M._probe = core.screen(1, 1)   -- for the metatable check
getmetatable(M._probe).__tostring = function(s) return s:framed() end   -- print(p:screen())
names.kind(getmetatable(M._probe), "screen", Screen,
  function(s) return string.format("(%dx%d)", s:size()) end)

-- pty.screen(rows, cols): a screen of its own, fed with s:feed(bytes)
-- (recorded output, say); s:feed returns what the terminal would answer.
function M.new(rows, cols)
  local what = "screen"
  for _, v in ipairs{ { rows, "rows" }, { cols, "cols" } } do
    if type(v[1]) ~= "number" or math.tointeger(v[1]) == nil or v[1] < 1 or v[1] > 1000 then
      raise(string.format("%s: %s must be an integer from 1 to 1000, got %s", what, v[2], diag.got(v[1])))
    end
  end
  return core.screen(math.tointeger(rows), math.tointeger(cols))
end

-- The emulator's limits (l_screen.c): the window of a process with a
-- screen stays within them (spawn, setwinsize, p:screen, interact).
M.LIMITS = { rows = 1000, min_cols = 2, cols = 1000 }
local LIMITS = M.LIMITS

local function fits(rows, cols)
  return rows <= LIMITS.rows and cols >= LIMITS.min_cols and cols <= LIMITS.cols
end

-- spawn{..., screen = true}: TERM defaults to xterm-256color (what the
-- emulator understands) unless the term option or env.TERM says otherwise.
function M.spawn_opts(opts, what)
  if opts.screen ~= nil and type(opts.screen) ~= "boolean" then
    raise(string.format("%s: screen must be true or false, got %s", what, diag.got(opts.screen)))
  end
  -- the emulator's limits, checked before the child starts
  if opts.screen and not fits(opts.rows or 24, opts.cols or 80) then
    raise(string.format("%s: with screen = true, rows must be 1 to %d and cols %d to %d "
      .. "(got %sx%s)", what, LIMITS.rows, LIMITS.min_cols, LIMITS.cols,
      tostring(opts.rows or 24), tostring(opts.cols or 80)))
  end
  if not opts.screen or opts.term ~= nil or (opts.env and opts.env.TERM ~= nil) then return opts end
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.term = M.DEFAULT_TERM
  return o
end

-- p:screen() -> the process's screen; turned on (from the next byte
-- read) if it was off.
local function screen_of(p)
  local s = p._screen
  if s then return s end
  if p._closed then raise(string.format("screen: %s was closed", p:_describe_state())) end
  if p._pty == false then
    raise(string.format("screen: %s runs with pipes (pty = false): it has no terminal to emulate",
      p:_describe_state()))
  end
  local rows, cols = p._c:getwinsize()
  rows, cols = rows or p._rows or 24, cols or p._cols or 80
  if not fits(rows, cols) then
    raise(string.format("screen: the terminal of %s is %dx%d; a screen needs rows 1 to %d and "
      .. "cols %d to %d (setwinsize first)", p:_describe_state(), rows, cols, LIMITS.rows,
      LIMITS.min_cols, LIMITS.cols))
  end
  s = core.screen(rows, cols)
  local ok, err = core.screen_attach(p._c, s, config._trace and string.format(
    "[ptyscript] screen of %s: the program does not read the answers to its terminal "
    .. "queries (64 KiB queued): dropping further answers", p.name) or nil)
  if not ok then raise(string.format("screen: %s: %s", p:_describe_state(), err)) end
  p._screen = s
  return s
end
M.attach = screen_of

local function describe(p, what)
  if type(what) == "function" then return "a condition (function)" end
  if type(what) == "string" then return diag.redact(what) end   -- shown as given
  return expect.shown(p, what)
end

-- Raise the framed-screen error object for a timeout or EOF; pat: the
-- pattern waited for, for hints about it.
local function fail(kind, p, s, what, timeout, head, pat)
  local Err = diag.Error
  local msg = expect.failure_head(kind, p, head or describe(p, what), timeout, "on the screen of")
  local text = s:text()
  local e = setmetatable({
    kind = kind, process = p, patterns = { what }, timeout = timeout,
    before = p._c:peek(), screen = text,
  }, Err)
  e.message = diag.where() .. msg .. "\n" .. s:framed("  ")
    .. (pat and expect.pattern_hints(p, { pat }) or "")
  error(e, 0)
end
M.fail = fail

-- Check what: a pattern, or a function of the screen.
local function condition(what, fname)
  if type(what) == "function" then
    return function(s)
      local r = table.pack(what(s))
      if r[1] then return r end
    end
  end
  local pat = to_pattern(what, fname)
  if not pat then
    raise(string.format("%s: expected a pattern (a string regex, pty.re(), pty.exact()) "
      .. "or a function of the screen, got %s", fname, type(what)))
  end
  local arg = pat._re or pat._lit
  return function(s)
    local r, c, text = s:_find(arg)
    if r then return table.pack(r, c, text) end
  end, pat
end

-- Look at the screen each time it has settled - the child has drawn
-- nothing for SETTLE seconds, or MAX_UNSETTLED seconds have passed while
-- it keeps drawing, or its output has ended, or the deadline has come -
-- until test(s) returns a true value.  Returns that value, or nil and
-- "eof" | "timeout".  (expect_screen and the busted assertions.)
function M.await(p, s, test, timeout)
  local c = p._c
  local now = core.now
  local deadline = timeout ~= math.huge and now() + timeout or nil
  local seen, last_look = -1, -math.huge
  while true do
    local changes, idle = s:changes(), s:idle()
    local _, _, eof = c:state()
    local t = now()
    if changes ~= seen and (idle >= SETTLE or eof or t - last_look >= MAX_UNSETTLED
        or timeout == 0 or (deadline and t >= deadline)) then
      seen, last_look = changes, t
      local r = test(s)
      if r then return r end
    end
    if changes == seen then
      if eof then return nil, "eof" end
      if timeout == 0 or (deadline and t >= deadline) then return nil, "timeout" end
    end
    local wake = deadline
    if changes ~= seen then
      -- settled, or time for a look during a redraw, whichever comes first
      local w = t + math.max(math.min(SETTLE - idle, MAX_UNSETTLED - (t - last_look)), 0.002)
      if not wake or w < wake then wake = w end
    end
    sched.wait_for(c, core.DATA, wake)
  end
end

-- p:expect_screen(pattern or function [, timeout]) -> row, col, text of
-- the match (or the function's results), on a settled screen (M.await);
-- a timeout, or the end of the output with no match, raises an error
-- object that shows the screen.
function M.expect_screen(p, what, timeout, fname)
  fname = fname or "expect_screen"
  local test, pat = condition(what, fname)
  if type(what) == "string" then
    what = expect.shown(p, pat):gsub("m$", "")   -- shown as given: /text/
  elseif pat then
    what = pat
  end
  timeout = check.timeout(p, timeout, fname)
  local s = screen_of(p)
  local r, kind = M.await(p, s, test, timeout)
  if not r then fail(kind, p, s, what, timeout, nil, pat) end
  diag.trace("%s: %s on the screen", p.name, describe(p, what))
  return table.unpack(r, 1, r.n)
end

-- p:wait_stable(seconds [, timeout]) -> the screen, once nothing has
-- been drawn for `seconds` (counted from the later of the last change
-- and this call), or at the end of the output.
function M.wait_stable(p, quiet, timeout)
  if type(quiet) ~= "number" or quiet ~= quiet or quiet < 0 or quiet == math.huge then
    raise("wait_stable: expected a number of seconds >= 0, got " .. diag.got(quiet))
  end
  timeout = check.timeout(p, timeout, "wait_stable")
  local s = screen_of(p)
  local c = p._c
  local now = core.now
  local start = now()
  local deadline = timeout ~= math.huge and start + timeout or nil
  local what = string.format("the screen to be still for %gs", quiet)
  while true do
    local t = now()
    local idle = math.min(s:idle(), t - start)
    local _, _, eof = c:state()
    if idle >= quiet or eof then return s end
    if deadline and t >= deadline then fail("timeout", p, s, what, timeout, what) end
    local wake = t + (quiet - idle)
    if deadline and deadline < wake then wake = deadline end
    sched.wait_for(c, core.DATA, wake)
  end
end

-- --record FILE.cast also keeps the final screen of every session as a
-- picture beside it: FILE.svg (FILE.2.svg, ... for the sessions after
-- the first, as the recordings are numbered), written when the process
-- is closed, or at the end of the script.
local pictures = {}    -- screen -> {path, process}, until written

local function picture(s)
  local pic = pictures[s]
  if not pic then return end
  pictures[s] = nil
  local data = s:svg()
  local f, err = core.open_file(pic.path, "w")
  if not f then return output.report("--record: " .. err) end
  local sink = output.file_sink(f, "--record " .. pic.path, true)
  sink.write(data)
  sink.close()
end

-- The end of the script (the command calls it once every child is hung
-- up).
function M.finish()
  for s in pairs(pictures) do picture(s) end
end

-- --record: the final screen of the session as a picture beside the
-- recording, once close has read what the child left (or at the end of
-- the script).  (A terminal bigger than a screen can be gets no picture:
-- --record must not make a script fail that runs without it.)
output.on_record(function(p, path, n)
  if p._pty == false or not (p._screen or fits(p._rows, p._cols)) then return end
  local base = path:gsub("%.cast$", "")   -- FILE.N.cast, FILE.N.svg
  local s = screen_of(p)
  pictures[s] = { process = p,
    path = n == 1 and base .. ".svg" or string.format("%s.%d.svg", base, n) }
  output.at_close(p, function() picture(s) end)
end)

return M
