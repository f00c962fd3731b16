-- Secrets sent with {secret = true} never reach --trace output or error
-- messages, even when the child echoes them.
local pty = require "ptyscript"
local H = require "helpers"

describe("secrets", function()
  it("are replaced by *** in --trace and in a timeout message, echoed or not", function()
    local r = H.run_script([[
      local p = pty.spawn{"cat"}                 -- the terminal echoes, cat repeats
      p:sendline("s3cr3t-pw", {secret = true})
      p:expect("s3cr")                           -- a match that cuts the secret
      local ok, e = pcall(p.expect, p, "never", 0.2)
      print(tostring(e))
      p:sendline("public")
      p:expect("public")
      p:expect("public")
    ]])
    assert.equal(0, r.code, r.stderr)
    assert.matches("timeout %(0.2s%) waiting for /never/", r.stdout)
    assert.matches('last output: "%*%*%*\\r\\n%*%*%*\\r\\n"', r.stdout)
    assert.is_nil(r.stdout:find("s3cr3t", 1, true))
    assert.is_nil(r.stdout:find("3t-pw", 1, true))
    assert.is_nil(r.stderr:find("3t-pw", 1, true))
  end)

  -- The pattern sendline's wait_echo waits for is the secret itself.
  it("are replaced by *** in the pattern of a timeout message (wait_echo)", function()
    local r = H.run_script([[
      local p = pty.spawn{"sh", "-c", "stty -echo; read x; sleep 5"}
      pty.sleep(0.2)
      local ok, err = pcall(p.sendline, p, "hunter2-pw", {secret = true, wait_echo = true, timeout = 0.3})
      print(tostring(err))
      p:close{grace = 0}
    ]])
    assert.equal(0, r.code, r.stderr)
    assert.matches('waiting for "%*%*%*\\r\\n"', r.stdout)
    assert.is_nil(r.stdout:find("hunter2", 1, true), r.stdout)
  end)

  it("do not appear in --trace", function()
    local path = H.script([[
      local p = pty.spawn{"cat"}
      p:sendline("hunter2-pw", {secret = true})
      p:expect("pw\r\n.*pw\r\n")
      p:sendline("visible")
      p:expect("visible\r\n.*visible\r\n")
    ]])
    local r = H.run({ "--trace", path })
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    assert.matches('send to cat: "%*%*%*"', r.stderr)
    assert.matches('send to cat: "visible\\r"', r.stderr)
    assert.matches("matched", r.stderr)
    assert.is_nil(r.stderr:find("hunter2", 1, true), r.stderr)
  end)
end)

-- A child that echoes each key on its own, as readline or a raw-mode
-- prompt does: the secret reaches ptyscript a byte at a time.
local KEY_BY_KEY = [[
import os, sys, time, tty
tty.setraw(0)
os.write(1, b"pw: ")
while True:
    c = os.read(0, 1)
    if c in (b"\r", b"\n"):
        break
    os.write(1, c)
    time.sleep(0.02)
os.write(1, b"\r\ndone\r\n")
]]

describe("secrets in every output", function()
  it("are *** in the --trace line of the match on their echo (wait_echo)", function()
    local path = H.script([[
      local p = pty.spawn{"cat"}
      p:sendline("hunter2-pw", {secret = true, wait_echo = true})
      p:expect_exact("\r\n")
    ]])
    local r = H.run({ "--trace", path })
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    assert.matches('cat: "%*%*%*\\r\\n" matched "%*%*%*\\r\\n"', r.stderr)
    assert.is_nil(r.stderr:find("hunter", 1, true), r.stderr)
    assert.is_nil(r.stderr:find("2-pw", 1, true), r.stderr)
  end)

  it("echoed one key at a time never reach --log, p:log or --record in pieces", function()
    local base = H.tmpname()
    local path = H.script(string.format([[
      local got = {}
      local p = pty.spawn{"python3", "-c", %q}
      p:log(function(data) got[#got + 1] = data end)
      p:expect("pw: ")
      p:sendline("QZJXWV", {secret = true})
      p:expect("done\r\n")
      p:close()
      local f = io.open(%q, "wb")
      f:write(table.concat(got))
      f:close()
    ]], KEY_BY_KEY, base .. ".fn"))
    local r = H.run({ "--log", base .. ".log", "--record", base .. ".cast", path })
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    for _, ext in ipairs{ ".log", ".fn", ".cast" } do
      local text = H.read(base .. ext)
      os.remove(base .. ext)
      assert.matches(ext == ".cast" and '"o", "%*%*%*"' or "pw: %*%*%*", text, ext)
      assert.is_nil(text:find("[QZJXWV]"), ext .. ": " .. text)
    end
    os.remove(base .. ".svg")
  end)

  it("of several lines are recognised in their echo (\\r\\n for \\n): messages, --log", function()
    local log = H.tmpname()
    local r = H.run({ "--log", log, "-e", [[
      local key = "-----BEGIN KEY-----\nQUJDREVGR0hJ\nSktMTU5PUFFS\n-----END KEY-----"
      local p = pty.spawn{"cat"}
      p:sendline(key, {secret = true})
      p:expect(pty.re("END KEY-----\r\n.*END KEY-----\r\n", "s"))
      p:sendline("after")
      local ok, e = pcall(p.expect, p, "never", 0.5)
      print(tostring(e))
    ]] })
    local text = H.read(log)
    os.remove(log)
    assert.equal(0, r.code, r.stderr)
    assert.matches('last output: "after\\r\\nafter\\r\\n"', r.stdout)
    assert.is_nil(r.stdout:find("QUJD", 1, true), r.stdout)
    assert.equal("***\r\n***\r\nafter\r\nafter\r\n", text)
    r = H.run({ "-e", [[
      local key = "-----BEGIN KEY-----\nQUJDREVGR0hJ\nSktMTU5PUFFS\n-----END KEY-----"
      local p = pty.spawn{"cat"}
      p:sendline(key, {secret = true})
      local ok, e = pcall(p.expect, p, "never", 0.5)
      print(tostring(e))
    ]] })
    assert.equal(0, r.code, r.stderr)
    assert.matches('last output: "%*%*%*\\r\\n%*%*%*\\r\\n"', r.stdout)
    assert.is_nil(r.stdout:find("QUJD", 1, true), r.stdout)
  end)

  it("typed one character at a time (delay) are registered whole, not by character", function()
    local log = H.tmpname()
    local r = H.run({ "--log", log, "-e", [[
      local p = pty.spawn{"cat", echo = false}
      p:send("pass", {secret = true, delay = 0})
      p:sendline("")
      p:expect("pass\r\n")
      p:sendline("a sandwich")
      p:expect("sandwich\r\n")
      p:close()
    ]] })
    local text = H.read(log)
    os.remove(log)
    assert.equal(0, r.code, r.stderr)
    assert.equal("***\r\na sandwich\r\n", text)
  end)

  it("typed one character at a time are *** once in --trace and p:log's input, not once a key", function()
    local path = H.script([[
      local got = {}
      local p = pty.spawn{"cat", echo = false}
      p:log(function(data, kind) if kind == "i" then got[#got + 1] = data end end, {sent = true})
      p:sendline("Wq8-hunter2", {secret = true, delay = 0})
      p:expect("\n")
      p:close()
      print(table.concat(got))
    ]])
    local r = H.run({ "--trace", path })
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    assert.equal("***\r\n", r.stdout)
    local _, sends = r.stderr:gsub("send to cat: \"%*%*%*\"", "")
    assert.equal(1, sends, r.stderr)
  end)

  it("made of '*' cost no more to redact than other text", function()
    local log = H.tmpname()
    local r = H.run({ "--log", log, "--timeout", "60", "-e", [[
      local t0 = pty.now()
      local p = pty.spawn{"cat", echo = false}
      p:send(string.rep("*", 16), {secret = true, delay = 0})
      p:sendline("")
      p:expect("\r\n")
      p:close()
      print(string.format("took %.1f", pty.now() - t0))
    ]] })
    local text = H.read(log)
    os.remove(log)
    assert.equal(0, r.code, r.stderr)
    -- a generous bound: the sixteen stars once took most of a minute
    assert.is_true(tonumber(r.stdout:match("took ([%d.]+)")) < 10, r.stdout)
    assert.equal("***\r\n", text)
  end)

  it("sent again and again are held once: redaction costs the same", function()
    local p = pty.spawn{ "cat", echo = false }
    local got = {}
    p:log(function(data) got[#got + 1] = data end)
    local function round_trip(i)   -- (text that starts like the secret: work to do)
      p:sendline("s3cret-v " .. i)
      p:expect_exact("s3cret-v " .. i .. "\r\n")
    end
    p:sendline("s3cret-value", { secret = true })
    p:expect_exact("value\r\n")
    local secrets = require("ptyscript.secrets").set()
    local held = secrets:count()
    local w0 = secrets:work()
    for i = 1, 50 do round_trip(i) end
    local one = secrets:work() - w0
    for _ = 1, 4000 do p:send("s3cret-value", { secret = true }) end
    p:sendline("")
    p:expect_exact("\r\n")
    w0 = secrets:work()
    for i = 1, 50 do round_trip(i) end
    local many = secrets:work() - w0
    p:close()
    assert.equal(held, secrets:count())
    assert.is_true(many <= one + 50, string.format("work %d after one send, %d after 4000", one, many))
  end)
end)

describe("secrets of the script", function()
  -- A secret sent to one session can come back in another's output: a
  -- second session that tails a file the first writes, ps, a history.
  it("sent to one process are *** in another's output: transcripts, messages, --trace", function()
    local log = H.tmpname()
    local path = H.script([[
      local a = pty.spawn("cat")
      a:sendline("Wq8-hunter2", {secret = true})
      local b = pty.sh("echo the password is Wq8-hunter2; sleep 5")
      local got = {}
      b:log(function(data) got[#got + 1] = data end)
      b:expect("password is ")
      local ok, e = pcall(b.expect, b, "never", 0.3)
      print(e.message)
      b:close()
      print("p:log " .. table.concat(got))
    ]])
    local r = H.run({ "--log", log, "--trace", path })
    os.remove(path)
    local text = H.read(log)
    os.remove(log)
    assert.equal(0, r.code, r.stderr)
    assert.matches('last output: "%*%*%*\\r\\n"', r.stdout)
    assert.matches("p:log the password is %*%*%*\r\n", r.stdout)
    assert.matches("the password is %*%*%*", text)
    for _, out in ipairs{ r.stdout, r.stderr, text } do
      assert.is_nil(out:find("hunter", 1, true), out)
    end
  end)

  -- --show's copy is what a CI log keeps: a transcript like the others.
  it("are *** in --show's copy: echoed whole, one key at a time, by another process, cut by the end", function()
    local path = H.script(string.format([[
      local p = pty.spawn("cat")
      p:sendline("Wq8-hunter2", {secret = true})
      p:expect("hunter2\r\n.*hunter2\r\n")
      pty.sh("echo other: Wq8-hunter2"):expect(pty.EOF)
      local k = pty.spawn{"python3", "-c", %q}
      k:expect("pw: ")
      k:sendline("Wq8-hunter2")
      k:expect("done\r\n")
      local s = pty.spawn("cat")
      s:send("Wq8-hun")
      s:expect("hun")
    ]], KEY_BY_KEY))
    local r = H.run({ "--show", path })
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    assert.equal("***\r\n***\r\nother: ***\r\npw: ***\r\ndone\r\n***", r.stdout)
    assert.is_nil(r.stdout:find("Wq8", 1, true), r.stdout)
    assert.is_nil(r.stdout:find("hun", 1, true), r.stdout)
  end)

  it("are *** in show's copy of what a child printed, unread, when plain Lua ends (its state closed)", function()
    -- lua_close collects the secrets (registered after the spawn) before
    -- the process, whose hang-up reads and shows what is left
    local path = H.script(string.format([[
package.cpath = %q .. "/?.so;" .. package.cpath
local pty = require "ptyscript"
local p = pty.spawn{"sh", "-c", "read x; echo \"got $x\"", show = true, echo = false}
p:send("Zt4-hunter2\n", {secret = true})
while p:alive() do end   -- it has printed and exited; nothing read it
]], H.root))
    local r = H.sh("timeout 20 lua5.4 " .. H.q(path))
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    assert.equal("got ***\r\n", r.stdout)
  end)

  it("are *** in the error that ends the script, its traceback and the messages ptyscript makes", function()
    local r = H.run_script([[
      local p = pty.spawn("cat")
      local pw = "p@ss(Wq8"
      p:sendline(pw, {secret = true})
      local ok, e = pcall(p.expect, p, pw)   -- not a valid regex
      print(e)
      error("login failed with " .. pw)
    ]])
    assert.equal(1, r.code)
    assert.matches("invalid pattern /%*%*%*/", r.stdout)
    assert.matches("ptyscript: .*: login failed with %*%*%*\nstack traceback:", r.stderr)
    assert.is_nil((r.stdout .. r.stderr):find("Wq8", 1, true), r.stdout .. r.stderr)
  end)

  it("are *** in the screen's pictures and frames (s:snapshot, tostring)", function()
    local dir = H.tmpdir()
    local r = H.run_script(string.format([[
      local p = pty.spawn{"cat", screen = true}
      p:sendline("Wq8-hunter2", {secret = true})
      p:expect_screen("\\*|Wq8")
      p:wait_stable(0.1)
      print(tostring(p:screen()))
      p:screen():snapshot(%q)
      p:screen():snapshot(%q)
      assert(p:screen():text():find("Wq8-hunter2", 1, true))   -- the text itself is raw
    ]], dir .. "/s.svg", dir .. "/s.html"))
    local svg, html = H.read(dir .. "/s.svg"), H.read(dir .. "/s.html")
    os.execute("rm -rf " .. H.q(dir))
    assert.equal(0, r.code, r.stderr)
    for _, out in ipairs{ r.stdout, svg, html } do
      assert.matches("***", out, 1, true)
      assert.is_nil(out:find("hunter", 1, true), out)
    end
  end)
end)

describe("the secret matcher (core.secrets)", function()
  local core = require "ptyscript.core"

  it("matches the echoed forms: any run of \\r\\n for \\n, ^X for a control byte", function()
    local s = core.secrets()
    assert.is_true(s:add("one\ntwo\3"))
    assert.is_false(s:add("one\ntwo\3\r"))   -- the same secret: held once
    assert.equal(1, s:count())
    assert.equal("<***>", s:redact("<one\r\ntwo^C>"))
    assert.equal("<***>", s:redact("<one\ntwo\3>"))
    assert.equal("<one two^C>", s:redact("<one two^C>"))
  end)

  it("covers secrets that overlap: no piece of one shows after another", function()
    local s = core.secrets()
    s:add("key-abc")
    s:add("abc123")
    assert.equal("x *** y", s:redact("x key-abc123 y"))
    assert.equal("x *** *** y", s:redact("x abc123 key-abc y"))
    local st = s:stream()
    local out = st:feed("x key-abc1")
    out = out .. st:feed("23 y")
    assert.equal("x *** y", out .. st:flush())
  end)

  it("redacts in one pass, whatever the secret: cost linear in the text", function()
    local s = core.secrets()
    s:add(string.rep("*", 16))
    s:add("aaaaaaab")
    local w0 = s:work()
    local text = string.rep("*", 100000) .. string.rep("a", 100000) .. "."
    local out = s:redact(text)
    local work = s:work() - w0
    -- (the secret's overlapping matches in the stars are one ***)
    assert.is_true(out == "***" .. string.rep("a", 100000) .. ".")
    assert.is_true(work < 20 * #text, "work " .. work)
  end)

  it("keeps back, in a stream, a tail that could still become a secret", function()
    local s = core.secrets()
    s:add("hunter2")
    local st = s:stream()
    local out = {}
    for ch in ("say hunter2, then hunt"):gmatch(".") do out[#out + 1] = st:feed(ch) end
    assert.equal("say ***, then ", table.concat(out))
    assert.equal("***", st:flush())
    st = s:stream()
    assert.equal("no ", st:feed("no h"))
    assert.equal("***", st:flush())   -- the end: a secret's start is not written
    assert.equal("", st:flush())
  end)

  -- Ten thousand one-time codes, each sent once (one a login): what the
  -- scans cost must not grow with them, in a message, a stream, or lines.
  it("costs no more with 10,000 different secrets than with 10: messages, streams, lines", function()
    local seed = 12345
    local function digit()   -- (a fixed sequence: the same text every run)
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed // 65536 % 10
    end
    local t = {}
    for i = 1, 100000 do t[i] = string.char(48 + digit()) end
    local text = table.concat(t)
    local function work_with(count)
      local s = core.secrets()
      while s:count() < count do
        s:add(string.format("%d%d%d%d%d%d", digit(), digit(), digit(), digit(), digit(), digit()))
      end
      local w0 = s:work()
      s:redact(text)
      local st = s:stream()
      for i = 1, #text, 4096 do st:feed(text:sub(i, i + 4095)) end
      st:flush()
      for i = 1, #text, 50 do s:redact(text:sub(i, i + 49)) end   -- lines: a message each
      return s:work() - w0
    end
    local few, many = work_with(10), work_with(10000)
    -- (a walk down the secrets goes at most 6 deep: 10,000 codes fill
    -- more of the levels than 10 do, nothing more)
    local msg = string.format("work %d with 10 secrets, %d with 10,000", few, many)
    assert.is_true(many < 5 * few, msg)
    assert.is_true(many < 3 * 8 * #text, msg)
  end)

  -- The matcher's contract (the top of src/redact.c), written the plain
  -- way: every secret tried at every position.  Slow, and simple.
  local ref = {}

  local function is_nl(b) return b == 10 or b == 13 end

  function ref.compile(secret)
    secret = secret:gsub("^[\r\n]+", ""):gsub("[\r\n]+$", "")
    local el, i = {}, 1
    while i <= #secret do
      local run = secret:match("^[\r\n]+", i)
      if run then
        el[#el + 1] = { max = 4 * #run }
        i = i + #run
      else
        local b = secret:byte(i)
        el[#el + 1] = { b = b, ctrl = (b < 32 or b == 127) and b ~= 9 }
        i = i + 1
      end
    end
    return el
  end

  -- Elements e.. of el against s from i: "full" and the index after, or
  -- "cut" (s ends while they still match), or nil.
  function ref.match(el, e, s, i)
    local n = #s
    for k = e, #el do
      local x = el[k]
      if i > n then return "cut" end
      local b = s:byte(i)
      if x.max then
        local j = i
        while j <= n and j - i < x.max and is_nl(s:byte(j)) do j = j + 1 end
        if j == i then return nil end
        if j > n then return "cut" end
        if is_nl(s:byte(j)) then return nil end
        i = j
      elseif b == x.b then
        i = i + 1
      elseif x.ctrl and b == 94 then   -- "^X"
        if i == n then return "cut" end
        if s:byte(i + 1) ~= x.b ~ 0x40 then return nil end
        i = i + 2
      else
        return nil
      end
    end
    return "full", i
  end

  -- The longest secret at s[i..] (its bytes) and whether one is cut.
  function ref.look(els, s, i)
    local full, cut = 0, false
    for _, el in ipairs(els) do
      local r, j = ref.match(el, 1, s, i)
      if r == "full" and j - i > full then full = j - i end
      if r == "cut" then cut = true end
    end
    return full, cut
  end

  -- s redacted as a message ("static") or as a whole stream ("final").
  function ref.redact(els, s, mode)
    local n, out, i, lit = #s, {}, 1, 1
    local function text_to(j)
      if j > lit then out[#out + 1] = s:sub(lit, j - 1) end
    end
    local function cut_counts(j) return mode == "final" or n - j + 1 >= 3 end
    if mode == "static" and n > 0 then   -- a message that begins inside one
      local piece = 0
      for _, el in ipairs(els) do
        for e = 2, #el do
          local r, j = ref.match(el, e, s, 1)
          if r == "full" and j - 1 >= 3 and j - 1 > piece then piece = j - 1 end
          if r == "cut" and n >= 3 then piece = n end
        end
      end
      if piece > 0 and piece >= ref.look(els, s, 1) then
        out[#out + 1] = "***"
        i, lit = piece + 1, piece + 1
      end
    end
    while i <= n do
      local full, cut = ref.look(els, s, i)
      if cut and cut_counts(i) then
        text_to(i)
        out[#out + 1] = "***"
        i, lit = n + 1, n + 1
      elseif full > 0 then
        local stop, j = i + full, i + 1
        while j < stop do   -- the secrets that overlap it
          local f, c = ref.look(els, s, j)
          if c and cut_counts(j) then stop = n + 1 break end
          if j + f > stop then stop = j + f end
          j = j + 1
        end
        text_to(i)
        out[#out + 1] = "***"
        i, lit = stop, stop
      else
        i = i + 1
      end
    end
    text_to(n + 1)
    return table.concat(out)
  end

  -- A fixed sequence of numbers from seed: random(k) is 1..k.
  local function randoms(seed)
    return function(k)
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed // 65536 % k + 1
    end
  end

  -- len of the characters of alphabet, or of its strings (a list).
  local function pick(random, alphabet, len)
    local t = {}
    for i = 1, len do
      local k = random(#alphabet)
      t[i] = type(alphabet) == "table" and alphabet[k] or alphabet:sub(k, k)
    end
    return table.concat(t)
  end

  -- Every text of texts against the reference: as a message, and as a
  -- stream fed in random chunks.
  local function agree(list, texts, random)
    local s, els = core.secrets(), {}
    for i, secret in ipairs(list) do
      s:add(secret)
      els[i] = ref.compile(secret)
    end
    for _, text in ipairs(texts) do
      assert.equal(ref.redact(els, text, "static"), s:redact(text), "message " .. string.format("%q", text))
      local st, out, i = s:stream(), {}, 1
      while i <= #text do
        local len = random(9) - 1
        out[#out + 1] = st:feed(text:sub(i, i + len - 1))
        i = i + len
      end
      out[#out + 1] = st:flush()
      assert.equal(ref.redact(els, text, "final"), table.concat(out), "stream " .. string.format("%q", text))
    end
  end

  it("finds what trying every secret at every position finds: secrets that share a start or overlap", function()
    local random = randoms(7)
    local texts = {}
    for i = 1, 300 do texts[i] = pick(random, "abcdx", random(40) - 1) end
    texts[#texts + 1] = pick(random, "abcdx", 3000)
    agree({ "abc", "abcd", "abx", "bcd", "cda", "xab", "dd", "abcdxabcd" }, texts, random)
  end)

  it("finds what trying every secret at every position finds: echoed forms, ^X and runs of \\r\\n", function()
    local random = randoms(11)
    local texts = {}
    local echo = { "a", "b", "^", "C", "\3", "\r", "\n", "\r\n", "\r\n\r\n\r", "x" }
    for i = 1, 300 do texts[i] = pick(random, echo, random(20) - 1) end
    texts[#texts + 1] = pick(random, echo, 2000)
    agree({ "a\nb", "a\n\nbC", "a\3b", "^Cx", "b\3", "\3\3", "b\r\na^", "xa\nb\3a" }, texts, random)
  end)

  it("finds what trying every secret at every position finds: 500 secrets, and messages cut inside them", function()
    local random = randoms(3)
    local list = {}
    for i = 1, 500 do
      list[i] = pick(random, "abcdef" .. (i % 7 == 0 and "\n\3" or ""), random(5) + 2)
    end
    local texts = {}
    for i = 1, 400 do   -- a piece of a secret, maybe echoed, and text around it
      local secret = list[random(#list)]
      local from = random(#secret)
      local piece = secret:sub(from, from + random(#secret) - 1)
      if random(2) == 1 then piece = piece:gsub("\n", "\r\n"):gsub("\3", "^C") end
      texts[i] = pick(random, "abcdefgh", random(3) - 1) .. piece .. pick(random, "abcdefgh", random(4) - 1)
    end
    texts[#texts + 1] = pick(random, "abcdefgh\n^C", 2000)
    agree(list, texts, random)
  end)
end)

describe("a process holding secrets", function()
  -- The owner of /proc/PID/environ is root for a process that is not
  -- dumpable: run the command as an ordinary user to see the change.
  local src = [[
    local function owner()
      local pid = io.open("/proc/self/stat"):read("a"):match("^%d+")
      local f = io.popen("stat -c %u /proc/" .. pid .. "/environ")
      local uid = f:read("l")
      f:close()
      return uid
    end
    local function core_limit()
      for l in io.lines("/proc/self/limits") do
        local soft = l:match("^Max core file size%s+(%S+)")
        if soft then return soft end
      end
    end
    print("before", owner(), core_limit())
    local p = pty.spawn("cat")
    p:send("x", {secret = SECRET})
    print("after", owner(), core_limit())
  ]]
  local function run(secret)
    local root = H.sh("id -u").stdout == "0\n"
    local prefix = "ulimit -S -c unlimited 2>/dev/null; "
      .. (root and "setpriv --reuid=65534 --regid=65534 --clear-groups " or "")
    local path = H.script((src:gsub("SECRET", secret)))
    os.execute("chmod 644 " .. H.q(path))
    local r = H.run({ path }, nil, prefix)
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    local uid = root and "65534" or H.sh("id -u").stdout:match("%d+")
    return r.stdout, uid
  end

  it("cannot be dumped or traced: PR_SET_DUMPABLE 0 and no core file", function()
    local out, uid = run("true")
    assert.matches("^before\t" .. uid .. "\t", out)
    assert.matches("\nafter\t0\t0\n", out)
  end)

  it("stays dumpable while it holds none", function()
    local out, uid = run("false")
    assert.matches("\nafter\t" .. uid .. "\t", out)
  end)
end)
