-- pty.repl (issue 5, item 8): the output between a command and the next
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
