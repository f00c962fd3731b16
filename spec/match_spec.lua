-- Matching semantics (doc/manual.md, "Expecting" and "Matches"), against real
-- children in real ptys.  Children print with printf so that exactly the
-- bytes under test arrive (the pty turns \n into \r\n).  With the bad input
-- and faults of expect: invalid patterns and wrong arguments, NUL bytes and
-- invalid UTF-8, a 100 MB line, expect after EOF, timeouts of every kind,
-- and a flood of output that never matches.
local pty = require "ptyscript"
local H = require "helpers"

local NAN = 0 / 0
local MiB = 1024 * 1024
local raises, victim, intact, fields = H.raises, H.victim, H.intact, H.fields

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

  it("says a Lua pattern escape is not PCRE2's, and what the Lua pattern matches in the output", function()
    local msg = failure("printf '(gdb) '", "%(gdb%) ")
    assert.matches('hint: /%(gdb%) / has %(, a Lua pattern escape; PCRE2 escapes with a backslash: '
      .. '"\\\\(" in a Lua string, or [[\\(]] (as a Lua pattern it matches "(gdb) " in the output)',
      msg, 1, true)
    -- a class, with what it matches
    assert.matches('(as a Lua pattern it matches "answer 42" in the output)',
      failure("printf 'answer 42\n'", "answer (%d+)"), 1, true)
    -- without a match in the output, the hint alone; "%" before other
    -- punctuation, or in text, is no escape
    msg = failure("true", "1%.5")
    assert.matches("hint: /1%.5/ has %., a Lua pattern escape", msg, 1, true)
    assert.is_nil(msg:find("as a Lua pattern it matches", 1, true))
    assert.is_nil(failure("true", "50%,"):find("hint", 1, true))
    assert.is_nil(failure("true", "%(x", "expect_exact"):find("hint", 1, true))
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
    -- No hint for patterns that only look like a near miss: a
    -- case-insensitive piece of a word, a regex with flag x (spaces
    -- ignored), "\n" in a character class, a secret.
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

describe("an invalid regex", function()
  it("raises PCRE2's message and offset at the caller's line, and consumes nothing", function()
    local p = victim()
    raises("expect: invalid pattern /a(b/: missing closing parenthesis at offset 3", function() p:expect("a(b", 5) end)
    raises("re: invalid pattern /[z-a]/: range out of order in character class at offset 3", function() pty.re("[z-a]") end)
    raises("expect: invalid pattern /x{2,1}/: numbers out of order in {} quantifier at offset 5", function() p:expect({ "BBB", "x{2,1}" }, 5) end)
    raises("expect: invalid pattern /\\/: \\ at end of pattern at offset 1", function() p:expect("\\", 5) end)
    raises("re: invalid pattern /a{70000}/: number too big in {} quantifier at offset 7", function() pty.re("a{70000}") end)
    raises("re: unknown pattern flag 'q' (flags are i, m, s, x)", function() pty.re("a", "q") end)
    -- the same bad pattern a second time (the compile cache must not
    -- remember a failure as a success)
    raises("expect: invalid pattern /a(b/: missing closing parenthesis at offset 3", function() p:expect("a(b", 5) end)
    intact(p)
  end)

  it("reports invalid UTF-8 in a pattern with PCRE2's UTF-8 error, the bytes escaped", function()
    local p = victim()
    local _, msg = raises("expect: invalid pattern /a\\xff/: UTF-8 error: illegal byte (0xfe or 0xff) at offset 1", function() p:expect("a\255", 5) end)
    assert.is_nil(msg:find("[\128-\255]"), "raw bytes in the message: " .. msg)
    _, msg = raises("re: invalid pattern /\\xc0\\x80/: UTF-8 error: overlong 2-byte sequence at offset 0", function() pty.re("\192\128") end)
    assert.is_nil(msg:find("[\128-\255]"), "raw bytes in the message: " .. msg)
    intact(p)
  end)

  it("raises a clear error, naming the pattern, when a pattern backtracks past PCRE2's match limit", function()
    -- hostile output for a careless pattern: exponential backtracking
    local p = pty.sh("printf '" .. string.rep("a", 40) .. "b\\n'; printf 'AAA BBB\\n'; exec cat",
      { echo = false, name = "victim" })
    local _, msg = raises("expect: ", function() p:expect("(a+)+c", 5) end)
    assert.matches("(a+)+c", msg, 1, true)
    assert.matches("match limit", msg, 1, true)
    -- nothing consumed, the session goes on
    p:expect("AAA(?= BBB\\r\\n)", 5)
    intact(p)
  end)
end)

describe("wrong argument types", function()
  it("to expect and expect_exact", function()
    local p = victim()
    local PATS = "; expected a string (regex), pty.exact(), pty.re(), pty.EOF or pty.TIMEOUT"
    raises("expect: pattern is a nil" .. PATS, function() p:expect() end)
    raises("expect: pattern is a number" .. PATS, function() p:expect(5) end)
    raises("expect: pattern is a boolean" .. PATS, function() p:expect(true) end)
    raises("expect: pattern is a function" .. PATS, function() p:expect(print) end)
    raises("expect: pattern 2 is a number" .. PATS, function() p:expect({ "BBB", 5 }) end)
    raises("expect: the pattern list is empty", function() p:expect({}) end)
    raises('expect: timeout must be a number of seconds >= 0 (got the string "x")', function() p:expect("BBB", "x") end)
    raises("expect: timeout must be a number of seconds >= 0 (got -1)", function() p:expect("BBB", -1) end)
    raises("expect: timeout must be a number of seconds >= 0 (got ", function() p:expect("BBB", NAN) end)
    raises("expect: timeout must be a number of seconds >= 0 (got -1)", function() p:expect({ "BBB", pty.EOF }, -1) end)
    raises("expect_exact: pattern is a nil" .. PATS, function() p:expect_exact() end)
    raises("expect_exact: pattern is a number" .. PATS, function() p:expect_exact(5) end)
    raises("expect_exact: pattern 2 is a number" .. PATS, function() p:expect_exact({ "BBB", 5 }) end)
    raises("expect_exact: the pattern list is empty", function() p:expect_exact({}) end)
    -- keys are no names for patterns: the message shows the list form and named groups
    local KEYED = ': a list is {pat1, pat2, ...}, in order (m.index says which matched); to name the arms, use named groups in one pattern, '
    raises('expect: the pattern list has the keys "err", "ok"' .. KEYED .. '"(?<err>...)|(?<ok>...)", and test m.err, m.ok', function() p:expect({ ok = "BBB", err = "ERR" }) end)
    raises('expect: the pattern list has the key "done"' .. KEYED .. '"(?<done>...)", and test m.done', function() p:expect({ "BBB", done = "x" }) end)
    raises('expect: the pattern list has the key "a b"' .. KEYED .. '"(?<name>...)", and test m.name', function() p:expect({ ["a b"] = "x" }) end)
    raises('expect_exact: the pattern list has the key "ok"' .. KEYED .. '"(?<ok>...)", and test m.ok', function() p:expect_exact({ ok = "BBB" }) end)
    raises("expect: the pattern list has a hole (a nil before pattern 3)", function() p:expect({ [1] = "BBB", [3] = "x" }) end)
    raises('expect_exact: timeout must be a number of seconds >= 0 (got the string "x")', function() p:expect_exact("BBB", "x") end)
    intact(p)
  end)
end)

describe("NUL bytes and invalid UTF-8", function()
  it("in the output: expect, read and readline deliver them byte-exact", function()
    -- a truncated UTF-8 sequence as the very last bytes before EOF
    local q = pty.sh("printf 'tail\\342\\202'")
    assert.equal("tail\226\130", q:expect(pty.EOF, 5).before)
    assert.same({ true, "exit", 0 }, { q:wait(5) })
    q = pty.sh("printf 'tail\\000\\342\\202'")
    assert.equal("tail", q:expect("tail", 5)[0])
    local got = {}
    while true do
      local s = q:read(5)
      if not s then break end
      got[#got + 1] = s
    end
    assert.equal("\0\226\130", table.concat(got))

    local p = pty.sh("printf 'one\\000\\377\\376\\300\\200\\355\\240\\200\\342\\202|END\\n"
      .. "two\\000\\377x\\n'; printf 'three\\000\\377\\n'; exec cat", { echo = false })
    local m = p:expect("\\|END\\r\\n", 5)
    assert.equal("one\0\255\254\192\128\237\160\128\226\130", m.before)
    -- a literal made of them matches them
    m = p:expect(pty.exact("two\0\255"), 5)
    assert.equal("two\0\255", m[0])
    assert.equal("", m.before)
    -- a regex can name NUL; the bytes around it come back untouched
    m = p:expect("x\\r\\nthree\\x00", 5)
    assert.equal("x\r\nthree\0", m[0])
    assert.equal("\255", p:readline(5))
    p:sendline("mark")
    p:expect_exact("mark\r\n", 5)
    p:close()
  end)
end)

describe("a 100 MB single line", function()
  local N = 100 * 1000 * 1000
  local LINE = "head -c " .. N .. " /dev/zero | tr '\\0' x"

  it("is read back completely by expect with a large maxbuf #slow", function()
    local p = pty.spawn{ "sh", "-c", LINE .. "; printf 'END\\n'; exec cat", echo = false,
      maxbuf = 128 << 20 }
    local m = p:expect("E(N)D\\r\\n", 60)
    assert.equal("N", m[1])
    assert.equal(N, #m.before)
    assert.is_true(m.before == string.rep("x", N), "the line came back changed")
    m = nil
    collectgarbage()
    p:sendline("after")
    assert.equal("", p:expect_exact("after\r\n", 5).before)
    p:close()
  end)
end)

describe("use after the end", function()
  it("expect after EOF raises an eof error each time; a listed EOF returns what remained", function()
    local p = pty.sh("printf 'bye\\nrest'", { name = "ender" })
    p:expect("bye", 5)
    assert.same({ true, "exit", 0 }, { p:wait(5) })   -- everything has arrived
    for _ = 1, 2 do
      local e, msg = raises("end of output (EOF) waiting for /nothing/ from ender (pid " .. p.pid
        .. ", exited 0)", function() p:expect("nothing", 5) end)
      assert.equal("eof", e.kind)
      assert.equal(p, e.process)
      assert.equal("\r\nrest", e.before)
      assert.matches('last output: "\\r\\nrest"', msg, 1, true)
    end
    local m = p:expect({ "nothing", pty.EOF }, 5)
    assert.equal(2, m.index)
    assert.is_nil(m[0])
    assert.equal("\r\nrest", m.before)
    -- consumed: a second EOF has nothing left
    assert.equal("", p:expect(pty.EOF, 5).before)
    assert.same({ nil, "eof" }, { p:read(5) })
    assert.same({ nil, "eof" }, { p:readline(5) })
    raises("end of output (EOF) waiting for \"x\" from ender", function() p:expect_exact("x", 5) end)
    p:close()
  end)
end)

describe("timeouts", function()
  it("of 0 look at what has already arrived, without waiting and without consuming", function()
    local p = pty.sh("printf 'alpha beta\\n'; exec cat", { echo = false, name = "zero" })
    p:expect("alpha(?= beta\\r\\n)", 5)   -- " beta\r\n" has arrived too
    local t0 = pty.now()
    local e = raises("timeout (0s) waiting for /gamma/ from zero (pid " .. p.pid .. ", running)", function() p:expect("gamma", 0) end)
    assert.equal("timeout", e.kind)
    assert.equal(0, e.timeout)
    assert.equal(" beta\r\n", e.before)
    local m = p:expect({ "gamma", pty.TIMEOUT }, 0)
    assert.equal(2, m.index)
    assert.equal(" beta\r\n", m.before)
    assert.equal("beta", p:expect("beta", 0)[0])
    assert.equal("\r\n", p:read(0))
    assert.same({ nil, "timeout" }, { p:read(0) })
    assert.same({ nil, "timeout" }, { p:readline(0) })
    assert.same({ nil, "timeout" }, { p:wait(0) })
    assert.is_true(pty.now() - t0 < 0.5)
    p:close()
  end)

  it("negative or NaN raise everywhere, also as pty.timeout or a spawn option", function()
    local p = victim()
    for _, v in ipairs{ -1, -0.001, NAN, -math.huge } do
      local got = "(got " .. tostring(v) .. ")"
      raises("expect: timeout must be a number of seconds >= 0 " .. got, function() p:expect("BBB", v) end)
      raises("expect_exact: timeout must be a number of seconds >= 0 " .. got, function() p:expect_exact("BBB", v) end)
      raises("read: timeout must be a number of seconds >= 0 " .. got, function() p:read(v) end)
      raises("readline: timeout must be a number of seconds >= 0 " .. got, function() p:readline(v) end)
      raises("wait: timeout must be a number of seconds >= 0 " .. got, function() p:wait(v) end)
      raises("spawn: timeout must be a number of seconds >= 0 " .. got, function() pty.spawn{ "true", timeout = v } end)
      raises("sleep: expected a number of seconds >= 0, got " .. tostring(v), function() pty.sleep(v) end)
      raises("close: grace must be a number of seconds >= 0, got " .. tostring(v), function() p:close{ grace = v } end)
      raises("send: delay must be a number of seconds from 0 to 3600, got " .. tostring(v), function() p:send("ab", { delay = v }) end)
    end
    local saved = pty.timeout
    finally(function() pty.timeout = saved end)
    pty.timeout = -5
    raises("expect: timeout must be a number of seconds >= 0 (got -5 from pty.timeout)", function() p:expect("BBB") end)
    pty.timeout = "soon"
    raises('read: timeout must be a number of seconds >= 0 (got the string "soon" from pty.timeout)', function() p:read() end)
    pty.timeout = saved
    p.timeout = {}
    raises("readline: timeout must be a number of seconds >= 0 (got a table from p.timeout)", function() p:readline() end)
    p.timeout = nil
    pty.timeout = saved
    intact(p)
  end)

  it("a number given as a string is named as a string, wherever a number is wanted", function()
    local p = victim()
    local t = pty.go(function() return 1 end)
    local S = '(got the string "5")'
    raises("expect: timeout must be a number of seconds >= 0 " .. S, function() p:expect("BBB", "5") end)
    raises("expect: timeout must be a number of seconds >= 0 " .. S, function() p:expect({ "BBB" }, "5") end)
    raises("expect_exact: timeout must be a number of seconds >= 0 " .. S, function() p:expect_exact("BBB", "5") end)
    raises("read: timeout must be a number of seconds >= 0 " .. S, function() p:read("5") end)
    raises("readline: timeout must be a number of seconds >= 0 " .. S, function() p:readline("5") end)
    raises("wait: timeout must be a number of seconds >= 0 " .. S, function() p:wait("5") end)
    raises("wait: timeout must be a number of seconds >= 0 " .. S, function() t:wait("5") end)
    raises("spawn: timeout must be a number of seconds >= 0 " .. S, function() pty.spawn{ "true", timeout = "5" } end)
    raises("expect_screen: timeout must be a number of seconds >= 0 " .. S, function() p:expect_screen("x", "5") end)
    raises("wait_stable: timeout must be a number of seconds >= 0 " .. S, function() p:wait_stable(0.1, "5") end)
    raises('wait_stable: expected a number of seconds >= 0, got the string "5"', function() p:wait_stable("5") end)
    raises('sleep: expected a number of seconds >= 0, got the string "5"', function() pty.sleep("5") end)
    raises('close: grace must be a number of seconds >= 0, got the string "5"', function() p:close{ grace = "5" } end)
    raises('send: delay must be a number of seconds from 0 to 3600, got the string "5"', function() p:send("ab", { delay = "5" }) end)
    raises('spawn: rows must be an integer from 1 to 65535, got the string "5"', function() pty.spawn{ "true", rows = "5" } end)
    raises('spawn: maxbuf must be an integer from 1 to 1099511627776, got the string "5"', function() pty.spawn{ "true", maxbuf = "5" } end)
    raises('setwinsize: rows must be an integer from 1 to 65535, got the string "5"', function() p:setwinsize("5", 80) end)
    raises('screen: rows must be an integer from 1 to 1000, got the string "5"', function() pty.screen("5", 80) end)
    raises('row: row must be an integer, got the string "1"', function() pty.screen(2, 10):row("1") end)
    raises('spawn: fds[3] must be "r", "w", an open Lua file or a descriptor number, got the string "5"', function() pty.spawn{ "true", fds = { [3] = "5" } } end)
    t:wait()
    intact(p)
  end)

  it("math.huge means no limit; a huge finite one waits as well", function()
    local p = pty.sh("read x; sleep 0.3; echo done-$x; read y; sleep 0.2; echo again-$y; "
      .. "read z; sleep 0.2; exit 7", { echo = false })
    p:sendline("a")
    local t0 = pty.now()
    assert.equal("a", p:expect("done-(\\w+)", math.huge)[1])
    assert.is_true(pty.now() - t0 >= 0.25)      -- it did wait
    p:sendline("b")
    assert.equal("b", p:expect("again-(\\w+)", 1e300)[1])
    local t = pty.go(function() pty.sleep(0.1) return "slept" end)
    assert.equal("slept", t:wait(math.huge))
    assert.equal("\r\n", p:read(math.huge))
    p:sendline("c")
    assert.same({ nil, "exit", 7 }, { p:wait(math.huge) })

    -- as a process's default timeout
    local q = pty.spawn{ "sh", "-c", "read x; sleep 0.3; echo late", timeout = math.huge, echo = false }
    q:sendline("")
    assert.equal("late", q:expect("late")[0])
    q:close()
  end)
end)

-- A flood without a match.  The match window is maxbuf bytes; memory of
-- the ptyscript process while the output pours in must stay within
-- maxbuf + FLOOD_SLACK (3 MiB: the loop's 64 KiB read buffer, Lua garbage
-- between collections, malloc rounding).  When the expect fails, its
-- error object carries `before` (the unconsumed window, by contract), a
-- second copy of at most maxbuf: the high-water mark at the end must stay
-- within 2 * maxbuf + FLOOD_SLACK.  1 GiB takes ~10 s here (a pty moves
-- ~100 MB/s on this machine); the spec allows 30 s.
describe("a flood of output without a match", function()
  -- Under AddressSanitizer (make check-asan) shadow memory and the freed-
  -- memory quarantine inflate RSS by design: memory bounds are not checked.
  local SANITIZED = os.getenv("PTYSCRIPT_SANITIZER") ~= nil
  local FLOOD_SLACK = 3 * MiB

  -- Memory of a fresh ptyscript process while a child pours out output:
  -- a sampling task records the high-water mark during the flood.
  local FLOOD = [[
local mode, amount, maxbuf = arg[1], arg[2], tonumber(arg[3])
local function mem()
  local f = io.open("/proc/self/status")
  local s = f:read("a")
  f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)")) * 1024, tonumber(s:match("VmHWM:%s*(%d+)")) * 1024
end
-- warm up: whatever a first spawn and expect allocate for good
local w = pty.spawn("echo", "warm")
w:expect("warm")
w:wait(5)
w:close()
collectgarbage()
collectgarbage()
local base = mem()
local p, timeout
if mode == "eof" then
  p = pty.spawn{ "head", "-c", amount, "/dev/zero", maxbuf = maxbuf }
  timeout = 60
else
  p = pty.spawn{ "cat", "/dev/zero", maxbuf = maxbuf }
  timeout = tonumber(amount)
end
local done, peak = false, 0
local sampler = pty.go(function()
  while not done do
    local _, hwm = mem()
    peak = hwm
    pty.sleep(0.05)
  end
end)
local t0 = pty.now()
local ok, err = pcall(p.expect, p, "never", timeout)
local took = pty.now() - t0
done = true
local _, hwm_end = mem()
print("ok " .. tostring(ok))
print("kind " .. tostring(type(err) == "table" and err.kind or err))
print("before " .. (type(err) == "table" and #err.before or -1))
print("before_zero " .. tostring(type(err) == "table" and not err.before:find("[^\0]")))
print("message " .. tostring(err):gsub("\n.*", ""))
local st = p._c and p._c.state and select(4, p._c:state())
print("received " .. tostring(st))
print(string.format("took %.2f", took))
print("base " .. base)
print("peak " .. peak)
print("hwm_end " .. hwm_end)
if mode == "eof" then print("status " .. table.concat({ tostring((p:wait(10))), p.exitcode or -1 }, ",")) end
]]

  it("1 GiB from head: the expect reaches EOF (kind 'eof'); memory within maxbuf + 3 MiB #slow", function()
    local maxbuf = MiB   -- the default
    local r = H.run_script(FLOOD, { "eof", "1073741824", maxbuf }, "timeout -s KILL 240 ")
    assert.equal(0, r.code, r.stderr)
    local f = fields(r.stdout)
    assert.equal("false", f.ok, r.stdout)
    assert.equal("eof", f.kind, r.stdout)
    assert.truthy(f.message:find("end of output (EOF) waiting for /never/", 1, true), f.message)
    assert.equal(tostring(maxbuf), f.before, "the error's before is the last maxbuf bytes")
    assert.equal("true", f.before_zero)
    if f.received ~= "nil" then assert.equal("1073741824", f.received, "bytes received") end
    assert.equal("true,0", f.status)
    local base, peak, hwm = tonumber(f.base), tonumber(f.peak), tonumber(f.hwm_end)
    print(string.format("\n  1 GiB flood: %s s; memory over the base: %.1f MiB during, "
      .. "%.1f MiB at the end (maxbuf %.0f MiB)", f.took, (peak - base) / MiB, (hwm - base) / MiB,
      maxbuf / MiB))
    -- (how fast is make bench's T5; the KILL above only catches a hang)
    assert.is_true(SANITIZED or peak - base <= maxbuf + FLOOD_SLACK,
      string.format("during the flood: %.1f MiB over the base", (peak - base) / MiB))
    assert.is_true(SANITIZED or hwm - base <= 2 * maxbuf + FLOOD_SLACK,
      string.format("at the end: %.1f MiB over the base", (hwm - base) / MiB))
  end)

  it("an endless flood, maxbuf 8 MiB: the expect times out (kind 'timeout'); memory within maxbuf + 3 MiB", function()
    local maxbuf = 8 * MiB
    local r = H.run_script(FLOOD, { "timeout", "2", maxbuf }, "timeout -s KILL 60 ")
    assert.equal(0, r.code, r.stderr)
    local f = fields(r.stdout)
    assert.equal("false", f.ok, r.stdout)
    assert.equal("timeout", f.kind, r.stdout)
    assert.truthy(f.message:find("timeout (2s) waiting for /never/ from cat", 1, true), f.message)
    assert.truthy(f.message:find("running)", 1, true), f.message)
    assert.equal(tostring(maxbuf), f.before, "the error's before is the last maxbuf bytes")
    assert.equal("true", f.before_zero)
    local took = tonumber(f.took)
    assert.is_true(took >= 1.9 and took < 5, "timed out after " .. f.took .. " s")
    if f.received ~= "nil" then
      assert.is_true(tonumber(f.received) > 4 * maxbuf, "received only " .. f.received)
    end
    local base, peak, hwm = tonumber(f.base), tonumber(f.peak), tonumber(f.hwm_end)
    print(string.format("\n  2 s flood (%s bytes): memory over the base: %.1f MiB during, "
      .. "%.1f MiB at the end (maxbuf %.0f MiB)", f.received, (peak - base) / MiB,
      (hwm - base) / MiB, maxbuf / MiB))
    assert.is_true(SANITIZED or peak - base <= maxbuf + FLOOD_SLACK,
      string.format("during the flood: %.1f MiB over the base, maxbuf is %.0f MiB",
        (peak - base) / MiB, maxbuf / MiB))
    assert.is_true(SANITIZED or hwm - base <= 2 * maxbuf + FLOOD_SLACK,
      string.format("at the end: %.1f MiB over the base, maxbuf is %.0f MiB",
        (hwm - base) / MiB, maxbuf / MiB))
  end)
end)
