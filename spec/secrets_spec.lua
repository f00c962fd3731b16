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

  -- Found by review: the pattern sendline's wait_echo waits for is the
  -- secret itself.
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
    local secrets = require("ptyscript.output").secrets()
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
