-- Recording: --record FILE.cast writes asciicast v2, one
-- file per session; the JSON is checked with Python's json module.
local H = require "helpers"

-- Parse a .cast file with python3: prints the header fields, then each
-- event as kind<TAB>repr(data).
local function parse(path)
  local r = H.sh(string.format([[python3 -c '
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert lines[-1] == ""
h = json.loads(lines[0])
print(h["version"], h["width"], h["height"], type(h["timestamp"]).__name__, h["command"])
last = 0.0
for l in lines[1:-1]:
    t, kind, data = json.loads(l)
    assert t >= last, "times go forward"
    last = t
    print(kind + "\t" + json.dumps(data))
' %s]], H.q(path)))
  assert.equal(0, r.code, r.stderr)
  return r.stdout
end

describe("--record", function()
  it("writes valid asciicast v2 for each session, secrets as ***, bytes kept as UTF-8", function()
    local base = H.tmpname()
    local cast = base .. ".cast"
    local path = H.script([[
      local p = pty.spawn{"cat", rows = 30, cols = 100}
      p:sendline("h\195\169llo \27[1mbold\255")
      p:expect("bold")
      p:expect("bold")
      p:sendline("hunter22", {secret = true})
      p:expect("hunter22\r\n.*hunter22\r\n")
      local q = pty.sh("echo second; : hunter22")   -- a secret among the arguments
      q:expect(pty.EOF)
    ]])
    local r = H.run({ "--record", cast, path })
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    local one = parse(cast)
    local two = parse(base .. ".2.cast")
    os.remove(cast)
    os.remove(base .. ".2.cast")
    assert.matches("^2 100 30 int cat\n", one)
    assert.matches('\ni\t"h\\u00e9llo \\u001b%[1mbold\\ufffd\\r"\n', one)
    local out = {}
    for data in one:gmatch('\no\t"([^\n]*)"') do out[#out + 1] = data end
    out = table.concat(out)
    assert.matches("bold", out)
    assert.is_nil(one:find("hunter", 1, true))
    assert.matches('\ni\t"%*%*%*\\r"\n', one)
    assert.matches("^2 80 24 int /bin/sh %-c echo second; : %*%*%*\no\t\"second\\r\\n\"\n$", two)
  end)

  it("p:record refuses a bad target", function()
    local pty = require "ptyscript"
    local p = pty.spawn("cat")
    local ok, err = pcall(p.record, p, 5)
    assert.is_false(ok)
    assert.matches("record: expected a file name, got number", err)
    ok, err = pcall(p.record, p, "/nonexistent-dir/x.cast")
    assert.is_false(ok)
    assert.matches("No such file or directory", err)
    p:close()
  end)

  it("is checked at start like --log: a file that cannot be created is status 2", function()
    local r = H.run({ "--record", "/nonexistent-dir/x.cast", "-e", "pty.spawn('cat') print('ran')" })
    assert.equal(2, r.code)
    assert.equal("", r.stdout)
    assert.equal("ptyscript: --record: /nonexistent-dir/x.cast: No such file or directory\n", r.stderr)
    r = H.run({ "--record-input", "-e", "print('ran')" })
    assert.equal(2, r.code)
    assert.matches("%-%-record%-input needs %-%-record", r.stderr)
  end)

  it("a spawn that fails after its child started leaves no child behind", function()
    local dir = H.tmpdir()
    assert(os.execute("mkdir " .. H.q(dir .. "/s.2.cast")))   -- the second recording cannot be made
    local r = H.run({ "--record", dir .. "/s.cast", "-e", [[
      local a = pty.spawn("cat")
      local ok, err = pcall(pty.spawn, "sleep", "987.654")
      print(ok, err)
      local f = io.popen("pgrep -f 'sleep 987[.]654'")
      print("left [" .. f:read("a") .. "]")
      f:close()
    ]] })
    os.execute("rm -rf " .. H.q(dir))
    assert.equal(0, r.code, r.stderr)
    assert.matches("^false\t.*%-%-record: .*/s%.2%.cast: Is a directory\n", r.stdout)
    assert.matches("\nleft %[%]\n$", r.stdout)
  end)
end)

describe("--record's pictures", function()
  it("and recordings keep what the child printed, unread, at close and at the end of the script", function()
    local base = H.tmpname()
    local path = H.script([[
local a = pty.sh("printf '%s-%s\\n' closed unread")
while a:alive() do end   -- it has printed and exited; nothing read it
a:close()
local b = pty.sh("printf '%s-%s\\n' ended unread")
while b:alive() do end
]])
    local r = H.run({ "--record", base .. ".cast", path })
    os.remove(path)
    finally(function()
      for _, f in ipairs{ ".cast", ".2.cast", ".svg", ".2.svg" } do os.remove(base .. f) end
    end)
    assert.equal(0, r.code, r.stderr)
    assert.matches('\no\t"closed%-unread\\r\\n"\n', parse(base .. ".cast"))
    assert.matches('\no\t"ended%-unread\\r\\n"\n', parse(base .. ".2.cast"))
    assert.truthy((H.read(base .. ".svg") or ""):find("closed-unread", 1, true),
      "the picture at close")
    assert.truthy((H.read(base .. ".2.svg") or ""):find("ended-unread", 1, true),
      "the picture at the end")
  end)

  it("carry their recording's number, also after a session on pipes (which has none)", function()
    local base = H.tmpname()
    local path = H.script([[
local a = pty.spawn{"echo", "on-pipes", pty = false}
a:wait() a:close()
local b = pty.spawn{"echo", "second-session"}
b:expect("second.session") b:wait() b:close()
]])
    local r = H.run({ "--record", base .. ".cast", path })
    os.remove(path)
    finally(function()
      for _, f in ipairs{ ".cast", ".2.cast", ".svg", ".2.svg" } do os.remove(base .. f) end
    end)
    assert.equal(0, r.code, r.stderr)
    assert.is_nil(H.read(base .. ".svg"), "the pipes session has no picture")
    assert.truthy((H.read(base .. ".2.svg") or ""):find("second-session", 1, true),
      "the picture of FILE.2.cast is FILE.2.svg")
  end)
end)
