-- Helpers shared by the specs: running the ptyscript command, counting
-- descriptors and child processes, temporary files.  Everything here talks
-- to real programs; nothing is mocked.
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
function H.sh(cmdline, stdin)
  local out, err = H.tmpname(), H.tmpname()
  local inp = "/dev/null"
  if stdin then inp = H.write(H.tmpname(), stdin) end
  local ok, kind, code = os.execute(string.format("(%s) <%s >%s 2>%s", cmdline, inp, out, err))
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

-- Open descriptors of this process.
function H.fds()
  local p = io.popen("ls /proc/" .. H.pid() .. "/fd")
  local list = {}
  for l in p:lines() do list[#list + 1] = tonumber(l) end
  p:close()
  return #list, list
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

-- Pids whose parent is this process (zombies included).
function H.children(of)
  of = of or H.pid()
  local list = {}
  local p = io.popen("ps -o pid= --ppid " .. of)
  for line in p:lines() do
    local pid = tonumber(line)
    if pid then list[#list + 1] = pid end
  end
  p:close()
  -- the popen shell is a child too while ps runs: leave it out
  local shell = {}
  for i = #list, 1, -1 do
    local f = io.open("/proc/" .. list[i] .. "/cmdline")
    local cmd = f and f:read("a") or ""
    if f then f:close() end
    cmd = cmd:gsub("%z", " ")
    if cmd:find("--ppid " .. of, 1, true) or cmd == "" then table.remove(list, i) end
  end
  return list
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

return H
