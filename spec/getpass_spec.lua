-- pty.getpass: a line typed at the terminal, not echoed, the terminal's
-- modes restored however the read ends.  ptyscript runs inside a pty.
local pty = require "ptyscript"
local H = require "spec.helpers"

-- ptyscript -e src on a terminal; returns the process after the prompt.
local function prompted(src)
  local p = pty.spawn{ H.bin, "-e", src, timeout = 10 }
  p:expect_exact("PW: ")
  return p
end

describe("pty.getpass", function()
  it("returns the typed line without echoing it, and puts echo back", function()
    local p = prompted([[local pw, e = pty.getpass("PW: ")
      print("got [" .. tostring(pw) .. "]", e)
      os.execute("stty -a | grep -o -- ' -*echo '")]])
    p:sendline("hunter2")
    local out = p:expect(pty.EOF).before
    assert.equal("\r\ngot [hunter2]\tnil\r\n echo \r\n", out)   -- typed: not shown
    assert.same({ true, "exit", 0 }, { p:wait(5) })
  end)

  it("never echoes what is typed as soon as the prompt shows", function()
    for _ = 1, 20 do   -- the prompt comes only once echo is off
      local p = prompted([[print(#pty.getpass("PW: "))]])
      p:send("hunter2\n")
      assert.equal("\r\n7\r\n", p:expect(pty.EOF).before)
      p:close()
    end
  end)

  it("returns nil, \"eof\" on ^D", function()
    local p = prompted([[print(pty.getpass("PW: "))]])
    p:sendeof()
    assert.equal("\r\nnil\teof\r\n", p:expect(pty.EOF).before)
  end)

  it("ends the script on ^C, with the terminal restored", function()
    local p = prompted([[pty.getpass("PW: ") print("not reached")]])
    p:send("abc")
    p:sendcontrol("c")
    local out = p:expect(pty.EOF).before
    assert.is_nil(out:find("abc", 1, true))
    assert.is_nil(out:find("not reached", 1, true))
    assert.same({ nil, "signal", 2 }, { p:wait(5) })
  end)

  -- The shell around it survives the signal (a trap, not an ignored
  -- signal, which ptyscript would inherit) and asks the terminal after.
  local function ended_by(control, sig)
    local path = H.script([[pty.getpass("PW: ") print("not reached")]])
    local p = pty.spawn{ "sh", "-c", "ulimit -c 0; trap : " .. sig .. "; " .. H.bin .. " " .. path
      .. "; echo \"status $?\"; stty -a | grep -o -- ' -*echo '", timeout = 10 }
    p:expect_exact("PW: ")
    p:send("abc")
    p:sendcontrol(control)
    local out = p:expect(pty.EOF).before
    os.remove(path)
    return out
  end

  it("puts echo back when ^C ends the script", function()
    local out = ended_by("c", "INT")
    assert.is_nil(out:find("not reached", 1, true))
    assert.matches("status 130\r\n echo \r\n$", out)
  end)

  it("puts echo back when ^\\ (SIGQUIT) ends the script", function()
    local out = ended_by("\\", "QUIT")
    assert.is_nil(out:find("not reached", 1, true))
    assert.matches("status 131\r\n echo \r\n$", out)
  end)

  it("lets other tasks run while it waits", function()
    local p = prompted([[
      local t = pty.go(function() pty.sleep(0.05) print("tick") end)
      print("[" .. pty.getpass("PW: ") .. "]")]])
    p:expect_exact("tick")
    p:sendline("late")
    assert.matches("%[late%]", p:expect(pty.EOF).before)
  end)

  it("refuses without a terminal, and a prompt that is not a string", function()
    local r = H.run({ "-e", 'pty.getpass("PW: ")' })
    assert.equal(1, r.code)
    assert.matches("getpass: standard input is not a terminal", r.stderr)
    local ok, err = pcall(pty.getpass, 42)
    assert.is_false(ok)
    assert.matches("the prompt must be a string", err)
  end)

  it("makes ptyscript impossible to dump or trace from then on", function()
    -- (/proc/PID/environ belongs to root once a process is not dumpable:
    -- an ordinary user's run shows the change)
    local root = H.sh("id -u").stdout == "0\n"
    local p = pty.spawn{ H.bin, "-e", [[
      local pid = io.open("/proc/self/stat"):read("a"):match("^%d+")
      local function owner()
        local f = io.popen("stat -c %u /proc/" .. pid .. "/environ")
        local uid = f:read("l")
        f:close()
        return uid
      end
      local before = owner()
      pty.getpass("PW: ")
      print("owners " .. before .. " " .. owner())]],
      timeout = 10, uid = root and 65534 or nil, gid = root and 65534 or nil }
    p:expect_exact("PW: ")
    p:sendline("hunter2")
    local m = p:expect("owners (\\d+) (\\d+)")
    assert.equal(root and "65534" or H.sh("id -u").stdout:match("%d+"), m[1])
    assert.equal("0", m[2])
  end)
end)
