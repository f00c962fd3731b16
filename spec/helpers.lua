-- Helpers shared by the specs: running the ptyscript command, counting
-- descriptors and child processes, temporary files, and the checks of bad
-- input (the error names the caller's line, the session loses nothing).
-- Everything here talks to real programs; nothing is mocked.
local pty = require "ptyscript"

local H = {}

H.root = os.getenv("PWD") or io.popen("pwd"):read("l")
H.bin = os.getenv("PTYSCRIPT_BIN") or H.root .. "/ptyscript"   -- make check-asan: the ASan build
H.fixtures = H.root .. "/spec/fixtures"

-- Quote a string for /bin/sh.
function H.q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

function H.tmpname()
  local n = os.tmpname()
  return n
end

function H.write(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
  return path
end

function H.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- Write a script to a temp file; returns its path.
function H.script(src)
  return H.write(H.tmpname() .. ".lua", src)
end

-- Run a shell command line (no terminal), capturing stdout, stderr and
-- the exit status as the shell reports it (128+N for a signal).
-- The commands start with SIGINT and SIGQUIT at their defaults, whatever
-- this process inherited: busted run by the ptyscript command keeps them
-- ignored when it started so (a CI job started with & by a shell), and
-- system() would pass that on, where a spec sends SIGINT and wants it
-- acted on.  (coreutils env; where it lacks the option, as inherited.)
-- exec: the shell system() starts is the command's shell, so that $$ is
-- this process's child (H.children leaves it out).
local DEFAULT_SIGNALS
function H.sh(cmdline, stdin)
  if DEFAULT_SIGNALS == nil then
    DEFAULT_SIGNALS = os.execute("env --default-signal=INT,QUIT true >/dev/null 2>&1")
      and "exec env --default-signal=INT,QUIT " or "exec "
  end
  local out, err = H.tmpname(), H.tmpname()
  local inp = "/dev/null"
  if stdin then inp = H.write(H.tmpname(), stdin) end
  local ok, kind, code = os.execute(string.format("%ssh -c %s <%s >%s 2>%s", DEFAULT_SIGNALS,
    H.q(cmdline), inp, out, err))
  local r = { stdout = H.read(out), stderr = H.read(err), ok = ok, kind = kind,
    code = code }
  os.remove(out)
  os.remove(err)
  if stdin then os.remove(inp) end
  return r
end

-- Run the ptyscript command with arguments (a list, quoted for the shell).
function H.run(args, stdin, prefix)
  local parts = {}
  for i, a in ipairs(args) do parts[i] = H.q(a) end
  return H.sh((prefix or "") .. H.q(H.bin) .. " " .. table.concat(parts, " "), stdin)
end

-- Run a Lua script text with the command.
function H.run_script(src, args, prefix)
  local path = H.script(src)
  local a = { path }
  for _, v in ipairs(args or {}) do a[#a + 1] = v end
  local r = H.run(a, nil, prefix)
  r.path = path
  os.remove(path)
  return r
end

-- Open descriptors of this process, counted through system() (a popen
-- pipe would be counted, or not, depending on a race with its closing).
function H.nfds()
  local r = H.sh("ls /proc/" .. H.pid() .. "/fd")
  local n = 0
  for _ in r.stdout:gmatch("%d+") do n = n + 1 end
  return n
end

local mypid
function H.pid()
  if not mypid then
    local f = assert(io.open("/proc/self/stat"))
    mypid = tonumber(f:read("a"):match("^(%d+)"))
    f:close()
  end
  return mypid
end

-- Pids whose parent is this process, zombies included (one cat for all
-- of /proc: fast even with thousands of processes on the machine).
function H.children()
  local r = H.sh("echo $$; cat /proc/[0-9]*/stat 2>/dev/null")
  local shell = tonumber(r.stdout:match("^(%d+)"))   -- the one running this query
  local list = {}
  for line in r.stdout:gmatch("[^\n]+") do
    local pid, ppid = line:match("^(%d+) %b() %S+ (%d+)")
    if pid and tonumber(ppid) == H.pid() and tonumber(pid) ~= shell then
      list[#list + 1] = tonumber(pid)
    end
  end
  return list
end

-- A new empty directory.
function H.tmpdir()
  local d = os.tmpname()
  os.remove(d)
  assert(os.execute("mkdir " .. H.q(d)))
  return d
end

function H.exists(pid)
  return io.open("/proc/" .. pid .. "/stat") ~= nil
end

-- Wait (by polling the process table, with pty.sleep) until cond() holds.
function H.eventually(cond, seconds)
  local deadline = pty.now() + (seconds or 5)
  while not cond() do
    if pty.now() > deadline then return false end
    pty.sleep(0.01)
  end
  return true
end

-- Run a Lua script text with the command, stdin given (or /dev/null),
-- bounded in time by `bound` (a command prefix, default 20 s): a hang fails
-- the test (status 124, or 137 if TERM did not end it) instead of hanging
-- the suite.  Returns H.sh's result with the script's path as r.path.
function H.run_bounded(src, stdin, bound)
  local path = H.script(src)
  local r = H.sh((bound or "timeout -k 2 20 ") .. H.q(H.bin) .. " " .. H.q(path), stdin)
  r.path = path
  os.remove(path)
  return r
end

-- "key value..." lines of a script's output as a table.
function H.fields(stdout)
  local t = {}
  for k, v in (stdout or ""):gmatch("([%w_]+) ([^\n]*)\n") do t[k] = v end
  return t
end

------------------------------------------------------------------------
-- Bad input: a wrong call raises at once, names what was wrong and the
-- caller's file:line, and the session it was made on loses nothing.

-- Run f (a closure written on ONE line), expect it to raise, and check
-- that the message starts with f's file, f's line and `text` (plain
-- text).  Returns the error value, its message and, when it is wrong, why.
function H.check(text, f)
  local info = debug.getinfo(f, "S")
  local ok, e = pcall(f)
  if ok then return nil, nil, "no error raised, expected: " .. text end
  local msg = tostring(e)
  local want = info.short_src .. ":" .. info.linedefined .. ": " .. text
  if msg:sub(1, #want) ~= want then
    return e, msg, "expected a message starting with\n  " .. want .. "\ngot\n  " .. msg
  end
  return e, msg
end

-- H.check, failing the test when the message is wrong.
function H.raises(text, f)
  local e, msg, wrong = H.check(text, f)
  require("luassert")(not wrong, wrong)   -- busted's assert is not a global here
  return e, msg
end

-- A `cat` session with unread output left in its buffer: " BBB\r\n" has
-- arrived (the lookahead proves it) but is not consumed.
function H.victim(opts)
  local o = { "cat", echo = false, name = "victim" }
  for k, v in pairs(opts or {}) do o[k] = v end
  local p = pty.spawn(o)
  p:sendline("AAA BBB")
  p:expect("AAA(?= BBB\\r\\n)", 5)
  return p
end

-- The session lost nothing: the unread " BBB\r\n" of H.victim is still
-- there, byte for byte, and it still answers.  Closes it.
local tags = 0
function H.intact(p)
  local assert = require "luassert"   -- busted's assert is not a global here
  assert.is_true(p:alive())
  local m = p:expect_exact("BBB", 5)
  assert.equal(" ", m.before)
  tags = tags + 1
  local tag = "still-here-" .. tags
  p:sendline(tag)
  m = p:expect_exact(tag, 5)
  assert.equal("\r\n", m.before)      -- the rest of the AAA BBB line, nothing else
  p:close()
end

return H
