-- The child's terminal echo, as pexpect has it: p:getecho() reads it,
-- p:setecho(on) sets it (stty -a in the child must see the change),
-- p:waitnoecho([timeout]) waits until the child turns it off (a
-- password prompt: python's getpass).  waitnoecho polls the modes:
-- other tasks run meanwhile, output is read and kept, and no CPU is
-- burnt.  With the faults: wrong arguments, pipes, a closed process, a
-- child that exits or closes its output with echo on.  Real programs on
-- real ptys.
local pty = require "ptyscript"
local H = require "helpers"

local raises = H.raises

-- The python3 binary itself (not a pyenv shim), so children start fast.
local PY = H.sh("python3 -c 'import sys; print(sys.executable)'").stdout:match("[^\n]+")

-- A python child at getpass's prompt "PW: ", which then prints what it got.
local function getpass_child()
  return pty.spawn{ PY, "-c", "import getpass; s = getpass.getpass('PW: '); print('got', s[::-1])",
    name = "getpass", timeout = 20 }
end

-- The echo flags of the child's terminal as stty -a shows them, in the
-- child: a shell that prints them each time it reads a line.  Returns a
-- function: send a line, get the set of flag words ("echo", "-echonl").
local function stty_probe(opts)
  local o = { "sh", "-c", "while read x; do stty -a | tr ' ;' '\\n\\n' | grep -- 'echo' | "
    .. "tr '\\n' ' '; echo '<end>'; done", name = "probe", timeout = 10 }
  for k, v in pairs(opts or {}) do o[k] = v end
  local p = pty.spawn(o)
  local n = 0
  return p, function()
    n = n + 1
    local tag = "probe" .. n
    p:sendline(tag)
    -- after the echo of the line (if any): the flags, then <end>
    local m = p:expect("((?:\\S*echo\\S* )+)<end>\\r\\n")
    local set = {}
    for w in m[1]:gmatch("%S+") do set[w] = true end
    return set
  end
end

describe("p:getecho", function()
  it("is true on a new terminal, false with spawn's echo = false", function()
    local p = pty.spawn("cat")
    local q = pty.spawn{ "cat", echo = false }
    assert.is_true(p:getecho())
    assert.is_false(q:getecho())
    p:close() q:close()
  end)

  it("follows what the child does to its terminal (stty)", function()
    local p = pty.spawn{ "sh", "-c", "stty -echo; echo off; read x; stty echo; echo on; read x",
      timeout = 10 }
    p:expect_exact("off\r\n")
    assert.is_false(p:getecho())
    p:sendline("x")
    p:expect_exact("on\r\n")
    assert.is_true(p:getecho())
    p:sendline("y")
    assert.same({ true, "exit", 0 }, { p:wait(5) })
    assert.is_true(p:getecho())   -- (an exited child's terminal, until close)
    p:close()
  end)

  it("raises on pipes, on a closed process and when called with .", function()
    local q = pty.spawn{ "cat", pty = false, name = "cat" }
    raises("getecho: cat runs with pipes (pty = false): it has no terminal", function() q:getecho() end)
    q:close()
    local p = pty.spawn{ "true" }
    p:wait(5)
    p:close()
    local closed = "getecho: true (pid " .. p.pid .. ", exited 0) was closed"
    raises(closed, function() p:getecho() end)
    raises("getecho: expected a process (use p:getecho(...), not p.getecho(...))", function() p.getecho() end)
  end)
end)

describe("p:setecho", function()
  it("turns the echo off and on again, as stty -a in the child sees it", function()
    local p, flags = stty_probe()
    local f = flags()
    assert.is_true(f.echo and f.echoe and f.echok and f["-echonl"])
    assert.is_true(p:setecho(false))
    assert.is_false(p:getecho())
    f = flags()
    assert.is_true(f["-echo"] and f["-echoe"] and f["-echok"] and f["-echonl"])
    assert.is_nil(f.echo)
    assert.is_true(p:setecho(true))
    assert.is_true(p:getecho())
    f = flags()
    assert.is_true(f.echo and f.echoe and f.echok and f["-echonl"])
    p:close()
  end)

  it("on after spawn's echo = false gives the kernel's modes back", function()
    local p, flags = stty_probe{ echo = false }
    local f = flags()
    assert.is_true(f["-echo"] and f["-echoe"] and f["-echok"] and f["-echonl"])
    p:setecho(true)
    f = flags()
    assert.is_true(f.echo and f.echoe and f.echok and f["-echonl"])
    p:close()
  end)

  it("stops the terminal repeating what is sent, and starts it again", function()
    local p = pty.spawn{ "cat", timeout = 10 }
    p:sendline("one")
    assert.equal("", p:expect_exact("one\r\n").before)   -- the echo
    assert.equal("", p:expect_exact("one\r\n").before)   -- cat's copy
    p:setecho(false)
    p:sendline("two")
    p:sendline("three")
    -- no echo: only cat's copies, in order
    assert.equal("two\r\n", p:expect_exact("three\r\n").before)
    p:setecho(true)
    p:sendline("four")
    assert.equal("", p:expect_exact("four\r\n").before)
    assert.equal("", p:expect_exact("four\r\n").before)   -- echo, then cat's copy
    p:close()
  end)

  it("off is seen by waitnoecho at once", function()
    local p = pty.spawn{ "cat" }
    p:setecho(false)
    assert.is_true(p:waitnoecho(0))
    p:close()
  end)

  it("takes true or false only, and raises on pipes and a closed process", function()
    local p = pty.spawn{ "cat", name = "cat" }
    raises("setecho: expected true or false, got nil", function() p:setecho() end)
    raises("setecho: expected true or false, got 1", function() p:setecho(1) end)
    raises('setecho: expected true or false, got the string "off"', function() p:setecho("off") end)
    raises("setecho: expected true or false, got a table", function() p:setecho({}) end)
    assert.is_true(p:getecho())   -- unchanged
    raises("setecho: expected a process (use p:setecho(...), not p.setecho(...))", function() p.setecho(false) end)
    local q = pty.spawn{ "cat", pty = false, name = "cat" }
    raises("setecho: cat runs with pipes (pty = false): it has no terminal", function() q:setecho(false) end)
    q:close()
    p:kill("KILL")
    p:close()
    local closed = "setecho: cat (pid " .. p.pid .. ", killed by SIGKILL) was closed"
    raises(closed, function() p:setecho(false) end)
  end)
end)

describe("p:waitnoecho", function()
  it("returns true once getpass has turned echo off; the password is not echoed", function()
    local p = getpass_child()
    assert.is_true(p:waitnoecho(20))
    assert.is_false(p:getecho())
    p:expect_exact("PW: ")
    p:sendline("hunter2")
    assert.equal("\r\ngot 2retnuh\r\n", p:expect(pty.EOF).before)   -- no "hunter2" echoed
    assert.same({ true, "exit", 0 }, { p:wait(5) })
    p:close()
  end)

  it("returns soon after echo goes off, while another task drives the child", function()
    local p = pty.spawn{ "sh", "-c", "read x; stty -echo; echo off; read x", timeout = 10 }
    local t0
    pty.go(function()
      pty.sleep(0.2)
      t0 = pty.now()
      p:sendline("go")
    end)
    assert.is_true(p:waitnoecho(10))
    assert.is_true(pty.now() - t0 < 0.5)
    p:close()
  end)

  it("returns false at the timeout while echo stays on", function()
    local p = pty.spawn("cat")
    local t0 = pty.now()
    assert.is_false(p:waitnoecho(0.3))
    local took = pty.now() - t0
    assert.is_true(took >= 0.29 and took < 2, took)
    assert.is_false(p:waitnoecho(0))   -- a look, no wait
    p:close()
  end)

  it("takes its default timeout as expect does: p.timeout, then pty.timeout", function()
    local p = pty.spawn{ "cat", timeout = 0.2 }
    local t0 = pty.now()
    assert.is_false(p:waitnoecho())
    assert.is_true(pty.now() - t0 < 2)
    p:close()
    local saved = pty.timeout
    pty.timeout = 0.2
    local q = pty.spawn("cat")
    t0 = pty.now()
    local ok, r = pcall(q.waitnoecho, q)
    pty.timeout = saved
    assert.is_true(ok, r)
    assert.is_false(r)
    assert.is_true(pty.now() - t0 < 2)
    q:close()
  end)

  it("waits without limit with math.huge", function()
    local p = pty.spawn{ "sh", "-c", "read x; sleep 0.3; stty -echo; read x", timeout = 10 }
    p:sendline("go")
    assert.is_true(p:waitnoecho(math.huge))
    p:close()
  end)

  it("returns false when the child exits with echo on, at once", function()
    local p = pty.spawn{ "sh", "-c", "sleep 0.2; exit 3" }
    local t0 = pty.now()
    assert.is_false(p:waitnoecho(30))
    assert.is_true(pty.now() - t0 < 5)
    assert.same({ nil, "exit", 3 }, { p:wait(5) })
    p:close()
  end)

  it("returns false at EOF (the child closed the terminal) with echo on, though it runs", function()
    local p = pty.spawn{ "sh", "-c", "echo bye; exec sleep 30 </dev/null >/dev/null 2>&1" }
    local t0 = pty.now()
    assert.is_false(p:waitnoecho(30))
    assert.is_true(pty.now() - t0 < 5)
    assert.is_true(p:alive())
    assert.equal("bye\r\n", p:expect(pty.EOF).before)
    p:close()
  end)

  it("returns false when another task closes the process meanwhile", function()
    local p = pty.spawn("cat")
    pty.go(function() pty.sleep(0.1) p:close() end)
    local t0 = pty.now()
    assert.is_false(p:waitnoecho(30))
    assert.is_true(pty.now() - t0 < 5)
  end)

  it("does not spin: other tasks run, and the CPU is idle", function()
    local p = pty.spawn("cat")
    local ticks, stop = 0, false
    local t = pty.go(function()
      while not stop do
        pty.sleep(0.02)
        ticks = ticks + 1
      end
    end)
    local cpu = os.clock()
    assert.is_false(p:waitnoecho(0.6))
    cpu = os.clock() - cpu
    stop = true
    t:wait(5)
    assert.is_true(ticks >= 5, "ticks: " .. ticks)
    assert.is_true(cpu < 0.2, "CPU seconds: " .. cpu)
    p:close()
  end)

  it("loses no output: what the child printed while it was waited on is all there", function()
    local p = pty.spawn{ "sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); "
      .. "done; stty -echo; echo END; read x", timeout = 20 }
    assert.is_true(p:waitnoecho(20))
    for i = 0, 2999 do assert.equal("line " .. i, p:readline()) end
    assert.equal("END", p:readline())
    p:close()
  end)

  it("raises on a bad timeout, on pipes and on a closed process", function()
    local p = pty.spawn{ "cat", name = "cat" }
    raises("waitnoecho: timeout must be a number of seconds >= 0 (got -1)", function() p:waitnoecho(-1) end)
    raises('waitnoecho: timeout must be a number of seconds >= 0 (got the string "5")', function() p:waitnoecho("5") end)
    p.timeout = "x"
    raises('waitnoecho: timeout must be a number of seconds >= 0 (got the string "x" from p.timeout)', function() p:waitnoecho() end)
    p.timeout = nil
    raises("waitnoecho: expected a process (use p:waitnoecho(...), not p.waitnoecho(...))", function() p.waitnoecho(1) end)
    local q = pty.spawn{ "cat", pty = false, name = "cat" }
    raises("waitnoecho: cat runs with pipes (pty = false): it has no terminal", function() q:waitnoecho(1) end)
    q:close()
    p:kill("KILL")
    p:close()
    local closed = "waitnoecho: cat (pid " .. p.pid .. ", killed by SIGKILL) was closed"
    raises(closed, function() p:waitnoecho(1) end)
  end)
end)
