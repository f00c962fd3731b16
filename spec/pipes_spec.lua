-- Pipes mode and extra descriptors:
-- pty.spawn{..., pty = false} with stdout and stderr kept apart, and
-- fds = {[n] = "r" | "w" | file | fd} with p:write_fd, p:close_fd,
-- p:stream.  Real programs, real pipes.
local pty = require "ptyscript"
local H = require "spec.helpers"

describe("pty = false", function()
  it("keeps stdout and stderr apart, each with expect", function()
    local p = pty.spawn{ "sh", "-c",
      "for i in 1 2 3; do echo out$i; echo err$i >&2; done; exit 4", pty = false }
    local m = p:expect("out3\n", 5)
    assert.equal("out1\nout2\n", m.before)
    m = p.stderr:expect("err3\n", 5)
    assert.equal("err1\nerr2\n", m.before)
    assert.same({ nil, "exit", 4 }, { p:wait(5) })
    assert.truthy(p:expect(pty.EOF, 5))
    assert.same({ nil, "eof" }, { p.stderr:read(5) })
  end)

  it("gives the child no terminal", function()
    local p = pty.sh("if test -t 0 || test -t 1; then echo tty; else echo no-tty; fi; "
      .. "tty; exit 0", { pty = false })
    local m = p:expect(pty.EOF, 5)
    assert.matches("^no%-tty\nnot a tty\n$", m.before)
    assert.is_true(p:wait(5))
  end)

  it("loses no output on either pipe when the child exits at once", function()
    for _ = 1, 30 do
      local p = pty.spawn{ "sh", "-c", "head -c 65536 /dev/zero; head -c 70000 /dev/zero >&2",
        pty = false }
      assert.is_true(p:wait(5))
      local out = p:expect(pty.EOF, 5).before
      local err = p.stderr:expect(pty.EOF, 5).before
      assert.equal(65536, #out)
      assert.equal(70000, #err)
      p:close()
    end
  end)

  it("shows stderr on stderr, and logs and calls back with both streams", function()
    local log = H.tmpname()
    local r = H.run_script(string.format([[
      local p = pty.spawn{"sh", "-c", "echo out1; echo err1 >&2; sleep 0.1; echo out2; echo err2 >&2",
        pty = false, show = true}
      local got = {}
      p:on("data", function(_, d, fd) got[#got + 1] = fd .. ":" .. d end)
      p:log(%q)
      p:wait(5)
      p:expect(pty.EOF, 5)
      p.stderr:expect(pty.EOF, 5)
      pty.sleep(0.05)
      io.stderr:write(table.concat(got))
    ]], log))
    assert.equal(0, r.code, r.stderr)
    assert.equal("out1\nout2\n", r.stdout)
    -- each stream in order; the two pipes' relative order is the kernel's
    local shown, calls = r.stderr:match("^(err1\nerr2\n)(.*)$")
    assert.equal("err1\nerr2\n", shown, r.stderr)
    local by_fd = { ["1"] = "", ["2"] = "" }
    for fd, line in calls:gmatch("(%d):([^\n]*\n)") do by_fd[fd] = by_fd[fd] .. line end
    assert.same({ ["1"] = "out1\nout2\n", ["2"] = "err1\nerr2\n" }, by_fd)
    local lines = {}
    for line in H.read(log):gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equal(4, #lines)   -- every line of both streams, once
    table.sort(lines, function(a, b) return a:sub(-1) .. a < b:sub(-1) .. b end)
    assert.same({ "err1", "out1", "err2", "out2" }, lines)
    os.remove(log)
  end)

  it("refuses terminal operations with a clear error", function()
    local p = pty.spawn{ "cat", pty = false }
    for _, call in ipairs{
      function() p:setwinsize(10, 20) end,
      function() p:getwinsize() end,
      function() p:sendline("x", { wait_echo = true }) end,
      function() p:screen() end,
      function() pty.spawn{ "cat", pty = false, screen = true } end,
    } do
      local ok, err = pcall(call)
      assert.is_false(ok)
      assert.matches("pipes", err)
    end
    local ok, err = pcall(pty.spawn, { "cat", pty = "no" })
    assert.is_false(ok)
    assert.matches("pty must be true or false", err)
    p:close()
  end)

  it("leaves no descriptor and no child behind", function()
    collectgarbage()   -- what earlier specs dropped is not counted
    collectgarbage()
    local before, kids = H.nfds(), {}
    for _, pid in ipairs(H.children()) do kids[pid] = true end   -- earlier specs'
    for _ = 1, 100 do
      local p = pty.spawn{ "sh", "-c", "echo hi; echo ho >&2; cat", pty = false,
        fds = { [3] = "w", [4] = "r" } }
      p:expect("hi", 5)
      p:close()
    end
    collectgarbage()
    collectgarbage()
    assert.equal(before, H.nfds())
    local left = {}
    for _, pid in ipairs(H.children()) do
      if not kids[pid] then left[#left + 1] = pid end
    end
    assert.same({}, left)
  end)
end)

describe("fds", function()
  it("passes only the mapped descriptors", function()
    -- a file of the script's own sits on a low descriptor, below the
    -- highest target: it must not reach the child either
    local mine = assert(io.open("/dev/null"))
    local p = pty.spawn{ "sh", "-c", "ls /proc/$$/fd", fds = { [3] = "w", [200] = "r" } }
    local m = p:expect(pty.EOF, 5)
    mine:close()
    assert.same({ "0", "1", "2", "200", "3" }, (function()   -- (ls sorts as text)
      local t = {}
      for n in m.before:gmatch("%d+") do t[#t + 1] = n end
      return t
    end)())
  end)

  it("writes a \"w\" descriptor with write_fd; close_fd gives the child EOF", function()
    local p = pty.spawn{ "sh", "-c", "while read l <&3; do echo \"got $l\"; done; echo end",
      fds = { [3] = "w" }, echo = false }
    p:write_fd(3, "one\n")
    p:expect_exact("got one\r\n", 5)
    p:write_fd(3, "two\n")
    p:expect_exact("got two\r\n", 5)
    p:close_fd(3)
    p:expect_exact("end\r\n", 5)
    assert.is_true(p:wait(5))
    local ok, err = pcall(p.write_fd, p, 3, "three\n")
    assert.is_false(ok)
    assert.matches("send to fd 3 of sh .*the pipe was closed", err)
  end)

  -- The way to give gpg or sshpass a password: a pipe (--passphrase-fd 3).
  it("takes a secret on a \"w\" descriptor (write_fd, s:send): *** in --trace; an unknown option raises", function()
    local path = H.script([[
      local p = pty.spawn{"sh", "-c", "read pw <&3; read pw2 <&3; echo got it", fds = {[3] = "w"}}
      p:write_fd(3, "Wq8-hunter2\n", {secret = true})
      p:stream(3):sendline("Wq8-other", {secret = true})
      p:expect("got it")
      local ok, err = pcall(p.write_fd, p, 3, "x", {secert = true})
      print(err)
      ok, err = pcall(p.stream(p, 3).send, p:stream(3), "x", "secret")
      print(err)
    ]])
    local r = H.run({ "--trace", path })
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    assert.matches('send to sh fd 3: "%*%*%*"\n.*send to sh fd 3: "%*%*%*"\n', r.stderr)
    assert.is_nil(r.stderr:find("Wq8", 1, true), r.stderr)
    assert.matches('write_fd: unknown option "secert"\n', r.stdout)
    assert.matches("send: options must be a table such as {secret = true}", r.stdout)
  end)

  it("reads an \"r\" descriptor as a stream with expect", function()
    local p = pty.spawn{ "sh", "-c", "echo to-terminal; echo to-four >&4; echo more >&4",
      fds = { [4] = "r" } }
    local s = p:stream(4)
    assert.equal("to-four", s:readline(5))
    assert.equal("more\n", s:expect("more\n", 5)[0])
    p:expect_exact("to-terminal", 5)
    assert.is_true(p:wait(5))
    assert.same({ nil, "eof" }, { s:read(5) })
  end)

  it("passes a Lua file and a descriptor number as they are", function()
    local path = H.tmpname()
    local f = assert(io.open(path, "w"))
    f:write("written by the script first\n")   -- still buffered: flushed at spawn
    local p = pty.spawn{ "sh", "-c", "echo written by the child >&5", fds = { [5] = f } }
    assert.is_true(p:wait(5))
    f:close()
    assert.equal("written by the script first\nwritten by the child\n", H.read(path))
    os.remove(path)
    local r = H.run_script([[
      local p = pty.spawn{"sh", "-c", "cat <&3", fds = {[3] = 0}}
      p:expect("from stdin", 5)
      print("seen")
    ]], nil, "echo from stdin | ")
    assert.equal("seen\n", r.stdout)
  end)

  it("takes as many extra descriptors as the C side can place, and one more raises", function()
    local core = require "ptyscript.core"
    local fds = {}
    for i = 3, 2 + core.MAX_EXTRA_FDS do fds[i] = "r" end
    -- (bash: dash redirects descriptors 0 to 9 only)
    local p = pty.spawn{ "bash", "-c", "for i in $(seq 3 " .. (2 + core.MAX_EXTRA_FDS)
      .. '); do echo "to $i" >&$i; done', fds = fds }
    for i = 3, 2 + core.MAX_EXTRA_FDS do p:stream(i):expect_exact("to " .. i, 5) end
    assert.is_true(p:wait(5))
    p:close()
    fds[3 + core.MAX_EXTRA_FDS] = "r"
    local ok, err = pcall(pty.spawn, { "true", fds = fds })
    assert.is_false(ok)
    assert.matches("spawn: fds: at most " .. core.MAX_EXTRA_FDS .. " extra descriptors", err, 1, true)
  end)

  it("says what is wrong with a mapping", function()
    local cases = {
      { { "true", fds = { [1] = "r" } }, "child descriptor 1 must be an integer from 3 to 255" },
      { { "true", fds = { [3] = "x" } }, "fds%[3%] must be \"r\", \"w\", an open Lua file" },
      { { "true", fds = { [3] = 250 } }, "fds%[3%]: descriptor 250 is not open" },
      { { "true", fds = { [3] = 4294967297 } }, "fds%[3%]: descriptor 4294967297 is not open" },
      { { "true", fds = "w" }, "fds must be a table" },
    }
    local closed = assert(io.open("/dev/null"))
    closed:close()
    cases[#cases + 1] = { { "true", fds = { [3] = closed } }, "fds%[3%]: the file is closed" }
    local many = {}
    for i = 3, 20 do many[i] = "w" end
    cases[#cases + 1] = { { "true", fds = many }, "at most 13 extra descriptors" }
    for _, c in ipairs(cases) do
      local ok, err = pcall(pty.spawn, c[1])
      assert.is_false(ok)
      assert.matches(c[2], err)
    end
    local p = pty.spawn{ "cat", fds = { [3] = "w", [4] = "r", [5] = io.stderr } }
    for _, c in ipairs{
      { function() p:write_fd(6, "x") end, "fd 6 of cat is not mapped" },
      { function() p:write_fd(4, "x") end, "fd 4 of cat is read by ptyscript" },
      { function() p:write_fd(5, "x") end, "the script's own file" },
      { function() p:close_fd(5) end, "the script's own file" },
      { function() p:write_fd(0, "x") end, "fd 0 of cat is its terminal" },
      { function() pty.spawn{ "cat", pty = false }:write_fd(1, "x") end, "fd 1 of cat is its stdout" },
      { function() p:stream(3):read() end, "is written, not read" },
      { function() p:write_fd("3", "x") end, "expected a child descriptor number" },
    } do
      local ok, err = pcall(c[1])
      assert.is_false(ok)
      assert.matches(c[2], err, 1, true)
    end
    p:close()
  end)
end)
