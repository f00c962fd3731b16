-- scripts/examples/login.lua against a real sshd.  The
-- spec starts its own sshd on 127.0.0.1 with a throwaway host key, config
-- and user (all removed at the end, whatever happened) and logs in the way
-- a user would.  Needs root and /usr/sbin/sshd (openssh-server): without
-- them, or when no port can be bound, the tests are pending and say why.
local pty = require "ptyscript"
local H = require "helpers"

local SSHD = "/usr/sbin/sshd"
local LOGIN = H.root .. "/scripts/examples/login.lua"

local srv = {}      -- dir, user, password, port, sshd (the process), hostkey
local unavailable   -- why sshd could not be started

-- Run a shell command that must succeed.
local function must(cmdline)
  local r = H.sh(cmdline)
  assert(r.code == 0, cmdline .. ": " .. r.stdout .. r.stderr)
  return r
end

local function sshd_config(port)
  return table.concat({
    "ListenAddress 127.0.0.1",
    "Port " .. port,
    "HostKey " .. srv.dir .. "/hostkey",
    "PidFile " .. srv.dir .. "/sshd.pid",
    "PasswordAuthentication yes",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    "PermitRootLogin no",
    "AllowUsers " .. srv.user,
    "StrictModes no",
    "" }, "\n")
end

-- The host key, the user and sshd itself; returns why not, when sshd
-- cannot run here.  Anything else that goes wrong raises.
local function start()
  if H.sh("id -u").stdout ~= "0\n" then return "needs root (useradd, sshd)" end
  if not H.read(SSHD) then return "no " .. SSHD .. " (apt-get install openssh-server)" end
  srv.dir = H.tmpdir()
  must("chmod 755 " .. H.q(srv.dir))
  must("ssh-keygen -q -t ed25519 -N '' -C ptyscript-test -f " .. H.q(srv.dir .. "/hostkey"))
  srv.hostkey = H.read(srv.dir .. "/hostkey.pub"):match("^(%S+ %S+)")
  srv.user = "ptys_test_" .. H.pid()   -- one per run, also when runs overlap
  srv.password = string.format("pw-%08x", math.random(0, 0x7fffffff))
  must("useradd -M -N -s /bin/sh -d " .. H.q(srv.dir .. "/home") .. " " .. srv.user)
  srv.created = true
  must("mkdir " .. H.q(srv.dir .. "/home") .. " && chown " .. srv.user .. " " .. H.q(srv.dir .. "/home"))
  must("echo " .. H.q(srv.user .. ":" .. srv.password) .. " | chpasswd")
  must("mkdir -p /run/sshd")   -- sshd's privilege separation directory
  local why
  for _ = 1, 5 do   -- a random free port: another one if it is taken
    local port = math.random(20000, 60999)
    H.write(srv.dir .. "/sshd_config", sshd_config(port))
    local p = pty.spawn{ SSHD, "-D", "-e", "-f", srv.dir .. "/sshd_config", name = "sshd" }
    local m = p:expect({ "Server listening on 127\\.0\\.0\\.1 port \\d+", pty.EOF }, 10)
    if m.index == 1 then
      srv.sshd, srv.port = p, port
      return nil
    end
    p:close()
    why = m.before:gsub("[\r\n]+", " ")
    assert(why:find("Cannot bind any address", 1, true), "sshd did not start: " .. why)
  end
  return "sshd could not bind a port on 127.0.0.1: " .. why
end

-- Stop sshd, remove the user and every file: idempotent.
local function stop()
  if srv.sshd then
    srv.sshd:kill("TERM")   -- (SIGHUP, close's first signal, restarts sshd)
    srv.sshd:wait(5)
    srv.sshd:close()
    srv.sshd = nil
  end
  if srv.created then
    -- a session still closing would keep userdel from working
    for pid in H.sh("ps -o pid= -u " .. srv.user).stdout:gmatch("%d+") do
      H.sh("kill -KILL " .. pid)
    end
    H.sh("userdel -r " .. srv.user)   -- -r: the home directory, the mail spool
    assert(H.sh("id " .. srv.user).code ~= 0, "userdel " .. srv.user .. " failed")
    srv.created = nil
  end
  if srv.dir then
    must("rm -rf " .. H.q(srv.dir))
    srv.dir = nil
  end
end

local function need_sshd()
  if unavailable then pending("sshd could not be started: " .. unavailable) end
end

-- ssh options for the tests: no config files, a known_hosts file of the
-- test's own (new: the host-key question comes).
local function ssh_opts(known_hosts)
  return "-F none -o GlobalKnownHostsFile=/dev/null -o UserKnownHostsFile=" .. known_hosts
end

-- Run login.lua with the command, in a session without a terminal (as
-- in CI), with SSH_PASSWORD = o.password and ptyscript's o.options.
local function login(args, o)
  o = o or {}
  local kh = o.known_hosts or H.tmpname()
  local prefix = "setsid -w env SSH_OPTS=" .. H.q(ssh_opts(kh))
  if o.term then prefix = prefix .. " TERM=" .. H.q(o.term) end
  if o.password then prefix = prefix .. " SSH_PASSWORD=" .. H.q(o.password) end
  local a = {}
  for _, v in ipairs(o.options or {}) do a[#a + 1] = v end
  a[#a + 1] = LOGIN
  for _, v in ipairs(args) do a[#a + 1] = v end
  local r = H.run(a, o.stdin, prefix .. " ")
  if not o.known_hosts then os.remove(kh) end
  return r
end

describe("scripts/examples/login.lua with a real sshd", function()
  setup(function()
    local ok, why = pcall(start)
    if not ok then stop() error(why, 0) end
    unavailable = why
    if why then   -- (the summary lists skipped tests without their reason)
      io.stderr:write("login_spec: sshd could not be started: ", why, "; skipping\n")
    end
  end)
  teardown(stop)

  it("logs in with SSH_PASSWORD; what is piped in runs in the remote shell", function()
    need_sshd()
    local r = login({ srv.user .. "@127.0.0.1", srv.port },
      { password = srv.password, stdin = "id -un; exit\n" })
    assert.equal(0, r.code, r.stderr)
    assert.matches("[\n ]" .. srv.user .. "\r\n", r.stdout)   -- (after the echo of the input)
    assert.equal("", r.stderr)
  end)

  it("hands the session over with the user's TERM, not ptyscript's default", function()
    need_sshd()
    local r = login({ srv.user .. "@127.0.0.1", srv.port },
      { password = srv.password, stdin = "echo \"T=[$TERM]\"; exit\n", term = "vt220" })
    assert.equal(0, r.code, r.stderr)
    assert.matches("T=%[vt220%]\r\n", r.stdout)
  end)

  it("runs a command given after --, with its output and exit status", function()
    need_sshd()
    local r = login({ srv.user .. "@127.0.0.1", srv.port, "--", "id -un; echo line2; exit 3" },
      { password = srv.password })
    assert.equal(3, r.code, r.stderr)
    assert.equal(srv.user .. "\nline2\n", r.stdout)
  end)

  it("answers the host-key question once: the key lands in known_hosts", function()
    need_sshd()
    local kh = H.tmpname()
    os.remove(kh)
    local args = { srv.user .. "@127.0.0.1", srv.port, "--", "true" }
    local r = login(args, { password = srv.password, known_hosts = kh, options = { "--trace" } })
    assert.equal(0, r.code, r.stderr)
    assert.matches('continue connecting.-matched', r.stderr)
    assert.matches('send to ssh: "yes\\r"', r.stderr, 1, true)
    local known = H.read(kh)
    assert.equal("[127.0.0.1]:" .. srv.port .. " " .. srv.hostkey .. "\n", known)
    -- known now: no question the second time
    r = login(args, { password = srv.password, known_hosts = kh, options = { "--trace" } })
    os.remove(kh)
    assert.equal(0, r.code, r.stderr)
    assert.is_nil(r.stderr:find("send to ssh: \"yes", 1, true), r.stderr)
  end)

  it("says a wrong password is wrong, exits 255, and never shows the password", function()
    need_sshd()
    local wrong = "wrong-" .. srv.password
    local log = H.tmpname()
    local r = login({ srv.user .. "@127.0.0.1", srv.port },
      { password = wrong, options = { "--log", log, "--trace" } })
    local transcript = H.read(log)
    os.remove(log)
    assert.equal(255, r.code, r.stderr)
    assert.matches("login.lua: " .. srv.user .. "@127.0.0.1: wrong password "
      .. "%(Permission denied %([%w,-]+%)%.%)\n", r.stderr)
    assert.matches('send to ssh: "***"', r.stderr, 1, true)   -- --trace
    assert.matches("'s password: ", transcript, 1, true)
    for _, text in ipairs{ r.stdout, r.stderr, transcript } do
      assert.is_nil(text:find(wrong, 1, true), text)
      assert.is_nil(text:find(srv.password, 1, true), text)
    end
  end)

  it("reports a connection error with ssh's reason and exits 255", function()
    local r = login({ "someone@127.0.0.1", 1 }, { password = "pw" })   -- nobody listens on 1
    assert.equal(255, r.code, r.stderr)
    assert.equal("login.lua: someone@127.0.0.1: ssh: connect to host 127.0.0.1 port 1: "
      .. "Connection refused\n", r.stderr)
  end)

  it("without SSH_PASSWORD and without a terminal, says what to do", function()
    need_sshd()
    local r = login({ srv.user .. "@127.0.0.1", srv.port })
    assert.equal(255, r.code, r.stderr)
    assert.matches("no terminal to ask on: set SSH_PASSWORD", r.stderr)
  end)

  -- The user at a terminal: login.lua runs inside an outer pty, whose
  -- modes are taken before it starts and compared after it ends.
  local function at_terminal()
    local kh = H.tmpname()
    os.remove(kh)
    local outer = pty.spawn{ "sh", "-c", 'tty; stty -g; exec "$0" "$@"',
      H.bin, LOGIN, srv.user .. "@127.0.0.1", srv.port,
      env = { SSH_PASSWORD = false, SSH_OPTS = ssh_opts(kh) }, timeout = 10 }
    local m = outer:expect("(\\S+)\r\n(\\S+)\r\n")
    local tty, modes = m[1], m[2]
    outer:expect("Password for " .. srv.user .. "@127\\.0\\.0\\.1: $")
    -- Its exit and last output, once the terminal's modes are checked.
    local function done()
      local out = outer:expect(pty.EOF).before
      local r = { outer:wait(10) }
      os.remove(kh)
      assert.equal(modes, H.sh("stty -g <" .. tty).stdout:match("%S+"), "terminal modes restored")
      outer:close()
      return r, out
    end
    return outer, done
  end

  it("asks for the password on the terminal, without echoing it", function()
    need_sshd()
    local outer, done = at_terminal()
    outer:send(srv.password .. "\r")
    local m = outer:expect("\\$ $")          -- the remote shell's prompt
    assert.is_nil(m.before:find(srv.password, 1, true), m.before)
    outer:send("id -un\r")                    -- interact: typed to the remote shell
    outer:expect("\r\n" .. srv.user .. "\r\n")
    outer:send("exit\r")
    local r, out = done()
    assert.is_nil(out:find(srv.password, 1, true), out)
    assert.same({ true, "exit", 0 }, r)
  end)

  it("puts the terminal's modes back when the password prompt gets ^D or ^C", function()
    need_sshd()
    local outer, done = at_terminal()
    outer:send("\4")
    outer:expect("login.lua: [^\r]*: no password given\r\n")
    local r = done()
    assert.same({ nil, "exit", 255 }, r)

    -- ^C at the prompt: ptyscript dies of SIGINT (pty.getpass waits in
    -- the loop, so the signal is acted on whenever it comes), ssh is hung
    -- up, and the terminal's modes are back
    outer, done = at_terminal()
    outer:send("\3")
    r = done()
    assert.same({ nil, "signal", 2 }, r)
  end)
end)
