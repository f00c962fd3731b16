-- Transcripts (issue 5, item 2): --log FILE and p:log(target), with
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

  it("--log with a file that cannot be opened is bad usage", function()
    local r = H.run({ "--log", "/nonexistent-dir/x.log", "-e", "print(1)" })
    assert.equal(2, r.code)
    assert.matches("%-%-log: /nonexistent%-dir/x.log: No such file or directory", r.stderr)
  end)
end)
