-- ptyscript.stream: the pipes of a process besides its own output -
-- stderr with pty = false, and the "r"/"w" descriptors of fds - and the
-- process's methods that name them by child descriptor (p:stream,
-- p:write_fd, p:close_fd).  A stream reading the child has expect,
-- expect_exact, read and readline, with the same engine and guarantees
-- as the process (it is drained when the process exits); one writing to
-- it has send and sendline.  p:stream(fd) returns it.
local _ENV = require "ptyscript.std"
local config = require "ptyscript.config"
local secrets = require "ptyscript.secrets"
local names = require "ptyscript.names"
local diag = require "ptyscript.diag"
local check = require "ptyscript.check"
local expect = require "ptyscript.expect"
local send = require "ptyscript.send"
local events = require "ptyscript.events"

local M = {}
local raise, got = diag.raise, diag.got
local HIGH_WATER = send.HIGH_WATER

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
  return expect.expect_exact(self, text, timeout)
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
  check.options(opts, STREAM_SEND_OPTS, what)
  return opts.secret
end

function Stream:send(data, opts)
  check_stream(self, "send", "w")
  if type(data) == "number" then data = tostring(data) end
  if type(data) ~= "string" then raise("send: expected a string, got " .. type(data)) end
  local secret = stream_opts(opts, "send")
  if secret then secrets.add(data) end
  local c = self._c
  local q, err, errname = c:send(data)
  if not q then raise(send.failure(self._proc, self._fd, err, errname)) end
  if config._trace then
    diag.trace("send to %s fd %d: \"%s\"", self._proc.name, self._fd,
      secret and "***" or diag.escape(diag.redact(data)))
  end
  if q > HIGH_WATER then send.drain(self._proc, c, q, self._fd) end
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
    events.register(p, c, true)
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
function M.stream(self, fd)
  check.process(self, "stream")
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
function M.write_fd(self, fd, data, opts)
  check.open(self, "write_fd")
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
function M.close_fd(self, fd)
  check.process(self, "close_fd")
  local s = child_fd(self, fd, "close_fd")
  if s == nil then return self:sendeof() end
  if s == "passed" then
    raise(string.format("close_fd: fd %d of %s is the script's own file, passed as it is: "
      .. "close that file", fd, self.name))
  end
  s:close()
end

return M
