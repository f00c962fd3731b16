-- ptyscript.send: what the script sends to a process - queued, traced
-- (secrets as ***), shown to its transcripts, waited on while too much is
-- queued - and typing one key at a time (send's delay and human).
local _ENV = require "ptyscript.std"
local core = require "ptyscript.core"
local config = require "ptyscript.config"
local sched = require "ptyscript.sched"
local secrets = require "ptyscript.secrets"
local diag = require "ptyscript.diag"
local check = require "ptyscript.check"
local expect = require "ptyscript.expect"

local M = {}
local raise, got = diag.raise, diag.got
local PROCESS = check.PROCESS
local HIGH_WATER = 64 * 1024   -- a send waits while more than this is queued
M.HIGH_WATER = HIGH_WATER

-- Why a send to p (or to its child fd `fd`) failed, from the C side's
-- message and errno name.
function M.failure(p, fd, err, errname, later)
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

-- Wait while more than HIGH_WATER bytes are queued on c; true then.
-- With a deadline (a core.now() value), false once it has passed with
-- that much still queued (pty.run's timeout).
function M.drain(p, c, q, fd, deadline)
  while q > HIGH_WATER do
    local timed_out = sched.wait_for(c, core.DRAIN, deadline) == "timeout"
    local err, errname
    q, err, errname = c:queued()
    if err then raise(M.failure(p, fd, err, errname, true)) end
    if timed_out and q > HIGH_WATER then return false end
  end
  return true
end

-- Trace what was sent to p and show it to p's outputs (M.raw's args).
local function show_sent(p, data, secret, typed)
  local shown = data
  if secret then
    shown = secret == true and data:gsub("[^\r\n]+", "***") or secret
  end
  if config._trace and shown ~= "" then
    diag.trace("send to %s: \"%s\"", p.name, secret == true and "***"
      or diag.escape(secret and shown or diag.redact(data)))
  end
  local outs = p._outputs
  if outs and typed ~= "off" and shown ~= "" then
    for i = 1, #outs do
      local fn = outs[i].sent
      if fn then fn(shown, typed ~= nil) end
    end
  end
end

-- Send data to p: queue it, trace it, show it to p's outputs.  secret:
-- true to show it as *** (registered by the caller), or the text to show
-- for it ("" for nothing: a key of a secret typed one at a time, after
-- the first); typed: keys the user typed during interact, "on" while the
-- child echoes, "off" while it does not (a password: no output ever sees
-- it).  deadline: how long a send under backpressure may wait (nil: no
-- limit); nil once it has passed with too much still queued.
function M.raw(p, data, secret, typed, deadline)
  local c = p._c
  local q, err, errname = c:send(data)
  if not q then raise(M.failure(p, nil, err, errname)) end
  if secret or config._trace or p._outputs then show_sent(p, data, secret, typed) end
  if q > HIGH_WATER and not M.drain(p, c, q, nil, deadline) then return nil end
  return #data
end

-- p:send(data [, {secret = true, delay = s, human = true}]) -> bytes
-- secret: data is kept out of everything ptyscript writes (traces,
-- messages, transcripts, recordings, pictures, whichever process's),
-- also where the child echoes it.
-- delay: type one character at a time, s seconds apart (Expect's send -s);
-- human: with irregular, human-like pauses (send -h).
local SEND_OPTS = { secret = "boolean", human = "boolean", delay = "delay" }
function M.send(self, data, opts)
  if type(self) ~= "table" or self._is ~= PROCESS or self._closed then check.open(self, "send") end
  if type(data) ~= "string" then
    if type(data) ~= "number" then raise("send: expected a string, got " .. type(data)) end
    data = tostring(data)
  end
  local secret
  if opts ~= nil then
    if type(opts) ~= "table" then raise("send: options must be a table such as {secret = true}") end
    check.options(opts, SEND_OPTS, "send")
    if opts.delay ~= nil or opts.human then return M.type(self, data, opts) end
    secret = opts.secret
    if secret then secrets.add(data) end
  end
  return M.raw(self, data, secret)
end

-- Type data one character (UTF-8 sequence) at a time, for send's delay
-- and human options.
function M.type(self, data, opts)
  local delay = opts.delay
  if delay ~= nil and (type(delay) ~= "number" or delay ~= delay or delay < 0 or delay > 3600) then
    raise("send: delay must be a number of seconds from 0 to 3600, got " .. got(delay))
  end
  -- the whole secret, once: never its characters one by one; traces and
  -- transcripts see *** once for each run of keys between line ends, not
  -- one per key (which would tell its length)
  local secret = opts.secret
  if secret then secrets.add(data) end
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
    check.open(self, "send")
    local shown = false
    if secret then
      if ch == "\r" or ch == "\n" then
        shown, in_run = ch, false
      else
        shown, in_run = in_run and "" or "***", true
      end
    end
    M.raw(self, ch, shown)
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
function M.sendline(self, line, opts)
  check.open(self, "sendline")
  if line == nil then line = "" end
  if type(line) == "number" then line = tostring(line) end
  if type(line) ~= "string" then raise("sendline: expected a string, got " .. type(line)) end
  local wait_echo, timeout
  if opts ~= nil then
    if type(opts) ~= "table" then
      raise("sendline: options must be a table such as {wait_echo = true}")
    end
    check.options(opts, SENDLINE_OPTS, "sendline")
    wait_echo, timeout = opts.wait_echo, opts.timeout
    if timeout ~= nil then
      if not wait_echo then raise("sendline: timeout is the wait for the echo: give wait_echo = true too") end
      check.timeout(self, timeout, "sendline")
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
function M.sendcontrol(self, ch)
  check.open(self, "sendcontrol")
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
function M.sendeof(self)
  check.open(self, "sendeof")
  if not self._pty then
    self._c:close_write()   -- already closed: nothing more to say
    return 0
  end
  return self:send(self._c:eofchar() or "\4")
end

return M
