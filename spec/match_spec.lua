-- Matching semantics (doc/manual.md, "Expecting" and "Matches"), against real
-- children in real ptys.  Children print with printf so that exactly the
-- bytes under test arrive (the pty turns \n into \r\n).
local pty = require "ptyscript"

local function sh(cmd, opts)
  opts = opts or {}
  return pty.sh(cmd, opts)
end

describe("expect matching", function()
  it("lets $ match at the end of what has arrived (a shell prompt)", function()
    local p = sh("printf 'welcome\\n$ '; read x; printf 'got %s\\n' \"$x\"")
    local m = p:expect("\\$ $", 5)
    assert.equal("$ ", m[0])
    assert.equal("welcome\r\n", m.before)
    p:sendline("hi")
    assert.equal("hi", p:expect("got (\\w+)")[1])
    p:close()
  end)

  it("prefers the match that starts earliest, ties going to list order", function()
    local p = sh("printf 'one two three\\n'; read x")
    local m = p:expect({ "three", "two", "t\\w+" }, 5)
    assert.equal(2, m.index)                 -- "two" starts before "three"
    assert.equal("two", m[0])
    assert.equal("one ", m.before)
    m = p:expect({ "th", "t\\w+", "three" }, 5)
    assert.equal(1, m.index)                 -- all start at the same byte: list order
    assert.equal("th", m[0])
    p:close()
  end)

  it("consumes the match and everything before it", function()
    local p = sh("printf 'a1 a2 a3\\n'; read x")
    assert.equal("1", p:expect("a(\\d)", 5)[1])
    assert.equal("2", p:expect("a(\\d)", 5)[1])
    local m = p:expect("a(\\d)", 5)
    assert.equal("3", m[1])
    assert.equal(" ", m.before)
    p:close()
  end)

  it("returns groups, false for a group that did not take part, and named groups", function()
    local p = sh("printf 'user=alice id=42\\n'; read x")
    local m = p:expect("user=(?<user>\\w+)( uid=\\d+)? id=(?<id>\\d+)", 5)
    assert.equal("user=alice id=42", m[0])
    assert.equal("alice", m[1])
    assert.is_false(m[2])
    assert.equal("42", m[3])
    assert.equal("alice", m.user)
    assert.equal("42", m.id)
    assert.equal(1, m.index)
    p:close()
  end)

  it("matches across reads", function()
    local p = sh("printf 'hel'; read x; printf 'lo world\\n'; read y", { echo = false })
    assert.equal(1, p:expect({ "hello", pty.TIMEOUT }, 0.2).index == 2 and 1 or 0)
    p:sendline("")
    local m = p:expect("hello (\\w+)", 5)
    assert.equal("world", m[1])
    p:close()
  end)

  it("matches a UTF-8 character split across two reads", function()
    local p = sh("printf 'caf\\303'; read x; printf '\\251!\\n'; read y", { echo = false })
    local t = p:expect({ "é", pty.TIMEOUT }, 0.2)
    assert.equal(2, t.index)
    p:sendline("")
    local m = p:expect("caf(.)!", 5)
    assert.equal("é", m[1])    -- one character, two bytes
    p:close()
  end)

  it("does not consume when a listed TIMEOUT fires; before shows what arrived", function()
    local p = sh("printf 'partial'; read x; printf ' done\\n'; read y")
    p:expect("part", 5)
    local m = p:expect({ "done", pty.TIMEOUT }, 0.2)
    assert.equal(2, m.index)
    assert.is_nil(m[0])
    assert.equal("ial", m.before)
    p:sendline("")
    m = p:expect("done", 5)
    assert.equal("ial ", m.before:gsub("\r\n", ""):sub(1, 4))
    p:close()
  end)

  it("gives all that remained at a listed EOF, consumed", function()
    local p = sh("printf 'tail without newline'")
    local m = p:expect({ "nomatch", pty.EOF }, 5)
    assert.equal(2, m.index)
    assert.is_nil(m[0])
    assert.equal("tail without newline", m.before)
    m = p:expect({ "x", pty.EOF }, 5)
    assert.equal("", m.before)
  end)

  it("anchors ^ at the start of the unconsumed output", function()
    local p = sh("printf 'abc abd\\n'; read x")
    assert.equal(2, p:expect({ "^abd", pty.TIMEOUT }, 0.2).index)
    assert.equal("abc", p:expect("^abc", 5)[0])
    p:close()
  end)

  it("checks what already arrived with a timeout of 0", function()
    local p = sh("printf 'ready\\n'; read x")
    p:expect("ready", 5)
    local m = p:expect({ "more", pty.TIMEOUT }, 0)
    assert.equal(2, m.index)
    p:sendline("")
    p:close()
  end)

  it("treats pty.exact and expect_exact as literals", function()
    local p = sh("printf 'cost: $5.00 (a+b)*\\n'; read x")
    local m = p:expect(pty.exact("$5.00 (a+b)*"), 5)
    assert.equal("$5.00 (a+b)*", m[0])
    assert.equal("cost: ", m.before)
    p:close()
    p = sh("printf '[x] done\\n'; read x")
    assert.equal("[x]", p:expect_exact("[x]", 5)[0])
    assert.equal(2, p:expect_exact({ "zzz", "done" }, 5).index)
    p:close()
  end)

  it("finds a literal split across reads, also with an overlapping prefix", function()
    local p = sh("printf 'xaaa'; read x; printf 'b tail\\n'; read y", { echo = false })
    assert.equal(2, p:expect({ pty.exact("aab"), pty.TIMEOUT }, 0.2).index)
    p:sendline("")
    local m = p:expect_exact("aab", 5)
    assert.equal("xa", m.before)
    assert.equal("aab", m[0])
    p:close()
  end)

  it("JIT-compiles a regex on its second use (where PCRE2's JIT is sound)", function()
    local core = require "ptyscript.core"
    local pat = pty.re("jit (\\d+)")
    local p = sh("printf 'jit 1 jit 2\\n'; read x")
    assert.equal("1", p:expect(pat, 5)[1])
    assert.is_false(pat._re:jit())
    assert.equal("2", p:expect(pat, 5)[1])
    assert.equal(core.jit_usable(), pat._re:jit())
    p:close()
  end)

  it("gives a regex the same meaning on every use: \\S over non-ASCII (PCRE2 10.42's JIT)", function()
    local p = sh("printf 'h\\303\\251llo h\\303\\251llo h\\303\\251llo\\n'; read x")
    for _ = 1, 3 do
      assert.equal("héllo", p:expect("(\\S+)", 5)[1])
    end
    p:close()
  end)

  it("skips output by a regex's first byte with the same results as a full search", function()
    -- match.c skips new output that holds no byte a match can start with;
    -- the case of a letter counts only where the regex ignores case.
    local p = sh("printf 'done1 dONE2 xx'; sleep 0.2; printf 'zz DONE3 '; sleep 0.2; "
      .. "printf '\\342\\204\\252elvin Kelvin xD yD DxDONE4'; read x")
    local m = p:expect("DONE[0-9]", 5)          -- case-sensitive: only DONE3
    assert.equal("DONE3", m[0])
    assert.equal("done1 dONE2 xxzz ", m.before)
    m = p:expect("(?i)kelvin", 5)               -- the Kelvin sign is a caseless k
    assert.equal("\226\132\170elvin", m[0])
    assert.equal("Kelvin", p:expect("(?i)kelvin", 5)[0])
    m = p:expect("(?<=y)D", 5)                  -- a lookbehind sees the bytes before
    assert.equal(" xD y", m.before)
    m = p:expect({ "(?i)d(?=x)", "DONE\\d" }, 5)
    assert.equal(1, m.index)
    assert.equal("D", m[0])
    assert.equal("DONE4", p:expect("[D]ONE\\d", 5)[0])
    p:close()
    local q = sh("printf 'abc'; sleep 0.2; printf 'ABC done'; read x")
    assert.equal("ABC", q:expect("(?i:a)BC", 5)[0])  -- "abc": B is not b
    assert.equal("done", q:expect("[Dd]one", 5)[0])
    q:close()
    -- A regex that can match the empty string gets no skipping, whatever
    -- first byte PCRE2 names for it: PCRE2 finds the empty match in "zz"
    -- at once, without waiting for the "yyy" that comes 0.3 s later.
    local r = sh("printf zzz; sleep 0.3; printf yyy; read x")
    r:expect("z", 5)
    local e = r:expect("(*ACCEPT)(?i)s*a", 5)
    assert.equal("", e[0])
    assert.equal("zz", e.before)
    r:close()
  end)

  it("supports pty.re flags i, m, s, x", function()
    local p = sh("printf 'Hello\\nWORLD\\n'; read x")
    local m = p:expect(pty.re("hello\\r\\n(world)", "i"), 5)
    assert.equal("WORLD", m[1])
    p:close()
    p = sh("printf 'a\\nb\\n'; read x")
    assert.equal("a\r\nb", p:expect(pty.re("a . . b  # dot matches newline", "sx"), 5)[0])
    p:close()
    p = sh("printf 'x\\nline2\\n'; read x")
    assert.equal(2, p:expect({ "^line\\d", pty.TIMEOUT }, 0.2).index)
    assert.equal("line2", p:expect(pty.re("^line\\d", "m"), 5)[0])
    p:close()
  end)

  it("raises on an invalid regex with PCRE2's message and the offset", function()
    local p = sh("read x")
    local ok, err = pcall(p.expect, p, "ab(c", 1)
    assert.is_false(ok)
    assert.matches("missing closing parenthesis at offset 4", err)
    assert.matches("match_spec.lua:%d+:", err)
    ok, err = pcall(pty.re, "x", "q")
    assert.is_false(ok)
    assert.matches("unknown pattern flag 'q'", err)
    ok, err = pcall(p.expect, p, 42, 1)
    assert.is_false(ok)
    assert.matches("pattern is a number", err)
    p:close()
  end)

  it("matches output containing NUL bytes and invalid UTF-8", function()
    local p = sh("printf 'a\\000b\\377\\376c marker\\n'; read x")
    local m = p:expect("c (marker)", 5)
    assert.equal("marker", m[1])
    assert.equal("a\0b\255\254", m.before)
    p:close()
    p = sh("printf '\\377\\000\\377END'; read x")
    m = p:expect("E.D", 5)
    assert.equal("\255\0\255", m.before)
    p:close()
  end)

  it("keeps memory within maxbuf: before holds the newest bytes", function()
    local p = pty.spawn{ "sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' 'x'; printf 'END\\n'; read x",
      maxbuf = 4096 }
    local m = p:expect("END", 20)
    assert.is_true(#m.before <= 4096)
    assert.equal(string.rep("x", #m.before), m.before)
    p:close()
  end)

  it("raises an error object for an unlisted timeout", function()
    local p = pty.spawn{ "sh", "-c", "printf 'Connection closed\\n\\033[0m'; read x", name = "ssh" }
    p:expect("closed", 5)
    local ok, e = pcall(p.expect, p, "[Pp]assword: ", 0.2)
    assert.is_false(ok)
    assert.equal("timeout", e.kind)
    assert.equal(p, e.process)
    assert.equal(0.2, e.timeout)
    assert.equal("\r\n\27[0m", e.before)
    assert.equal("[Pp]assword: ", e.patterns[1].source)
    local msg = tostring(e)
    assert.matches("^spec/match_spec.lua:%d+: timeout %(0.2s%) waiting for /%[Pp%]assword: / from ssh %(pid %d+, running%)", msg)
    assert.matches('last output: "\\r\\n\\x1b[0m"', msg, 1, true)
    p:close()
  end)

  it("names at most five patterns in a timeout or EOF message, then how many more", function()
    local list = {}
    for i = 1, 10000 do list[i] = "never" .. i end
    local p = sh("printf 'ready\\n'; read x")
    p:expect("ready", 5)
    local ok, e = pcall(p.expect, p, list, 0)
    assert.is_false(ok)
    assert.equal(10000, #e.patterns)         -- the error object keeps them all
    assert.equal("never10000", e.patterns[10000].source)
    local msg = tostring(e)
    assert.matches("waiting for /never1/ or /never2/ or /never3/ or /never4/ or /never5/ "
      .. "and 9995 more from sh (pid ", msg, 1, true)
    assert.is_nil(msg:find("never6", 1, true))
    assert.is_true(#msg < 500, #msg)
    p:sendline("")
    ok, e = pcall(p.expect, p, list, 5)
    assert.is_false(ok)
    assert.equal("eof", e.kind)
    assert.matches("end of output (EOF) waiting for /never1/ or /never2/ or /never3/ or "
      .. "/never4/ or /never5/ and 9995 more from sh", tostring(e), 1, true)
    assert.is_true(#tostring(e) < 500)
    -- five patterns are all named
    ok, e = pcall(p.expect, p, { "a", "b", "c", "d", "e" }, 0)
    assert.matches("waiting for /a/ or /b/ or /c/ or /d/ or /e/ from sh", tostring(e), 1, true)
    p:close()
  end)

  it("names at most five patterns in --trace lines, then how many more", function()
    local H = require "helpers"
    local path = H.script([[
local list = {}
for i = 1, 9999 do list[i] = "never" .. i end
list[10000] = "hit"
local p = pty.spawn{ "sh", "-c", "echo hit; read x", echo = false }
assert(p:expect(list, 5).index == 10000)
pcall(p.expect, p, list, 0)
p:close()
]])
    local r = H.run({ "--trace", path })
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    assert.matches('sh: /hit/ matched "hit" (pattern 10000, /never1/ or /never2/ or /never3/ '
      .. "or /never4/ or /never5/ and 9995 more)\n", r.stderr, 1, true)
    assert.matches("timeout (0s) waiting for /never1/ or /never2/ or /never3/ or /never4/ or "
      .. "/never5/ and 9995 more from sh", r.stderr, 1, true)
    assert.is_true(#r.stderr < 2000, #r.stderr)
  end)

  it("raises an error object for an unlisted EOF, with the exit status", function()
    local p = sh("printf 'bye\\n'; exit 3")
    local ok, e = pcall(p.expect, p, "never", 5)
    assert.is_false(ok)
    assert.equal("eof", e.kind)
    assert.equal("bye\r\n", e.before)
    p:wait()
    assert.matches("end of output %(EOF%) waiting for /never/ from sh %(pid %d+, exited 3%)", tostring(e))
  end)

  it("uses pty.timeout when no timeout is given", function()
    local saved = pty.timeout
    pty.timeout = 0.15
    local p = sh("read x")
    local t0 = pty.now()
    local ok, e = pcall(p.expect, p, "never")
    pty.timeout = saved
    assert.is_false(ok)
    assert.equal(0.15, e.timeout)
    assert.is_true(pty.now() - t0 >= 0.14)
    p:close()
  end)

  it("rejects bad timeouts", function()
    local p = sh("read x")
    for _, t in ipairs({ -1, 0 / 0, "soon" }) do
      local ok, err = pcall(p.expect, p, "x", t)
      assert.is_false(ok)
      assert.matches("timeout must be a number of seconds >= 0", err)
    end
    p:close()
  end)
end)

-- A failed expect's message explains the classic mistakes it can see in
-- the output: a prompt's "$" taken as regex syntax, the case, "\n"
-- where the terminal sends "\r\n", escape sequences in the output; and
-- in the pattern alone, a Lua pattern class where PCRE2 wants "\d".
-- Nothing when nothing looks alike.
describe("a failed expect's hints", function()
  local function failure(cmd, pat, how, opts)
    local p = sh(cmd .. "; sleep 5", opts)
    local ok, err = pcall(p[how or "expect"], p, pat, 0.5)
    p:close()
    assert.is_false(ok)
    return err.message
  end

  it("says a regex's special characters kept it from matching text that is there", function()
    assert.matches('hint: /%$ / is a regular expression, and the output has "%$ " as text: '
      .. "use expect_exact or pty.exact for text",
      failure("printf 'user@host:~$ '", "$ "))
  end)

  it("says the pattern matches if case is ignored", function()
    assert.matches('hint: /password:/ matches if case is ignored %(add flag "i" with pty.re%)',
      failure("printf 'Password: '", "password:"))
    assert.matches('hint: "ONE" is in the output with other case',
      failure("printf 'one\\n'", "ONE", "expect_exact"))
  end)

  it("says the terminal sends \\r\\n where the pattern has \\n", function()
    assert.matches('hint: a terminal ends each line with "\\r\\n"',
      failure("printf 'one\\ntwo\\n'", "one\ntwo"), 1, true)
    assert.matches('hint: a terminal ends each line with "\\r\\n"',
      failure("printf 'one\\ntwo\\n'", "one\ntwo", "expect_exact"), 1, true)
  end)

  it("says a Lua pattern class is not PCRE2's, whatever the output", function()
    local msg = failure("printf 'answer 42\\n'", "answer (%d+)")
    assert.matches('hint: /answer (%d+)/ has %d, a Lua pattern class; PCRE2 writes \\d '
      .. '(in a Lua string "\\\\d", or [[\\d]])', msg, 1, true)
    msg = failure("true", { "never", "(%s*)(%a+)" })
    assert.matches("hint: /(%s*)(%a+)/ has %s, a Lua pattern class; PCRE2 writes \\s", msg, 1, true)
    -- a literal is not a pattern; "%" before other letters is no class
    assert.is_nil(failure("true", "100%d", "expect_exact"):find("hint", 1, true))
    assert.is_nil(failure("true", "50%zz"):find("hint", 1, true))
    -- and on a screen
    local p = pty.spawn{ "sh", "-c", "echo 'answer 42'; sleep 5", screen = true }
    local ok, e = pcall(p.expect_screen, p, "answer (%d+)", 0.3)
    p:close()
    assert.is_false(ok)
    assert.matches("hint: /answer (%d+)/m has %d, a Lua pattern class", e.message, 1, true)
  end)

  it("says the output holds escape sequences, and what to spawn with instead", function()
    local cmd = "printf '\\033[1mhi\\033[0m there\\n'"
    local msg = failure(cmd, "hi there", nil, { term = "xterm" })
    assert.matches("hint: the output holds terminal escape sequences (\\x1b...), which a pattern "
      .. 'must match too: the child was told its terminal is xterm (TERM); spawn it with term = '
      .. '"dumb" for plain output, or with screen = true and use p:expect_screen', msg, 1, true)
    msg = failure(cmd, "hi there")   -- (a program that ignores TERM=dumb)
    assert.matches("hint: the output holds terminal escape sequences (\\x1b...), which a pattern "
      .. "must match too (although its TERM is dumb): match them", msg, 1, true)
    msg = failure(cmd, "hi there", nil, { screen = true })
    assert.matches("p:expect_screen matches the screen's text instead", msg, 1, true)
    msg = failure(cmd .. " >&2", "hi there", "expect", { pty = false })
    assert.is_nil(msg:find("hint", 1, true), msg)   -- (stdout has none)
    local p = pty.spawn{ "sh", "-c", cmd .. " >&2; sleep 5", pty = false }
    local ok, e = pcall(p.stderr.expect, p.stderr, "hi there", 0.3)
    p:close()
    assert.is_false(ok)
    local want = "(although its TERM is dumb): match them (say, /\\x1b\\[[0-9;?]*[A-Za-z]/)"
    assert.equal(want, e.message:sub(-#want))   -- (no screen with pipes)
  end)

  it("says a program finds TERM=dumb not capable enough (less)", function()
    local p = pty.spawn("less", "/etc/passwd")
    local ok, e = pcall(p.expect, p, "root", 1)
    p:close()
    assert.is_false(ok)
    assert.matches("terminal is not fully functional", e.message, 1, true)
    assert.matches("hint: the program finds its terminal not capable enough: its TERM is dumb "
      .. "(ptyscript's default); spawn a full-screen program with screen = true (or term = "
      .. '"xterm-256color")', e.message, 1, true)
  end)

  it("gives no hint when nothing in the output looks like the pattern #slow", function()
    local msg = failure("printf 'hello\\n'", "goodbye")
    assert.matches("last output: \"hello\\r\\n\"$", msg)
    assert.is_nil(msg:find("hint", 1, true))
    -- Found by review: a case-insensitive piece of a word, a regex with
    -- flag x (spaces ignored), "\n" in a character class, a secret.
    for _, case in ipairs{
      { "printf 'ERROR: link broken\\n'", "OK" },
      { "printf 'ERROR: link broken\\n'", "OK", "expect_exact" },
      { "printf 'Enter name: '", pty.re("Enter name:", "x") },
      { "printf 'ready\\r'", "ready[\n]" },
    } do
      msg = failure(case[1], case[2], case[3])
      assert.is_nil(msg:find("hint", 1, true), msg)
    end
    local p = sh("read x; echo \"$x\"; sleep 5")
    p:sendline("hunter2-SECRET", { secret = true })
    local ok, err = pcall(p.expect, p, "secret", 0.5)
    p:close()
    assert.is_false(ok)
    assert.is_nil(err.message:find("hint", 1, true), err.message)
  end)
end)
