#!/usr/bin/env ptyscript
-- login.lua: log in with ssh and a password, then hand the session over to
-- you (Ctrl-] leaves it), or run one command and show its output.
--   SSH_PASSWORD=... ./ptyscript scripts/examples/login.lua [user@]host [port] [-- command...]
-- Without SSH_PASSWORD the password is asked for on the terminal, not echoed.
-- SSH_OPTS adds ssh options, e.g. SSH_OPTS="-o UserKnownHostsFile=/tmp/kh".
-- A host key seen for the first time is accepted ("yes"), as most people do
-- by hand; a key that has changed makes ssh refuse, and this script with it.
-- Exit status: the remote shell's or command's, or 255 (as ssh's) when the
-- login fails.
local function usage()
  io.stderr:write("usage: login.lua [user@]host [port] [-- command...]\n")
  os.exit(2)
end

local target, port, command = arg[1], nil, {}
local rest = 2
if arg[2] and arg[2] ~= "--" then port, rest = arg[2], 3 end
if arg[rest] == "--" then command = table.move(arg, rest + 1, #arg, 1, {})
elseif arg[rest] then usage() end
if not target or target:match("^%-") then usage() end

-- Say why the login failed, hang up ssh, and exit as ssh does.
local function fail(p, why)
  io.stderr:write("login.lua: ", target, ": ", why, "\n")
  p:close()
  os.exit(255)
end

-- ssh's last line of output: its reason for giving up.
local function last_line(s)
  local last
  for line in s:gmatch("[^\r\n]+") do last = line end
  return last or "ssh ended without a word"
end

local argv = { "ssh",
  "-o", "NumberOfPasswordPrompts=1",   -- a wrong password ends ssh at once
  "-o", "PreferredAuthentications=keyboard-interactive,password" }
if port then table.insert(argv, "-p") table.insert(argv, port) end
for opt in (os.getenv("SSH_OPTS") or ""):gmatch("%S+") do table.insert(argv, opt) end
table.insert(argv, target)
table.move(command, 1, #command, #argv + 1, argv)   -- run by the remote user's shell
argv.name, argv.timeout = "ssh", 30
-- A session handed over to you gets your terminal's type (ssh passes it
-- on to the remote shell); a command's output is read by this script, so
-- it keeps ptyscript's TERM=dumb: no colour or cursor codes in it.
if #command == 0 then argv.term = os.getenv("TERM") end
local p = pty.spawn(argv)

-- Up to the password prompt: accept a new host key; anything else that
-- ends ssh (connection refused, unknown host, changed host key) is an error.
while true do
  local m = p:expect({
    "continue connecting \\(yes/no[^)]*\\)\\? $",
    "[Pp]assword: $",
    pty.EOF,
    pty.TIMEOUT })
  if m.index == 1 then
    p:sendline("yes")
  elseif m.index == 2 then
    break
  elseif m.index == 3 then
    fail(p, last_line(m.before))
  else
    fail(p, "no password prompt within 30 s; last output: " .. last_line(m.before))
  end
end

-- The password: from the environment, or typed at the terminal without
-- echo (pty.getpass restores the terminal however the read ends; ^C ends
-- the script as a signal does, with ssh hung up).
local password = os.getenv("SSH_PASSWORD")
if not password then
  local ok, typed = pcall(pty.getpass, "Password for " .. target .. ": ")
  if not ok then fail(p, "no terminal to ask on: set SSH_PASSWORD") end
  if not typed then fail(p, "no password given") end
  password = typed
end
p:sendline(password, { secret = true })   -- never shown in --trace or --log

-- ssh's refusal, or another prompt, means a wrong password; the first
-- other output (a banner, a prompt, the command's output) means we are in.
-- The refusal's line also starts with a non-space: listed first, it wins
-- the tie.  "(?=\S)" consumes nothing of that output: interact shows it.
local m = p:expect({
  "[^\r\n]*(Permission denied \\([^)\r\n]*\\)\\.)",
  "[Pp]assword: $",
  "(?=\\S)",
  pty.EOF,
  pty.TIMEOUT })
if m.index <= 2 then
  fail(p, "wrong password (" .. (m.index == 1 and m[1] or "asked again") .. ")")
elseif m.index == 4 and select(3, p:wait()) == 255 then
  fail(p, last_line(m.before))   -- ssh ended at once: a dropped connection, say
elseif m.index == 5 then
  fail(p, "no answer within 30 s after the password")
end

if #command > 0 then
  -- Copy the command's output, line by line, until it ends.
  for line in function() return p:readline(math.huge) end do print(line) end
else
  local how = p:interact()
  if how == "escape" then
    p:close()
    os.exit(0)
  elseif how == "stdin eof" then
    -- Input came from a pipe or a file and has ended: so does the remote
    -- shell's (^D), and we show what it prints until it exits.
    pcall(p.sendeof, p)   -- (pcall: the shell may have exited already)
    io.write(p:expect(pty.EOF, math.huge).before)
  end
end
local _, how, code = p:wait()
os.exit(how == "exit" and code or 255)
