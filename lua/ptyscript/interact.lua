-- ptyscript.interact: p:interact, the user's terminal connected to the
-- child - keys in, output out, the window size kept in step - until the
-- escape key or either side's end, with what is typed at a password
-- prompt kept out of every transcript.
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local sched = require "ptyscript.sched"
local secrets = require "ptyscript.secrets"
local diag = require "ptyscript.diag"
local check = require "ptyscript.check"
local send = require "ptyscript.send"
local screen = require "ptyscript.screen"

local M = {}
local raise, got = diag.raise, diag.got

-- p:interact([{escape = "\29", input = fn, output = fn}]) -> why
-- Connect the user's terminal to the child: standard input goes to the
-- child, the child's output to standard output, until the escape
-- character is typed (default Ctrl-], false for none; returns "escape"),
-- the child's output ends ("eof") or standard input does ("stdin eof").
-- A terminal on standard input is put in raw mode and restored on every
-- way out; its window size is copied to the child at the start and on
-- every SIGWINCH.  input(data) and output(data) may rewrite what
-- passes (return the bytes to pass on, or nil to drop them).
function M.interact(self, opts)
  check.open(self, "interact")
  if opts ~= nil and type(opts) ~= "table" then
    raise("interact: options must be a table such as {escape = \"\\29\"}")
  end
  opts = opts or {}
  check.options(opts, { escape = "escape", input = "function", output = "function" }, "interact")
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
      local lim = screen.LIMITS
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
      return send.raw(self, data, false, "on")
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
      if line ~= "" then secrets.add(line) end
      hidden, at = "", e + 1
    end
    return send.raw(self, data, true, "off")
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
          check.open(self, "interact")
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

return M
