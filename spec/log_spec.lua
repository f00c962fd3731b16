-- Transcripts: --log FILE and p:log(target), with
-- secrets written as *** even where the child echoes them.
local pty = require "ptyscript"
local H = require "helpers"

describe("transcripts", function()
  it("--log appends every session's output; an echoed secret is ***", function()
    local log = H.tmpname()
    local path = H.script([[
      local a = pty.spawn("cat")                       -- echo on: printed twice
      a:sendline("pw-7f3a9c", {secret = true})
      a:expect("pw-7f3a9c\r\n.*pw-7f3a9c\r\n")
      a:sendline("visible")
      a:expect("visible\r\n.*visible\r\n")
      local b = pty.sh("echo second session")
      b:expect(pty.EOF)
    ]])
    local r = H.run({ "--log", log, path })
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    local text = H.read(log)
    os.remove(log)
    assert.equal("***\r\n***\r\nvisible\r\nvisible\r\nsecond session\r\n", text)
  end)

  it("p:log(function, {sent = true}) sees output and input, the secret as ***", function()
    local p = pty.spawn{ "cat", echo = false }
    local got = {}
    p:log(function(data, kind) got[#got + 1] = kind .. ":" .. data end, { sent = true })
    p:sendline("s3cret-value", { secret = true })
    p:expect("value\r\n", 5)
    p:sendline("plain")
    p:expect("plain\r\n", 5)
    pty.sleep(0.01)
    assert.same({ "i:***\r", "o:***\r\n", "i:plain\r", "o:plain\r\n" }, got)
    p:close()
  end)

  it("p:log(file) writes to an open file; bad targets raise", function()
    local name = H.tmpname()
    local f = assert(io.open(name, "wb"))
    local p = pty.sh("echo to-file")
    p:log(f)
    p:expect(pty.EOF, 5)
    f:close()
    assert.equal("to-file\r\n", H.read(name))
    os.remove(name)
    local ok, err = pcall(p.log, p, 42)
    assert.is_false(ok)
    assert.matches("log: expected a file name, an open file or a function, got number", err)
    ok, err = pcall(p.log, p, "/nonexistent-dir/x.log")
    assert.is_false(ok)
    assert.matches("log: /nonexistent%-dir/x.log: No such file or directory", err)
  end)

  it("--log keeps what a child printed, unread, when the script ends without close (as --show shows it)", function()
    local log = H.tmpname()
    finally(function() os.remove(log) end)
    local r = H.run({ "--show", "--log", log, "-e", [[
      local p = pty.sh("printf '%s-%s\\n' end unread")
      while p:alive() do end   -- it has printed and exited; nothing read it
    ]] })
    assert.equal(0, r.code, r.stderr)
    assert.equal("end-unread\r\n", r.stdout)
    assert.equal("end-unread\r\n", H.read(log))
  end)

  it("--log with a file that cannot be opened is bad usage", function()
    local r = H.run({ "--log", "/nonexistent-dir/x.log", "-e", "print(1)" })
    assert.equal(2, r.code)
    assert.matches("%-%-log: /nonexistent%-dir/x.log: No such file or directory", r.stderr)
  end)

  it("--log /dev/stderr writes to standard error (our own descriptors' names)", function()
    local r = H.run({ "--log", "/dev/stderr", "-e", [[
      local p = pty.sh("echo to-stderr")
      p:expect(pty.EOF)
    ]] })
    assert.equal(0, r.code, r.stderr)
    assert.equal("to-stderr\r\n", r.stderr)
    assert.equal("", r.stdout)
  end)

  it("close closes the files p:log and p:record opened, not one the script gave", function()
    local dir = H.tmpdir()
    local mine = assert(io.open(dir .. "/mine.log", "ab"))
    local before = H.nfds()
    local kept = {}
    for i = 1, 20 do
      local p = pty.sh("echo session " .. i)
      p:log(dir .. "/all.log")
      p:record(dir .. "/s" .. i .. ".cast")
      p:log(mine)
      p:expect(pty.EOF, 5)
      p:close()
      kept[i] = p
    end
    local after = H.nfds()
    assert.is_true(after <= before + 2, string.format("%d descriptors before, %d after", before, after))
    assert.equal("file", io.type(mine))
    mine:close()
    local all = H.read(dir .. "/all.log")
    assert.matches("^session 1\r\n.*session 20\r\n$", all)
    assert.matches('"o", "session 20\\r\\n"', H.read(dir .. "/s20.cast"))
    os.execute("rm -rf " .. H.q(dir))
  end)

  it("p:log after spawn misses nothing, even when the script asked the state of a child that has exited", function()
    -- output is read only while the script waits: asking whether the
    -- child is alive (or printing it) reads nothing
    local p = pty.sh("echo early-bird")
    local spins = 0
    while p:alive() do spins = spins + 1 end   -- no wait: the loop never runs
    assert.is_truthy(tostring(p):find("exited 0", 1, true))
    local got = {}
    p:log(function(data) got[#got + 1] = data end)
    p:expect(pty.EOF, 5)
    p:close()
    assert.equal("early-bird\r\n", table.concat(got))
  end)

  it("close keeps for the transcripts what the child printed before it, unread", function()
    local dir = H.tmpdir()
    local printed = dir .. "/printed"
    local p = pty.sh("echo before-close; : > " .. H.q(printed) .. "; sleep 30")
    p:log(dir .. "/c.log")
    -- the child has printed once the file is there; the script does not
    -- wait (nothing reads)
    local t0 = os.time()
    while not H.read(printed) and os.time() - t0 < 30 do end
    p:close()
    assert.equal("before-close\r\n", H.read(dir .. "/c.log"))
    os.execute("rm -rf " .. H.q(dir))
  end)

  it("p:log and p:record after close raise, and open no file (nothing would close it)", function()
    local dir = H.tmpdir()
    local p = pty.sh("echo hi")
    p:close()
    collectgarbage()   -- (earlier tests' garbage closing its descriptors meanwhile is no leak)
    collectgarbage()
    local before = H.nfds()
    for _ = 1, 10 do
      local ok, err = pcall(p.log, p, dir .. "/x.log")
      assert.is_false(ok)
      assert.matches("log: sh %(pid %d+, .*%) was closed", err)
      ok, err = pcall(p.record, p, dir .. "/x.cast")
      assert.is_false(ok)
      assert.matches("record: sh %(pid %d+, .*%) was closed", err)
    end
    -- none of ours points into dir, and none was added (earlier tests'
    -- garbage may still close some of its own meanwhile)
    local links = H.sh("ls -l /proc/" .. H.pid() .. "/fd").stdout
    assert.is_nil(links:find(dir, 1, true), "a descriptor into " .. dir .. ":\n" .. links)
    assert.is_true(H.nfds() <= before, "descriptors before and after")
    assert.is_nil(H.read(dir .. "/x.log"))
    assert.is_nil(H.read(dir .. "/x.cast"))
    os.execute("rm -rf " .. H.q(dir))
  end)

  it("a failed --log write is said once, with the file and the reason, and the status is 1", function()
    local r = H.run({ "--log", "/dev/full", "-e", [[
      local p = pty.spawn("cat")
      for i = 1, 5 do
        p:sendline("line " .. i)
        p:expect("line " .. i .. "\r\n.*\r\n")
      end
      print("ran to the end")
    ]] })
    assert.equal(1, r.code, r.stderr)
    assert.equal("ran to the end\n", r.stdout)
    assert.equal("ptyscript: --log /dev/full: write failed: No space left on device\n", r.stderr)
  end)

  it("a --log pipe whose reader has gone is an error, not a death by SIGPIPE", function()
    local path = H.script([[
      local p = pty.spawn("cat")
      for i = 1, 2000 do
        p:sendline("line " .. i)
        p:expect("line " .. i .. "\r\n.*\r\n")
        if #pty.transcript_errors > 0 then break end
        pty.sleep(0.002)
      end
      io.stderr:write("errors: ", #pty.transcript_errors, "\n")
    ]])
    -- the log goes to a pipe read by head, which leaves after one byte
    local r = H.sh(string.format("{ %s --log /dev/fd/3 %s 3>&1 >/dev/null; echo \"status $?\" >&2; } | head -c 1 >/dev/null",
      H.q(H.bin), H.q(path)))
    os.remove(path)
    assert.matches("ptyscript: %-%-log /dev/fd/3: write failed: Broken pipe\n", r.stderr)
    assert.matches("errors: 1\n", r.stderr)
    assert.matches("status 1\n$", r.stderr)
  end)

  it("in plain Lua a failed p:log write is said on stderr and kept in pty.transcript_errors", function()
    local n = #pty.transcript_errors
    local p = pty.sh("echo to-full")
    p:log("/dev/full")
    p:expect(pty.EOF, 5)
    p:close()
    assert.equal(n + 1, #pty.transcript_errors)
    assert.equal("log /dev/full: write failed: No space left on device", pty.transcript_errors[n + 1])
  end)
end)
