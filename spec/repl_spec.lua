-- pty.repl: the output between a command and the next
-- prompt, without the echo, with "\n" line endings.
local pty = require "ptyscript"

describe("pty.repl", function()
  it("drives sh with a unique prompt (prompt_change)", function()
    local r = pty.repl{ "sh", prompt_change = "PS1=%q", env = { ENV = false } }
    assert.equal("42\n", r:run("echo $((6 * 7))"))
    assert.equal("line 1\nline 2\n", r:run("for i in 1 2; do echo line $i; done"))
    assert.equal("", r:run("true"))
    r:close()
  end)

  it("drives python3 -i, with continuation prompts for a block", function()
    local r = pty.repl{ "/usr/bin/python3", "-i", "-q", prompt = ">>> ", cont = "\\.\\.\\. " }
    assert.equal("42\n", r:run("print(6 * 7)"))
    assert.equal("", r:run("def f(x):\n    return x + 1\n\n"))
    assert.equal("42\n", r:run("print(f(41))"))
    assert.matches("ZeroDivisionError", r:run("1 / 0"))
    r:close()
  end)

  it("drives bc, which has no prompt, with a sentinel", function()
    local r = pty.repl{ "bc", "-q", sentinel = 'print "%s\\n"' }
    assert.equal("1024\n", r:run("2^10"))
    assert.equal("15\n", r:run("x = 5\nx * 3"))
    r:close()
  end)

  it("needs a prompt, a prompt_change or a sentinel", function()
    local ok, err = pcall(pty.repl, { "sh" })
    assert.is_false(ok)
    assert.matches("repl: give prompt %(a pattern%), prompt_change or sentinel", err)
  end)
end)

describe("pty.repl's run", function()
  local PY = { "/usr/bin/python3", "-i", "-q", prompt = ">>> ", cont = "\\.\\.\\. " }

  it("ends a block with one more empty line when the text ends with a newline", function()
    local r = pty.repl(PY)
    assert.equal("0\n1\n2\n", r:run("for a in range(3): print(a)\n", 10))
    assert.equal("0\n1\n", r:run("for a in range(2):\n    print(a)\n", 10))
    assert.equal("42\n", r:run("print(6 * 7)", 10))
    r:close()
  end)

  it("raises at once on input that leaves the REPL at its continuation prompt, and goes on", function()
    local r = pty.repl(PY)
    local t0 = pty.now()
    local ok, err = pcall(r.run, r, "for a in range(3):", 30)
    assert.is_false(ok)
    assert.matches('run: incomplete input: the REPL waits for more %(continuation prompt '
      .. '/\\%.\\%.\\%. / after the last line', tostring(err))
    assert.is_true(pty.now() - t0 < 15, "it waited for the timeout")
    assert.equal("7\n", r:run("print(7)", 10))
    ok, err = pcall(r.run, r, "if True:\n    x = 1", 30)
    assert.is_false(ok)
    assert.matches("run: incomplete input", tostring(err))
    assert.equal("8\n", r:run("print(8)", 10))
    r:close()
  end)

  it("splits lines on \\r\\n, \\n and \\r, and every answer belongs to its command", function()
    local r = pty.repl{ "sh", prompt_change = "PS1=%q", env = { ENV = false } }
    assert.equal("begin\ndone\n", r:run("echo begin\r\necho done", 10))
    assert.equal("one\n", r:run("echo one", 10))
    assert.equal("a\nb\n", r:run("echo a\recho b\r", 10))
    assert.equal("two\n", r:run("echo two\r\n", 10))
    assert.equal("three\n", r:run("echo three", 10))
    r:close()
  end)

  it("gives the answer of a run that timed out to nobody: the next run gets its own", function()
    local flag = os.tmpname()
    os.remove(flag)
    local r = pty.repl(PY)
    r:run("import os, time", 10)
    local ok, err = pcall(r.run, r, string.format(
      "while not os.path.exists(%q): time.sleep(0.01)\n\nprint('late')", flag), 0.3)
    assert.is_false(ok)
    assert.matches("timeout", tostring(err))
    io.open(flag, "w"):close()   -- the loop ends; its prompt comes after the timeout
    assert.equal("next\n", r:run("print('next')", 10))
    assert.equal("after\n", r:run("print('after')", 10))
    os.remove(flag)
    r:close()
  end)

  it("does not take a prompt in the output, with more output after it, for the prompt", function()
    local r = pty.repl(PY)
    assert.equal("a>>> b\n", r:run('print("a>>> b")', 10))
    assert.equal("x... y\n", r:run('print("x... y")', 10))
    assert.equal("2\n", r:run("print(2)", 10))
    r:close()
  end)

  it("reports a prompt that answers no command of run, and is in step after it", function()
    local r = pty.repl{ "sh", prompt_change = "PS1=%q", env = { ENV = false } }
    r.p:sendline("echo stray")
    r.p:expect("stray\\r\\n(?=PTYSCRIPT7d1ePROMPT)", 10)   -- the stray prompt has come, unread
    local ok, err = pcall(r.run, r, "echo mine", 10)
    assert.is_false(ok)
    assert.matches("run: the REPL printed a prompt that answers no command of run", tostring(err))
    assert.equal("again\n", r:run("echo again", 10))
    r:close()
  end)

  it("takes the unique prompt anywhere after the echo of the input (prompt_change, sentinel)", function()
    local r = pty.repl{ "sh", prompt_change = "PS1=%q", env = { ENV = false } }
    assert.equal("x", r:run("printf x", 10))
    assert.equal("y\n", r:run("echo y", 10))
    r:close()
    -- the terminal echoes the input, and the prompt_change command holds
    -- the prompt after "PS1=": its echo is not taken for the prompt
    r = pty.repl{ "sh", prompt_change = "PS1=%s", env = { ENV = false }, echo = true }
    assert.equal("x", r:run("printf x", 10))
    assert.equal("z\n", r:run("echo z", 10))
    r:close()
    r = pty.repl{ "bc", "-q", sentinel = 'print "%s\\n"' }
    assert.equal("x", r:run('print "x"', 10))
    assert.equal("1024\n", r:run("2^10", 10))
    r:close()
  end)
end)

describe("pty.repl's options", function()
  it("are checked before anything starts, naming the option", function()
    local function raises(text, spec)
      local ok, err = pcall(pty.repl, spec)
      assert.is_false(ok)
      assert.matches(text, tostring(err), 1, true)
    end
    raises("repl: prompt must be a pattern (a string regex, pty.re() or pty.exact()), got number",
      { "sh", prompt = 5 })
    raises("repl: cont must be a pattern (a string regex, pty.re() or pty.exact()), got EOF",
      { "sh", prompt = "$ ", cont = pty.EOF })
    raises("repl: env must be a table, got string", { "sh", prompt = "$ ", env = "A=b" })
    raises("repl: prompt_change must hold %s (or %q) where the prompt goes",
      { "sh", prompt_change = "PS1=x" })
    raises("repl: sentinel must have some text before %s", { "sh", sentinel = "%s" })
    raises("repl: prompt_change must be one line without NUL bytes",
      { "sh", prompt_change = "PS1=%s\nPS2=" })
    raises("repl: prompt_change must be a format string such as", { "sh", prompt_change = true })
    raises("repl: give prompt_change or sentinel, not both",
      { "sh", prompt_change = "PS1=%q", sentinel = "echo %s" })
  end)
end)
