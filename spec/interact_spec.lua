-- interact(): the spec plays the user.  It runs the ptyscript command
-- inside a pty of its own (so the command's standard input is a real
-- terminal), types into it, and reads what the user would see.
local pty = require "ptyscript"
local H = require "helpers"

-- Run a script with the command (stdin given or /dev/null), bounded in
-- time: a hang fails the test instead of hanging the suite.
local run = H.run_bounded

-- Run `body` (Lua run by the command after a common prologue) in an outer
-- pty; returns the outer process and the files holding `stty -g` taken
-- before and after interact.
local function run_outer(body, opts)
  local before, after = H.tmpname(), H.tmpname()
  local path = H.script(string.format([[
    os.execute("stty -g > %s")
    local p = pty.spawn{"sh", env = {PS1 = "$ ", ENV = false}}
    p:expect("\\$ $")
    print("READY")
    io.stdout:flush()
    local ok, why = pcall(function() %s end)
    os.execute("stty -g > %s")
    print("BACK " .. tostring(why))
    io.stdout:flush()
    if not ok then error(why, 0) end
    p:sendline("echo after-$((1+1))")
    p:expect("after-2")
    print("CONTINUED")
  ]], before, body, after))
  local argv = { H.bin, rows = 24, cols = 80, timeout = 10 }
  for _, a in ipairs(opts and opts.args or {}) do argv[#argv + 1] = a end
  argv[#argv + 1] = path
  local outer = pty.spawn(argv)
  outer:expect("READY\r\n")
  return outer, before, after, path
end

local function same_modes(before, after)
  local a, b = H.read(before), H.read(after)
  assert.truthy(a and #a > 10, "stty -g before")
  assert.equal(a, b, "terminal modes restored")
end

describe("interact", function()
  it("connects the user's terminal to the child until the escape character", function()
    local outer, before, after = run_outer("return p:interact()")
    outer:send("echo typed-$((40+2))\r")
    outer:expect("typed-42\r\n")
    -- raw mode: ^C goes to the child's shell, not to ptyscript
    outer:send("sleep 5\r")
    outer:send("\3")
    outer:expect("\\$ $")
    outer:send("\29")
    outer:expect("BACK escape\r\n")
    outer:expect("CONTINUED\r\n")
    assert.same({ true, "exit", 0 }, { outer:wait(5) })
    same_modes(before, after)
  end)

  it("copies the window size to the child, also when it changes", function()
    local outer = run_outer("return p:interact()")
    outer:send("stty size\r")
    outer:expect("24 80\r\n")
    outer:setwinsize(33, 99)
    local seen = false
    for _ = 1, 40 do    -- SIGWINCH reaches interact asynchronously: allow a moment
      outer:send("stty size\r")
      local m = outer:expect("(\\d+ \\d+)\r\n")
      if m[1] == "33 99" then seen = true break end
      pty.sleep(0.05)
    end
    assert.is_true(seen)
    outer:send("\29")
    outer:expect("CONTINUED\r\n")
  end)

  it("gives a child with a screen at most the screen's limits when the window is bigger", function()
    local outer = run_outer("local s = p:screen() return p:interact()")
    outer:send("stty size\r")
    outer:expect("24 80\r\n")
    outer:setwinsize(1500, 2000)
    local seen
    for _ = 1, 40 do    -- SIGWINCH reaches interact asynchronously: allow a moment
      outer:send("stty size\r")
      seen = outer:expect("(\\d+ \\d+)\r\n")[1]
      if seen ~= "24 80" then break end
      pty.sleep(0.05)
    end
    assert.equal("1000 1000", seen)   -- the child's size is the screen's
    outer:send("\29")
    outer:expect("CONTINUED\r\n")
    assert.same({ true, "exit", 0 }, { outer:wait(5) })
  end)

  it("leaves the terminal cooked for a child on pipes: lines, echo, ^D", function()
    local outer, before, after = run_outer([[
      local q = pty.spawn{"sh", "-c", "read x; echo got:$x; cat", pty = false}
      local why = q:interact()
      q:sendeof()
      q:wait(5)
      return why]])
    outer:send("hello\r")          -- Enter; the user's own terminal echoes
    outer:expect("hello\r\ngot:hello\r\n")
    outer:send("more\r")
    outer:expect("more\r\nmore\r\n")   -- the echo, then cat's copy
    outer:send("\4")               -- ^D: end of standard input
    outer:expect("BACK stdin eof\r\n")
    outer:expect("CONTINUED\r\n")
    same_modes(before, after)
  end)

  it("sends what precedes the escape in the same read, and drops the rest", function()
    local outer = run_outer([[
      local why = p:interact()
      p:expect("part-one\\r\\n")   -- the shell ran what came before the escape
      print("SAW part-one")
      return why]])
    outer:send("echo sync\r")
    outer:expect("sync\r\n.*sync\r\n")   -- interact is passing bytes now
    outer:send("echo part-one\r\29echo never-sent\r")
    outer:expect("SAW part-one\r\n")
    outer:expect("BACK escape\r\n")
    local m = outer:expect("CONTINUED\r\n")
    assert.is_nil(m.before:find("never", 1, true))
    assert.same({ true, "exit", 0 }, { outer:wait(5) })
  end)

  it("passes bytes through input and output filters, with a custom escape", function()
    local outer = run_outer([[return p:interact{
        escape = "\24",
        input = function(s) return (s:gsub("x", "y")) end,
        output = function(s) return s:upper() end}]])
    outer:send("echo xxx\r")
    outer:expect("YYY\r\n")
    outer:send("\24")
    outer:expect("BACK escape\r\n")
    outer:expect("CONTINUED\r\n")
  end)

  it("returns 'eof' when the child ends, with the terminal restored", function()
    local outer, before, after = run_outer("return p:interact()")
    outer:send("exit\r")
    outer:expect("BACK eof\r\n")
    -- the script goes on: its later sendline fails as the shell is gone
    outer:expect(pty.EOF)
    same_modes(before, after)
  end)

  it("restores the terminal when a filter raises, and reports the error", function()
    local outer, before, after = run_outer([[return p:interact{
        input = function(s) if s:find("!") then error("filter failed") end return s end}]])
    outer:send("echo fine\r")
    outer:expect("fine\r\n")
    outer:send("!")
    outer:expect("filter failed")
    local ok, how, code = outer:wait(5)
    assert.same({ nil, "exit", 1 }, { ok, how, code })
    same_modes(before, after)
  end)

  it("restores the terminal when ptyscript is killed by SIGTERM during interact", function()
    local before = H.tmpname()
    local path = H.script(string.format([[
      os.execute("stty -g > %s")
      print("TTY " .. io.popen("tty"):read("l"))
      local p = pty.spawn{"cat"}
      print("READY")
      io.stdout:flush()
      p:interact()
    ]], before))
    local outer = pty.spawn{ H.bin, path }
    local tty = outer:expect("TTY (\\S+)\r\n")[1]
    outer:expect("READY\r\n")
    outer:send("sync\r")
    outer:expect("sync")   -- raw mode is on (the echo comes from cat's tty)
    outer:kill("TERM")
    -- (generous: under ASan the cleanup and exit are much slower)
    assert.same({ nil, "signal", 15 }, { outer:wait(20) })
    local now = H.sh("stty -g < " .. tty).stdout
    assert.equal(H.read(before), now)
    outer:close()
  end)

  it("passes piped standard input through and returns at its end", function()
    local path = H.script([[
      local p = pty.spawn{"cat", echo = false}
      print("why=" .. p:interact())
      print("got=" .. p:expect("piped \\w+")[0])
    ]])
    local r = H.run({ path }, "piped line\n")
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    assert.matches("why=stdin eof\n", r.stdout)
    assert.matches("got=piped line\n", r.stdout)
  end)

  -- The user types a visible command, then a password at a prompt with
  -- echo off; returns the recording's input events, its output, and
  -- what p:log(..., {sent = true}) got as input.
  local function typed_session(record_opts, args)
    local cast = H.tmpname()
    local outer = run_outer(string.format([[
      local got = {}
      if %s then p:record(%q, %s) end
      p:log(function(data, kind) if kind == "i" then got[#got + 1] = data end end, {sent = true})
      local why = p:interact()
      print("SENT-LOG [" .. table.concat(got):gsub("[^%%w ]", ".") .. "]")
      return why]], tostring(not args), cast, record_opts), { args = args and args(cast) })
    outer:send("echo typed-visible-$((6*7))\r")
    outer:expect("typed-visible-42\r\n")   -- (the shell ran it: interact passes keys)
    outer:send("stty -echo; printf 'P''W:'; read pw; stty echo; echo; echo got:$pw\r")
    outer:expect_exact("PW:")
    outer:send("s3cret-typed\r")
    outer:expect("got:")
    outer:send("\29")
    local sent = outer:expect("SENT-LOG \\[(.*)\\]\r\n")[1]
    outer:expect("CONTINUED\r\n")
    assert.same({ true, "exit", 0 }, { outer:wait(5) })
    local text = H.read(cast)
    os.remove(cast)
    os.remove(cast .. ".svg")   -- (--record's picture)
    local input, out = {}, {}
    for line in text:gmatch("[^\n]+") do
      local kind, data = line:match('^%[[%d.]+, "(%a)", "(.*)"%]$')
      if kind == "i" then input[#input + 1] = data end
      if kind == "o" then out[#out + 1] = data end
    end
    return table.concat(input), table.concat(out), sent
  end

  it("is not recorded unless asked, and a password typed with echo off is a secret", function()
    local input, out, sent = typed_session("nil")
    assert.equal("echo after-$((1+1))\\r", input)   -- the script's own send, after interact
    assert.matches("typed%-visible", out)
    assert.matches("got:%*%*%*", out)   -- the line typed with echo off: a secret
    assert.is_nil(out:find("s3cret", 1, true), out)
    assert.matches("^echo typed.visible", sent)
    assert.is_nil(sent:find("s3cret", 1, true), sent)
  end)

  it("is recorded with {input = true}, except what is typed with echo off", function()
    local input, out = typed_session("{input = true}")
    assert.matches("^echo typed%-visible%-%$%(%(6%*7%)%)\\[rn]", input)
    assert.is_nil(input:find("s3cret", 1, true), input)
    assert.matches("got:%*%*%*", out)
    assert.is_nil(out:find("s3cret", 1, true), out)
  end)

  it("is recorded by --record with --record-input, except what is typed with echo off", function()
    local input, out = typed_session(nil, function(cast) return { "--record", cast, "--record-input" } end)
    assert.matches("^echo typed%-visible%-%$%(%(6%*7%)%)\\[rn]", input)
    assert.is_nil(input:find("s3cret", 1, true), input)
    assert.matches("got:%*%*%*", out)
    assert.is_nil(out:find("s3cret", 1, true), out)
  end)

  it("records keys typed to a program in raw mode without echo (it echoes itself)", function()
    local cast = H.tmpname()
    local outer = run_outer(string.format([[
      p:record(%q, {input = true})
      return p:interact()]], cast))
    outer:send("echo sync-$((6*7))\r")
    outer:expect("sync-42\r\n")
    outer:send("stty raw -echo; printf 'R''AW:'; head -c 3; stty sane; echo\r")
    outer:expect_exact("RAW:")
    outer:send("abc")
    outer:expect_exact("abc")       -- head copies it
    outer:expect("\\$ $")            -- the terminal is sane again
    outer:send("echo abc-$((1+1))\r")
    outer:expect("abc-2\r\n")
    outer:send("\29")
    outer:expect("CONTINUED\r\n")
    assert.same({ true, "exit", 0 }, { outer:wait(5) })
    local text = H.read(cast)
    os.remove(cast)
    assert.matches('"i", "abc"', text)       -- recorded
    assert.matches('"o", "[^"]*abc%-2', text)  -- and no secret
  end)
end)

describe("script errors, run by the command", function()
  it("an error thrown across interact by a filter is re-raised there; the session and --show go on", function()
    local r = run([[
local p = spawn{"sh", "-c", "stty -echo; printf 'one two\\n'; exec cat", show = true}
expect("one")
local ok, e = pcall(p.interact, p, {output = function(d) error("output filter: " .. d:gsub("%s", "")) end})
io.stdout:write("[1 ", tostring(ok), " ", tostring(e), "]\n")
io.stdout:flush()
sendline("SHOWN1")
expect("SHOWN1")
ok, e = pcall(p.interact, p, {input = function(d) error("input filter: " .. d:gsub("%s", "")) end})
io.stdout:write("[2 ", tostring(ok), " ", tostring(e), "]\n")
io.stdout:flush()
sendline("SHOWN2")
expect("SHOWN2")
io.stdout:write("[end]\n")
]], "hello\n")
    assert.equal(0, r.code, r.stderr)
    assert.matches("[1 false " .. r.path .. ":3: output filter: two]", r.stdout, 1, true)
    assert.matches("[2 false " .. r.path .. ":8: input filter: hello]", r.stdout, 1, true)
    assert.matches("[end]", r.stdout, 1, true)
    -- show = true still copies the session's output after each failed
    -- interact (the child's echo is off: only show can print these)
    assert.matches("SHOWN2", r.stdout, 1, true)
    assert.matches("SHOWN1", r.stdout, 1, true)
  end)

  it("a filter that raises nil or false: interact raises that value, it does not return", function()
    for _, v in ipairs{ "nil", "false" } do
      local r = run(([[
local p = spawn{"cat", echo = false}
local r = table.pack(pcall(p.interact, p, {input = function() error(%s) end}))
io.stdout:write("[", tostring(r[1]), " ", tostring(r[2]), " ", r.n, "]\n")
]]):format(v), "hello\n")
      assert.equal(0, r.code, r.stderr)
      assert.equal("[false " .. v .. " 2]\n", r.stdout)
    end
  end)
end)
