-- Security properties of the terminal itself (issue 4, item 5): the slave
-- keeps the kernel's permissions (nobody else may open it), and opening
-- ptys never gives ptyscript a controlling terminal (O_NOCTTY).
local pty = require "ptyscript"
local H = require "helpers"

describe("the pty", function()
  it("is not opened to others: the slave's mode has no bits for 'other'", function()
    local p = pty.sh("stat -c '%a %u' \"$(tty)\"")
    local m = p:expect("(\\d+) (\\d+)\r\n", 5)
    local mode, uid = tonumber(m[1], 8), tonumber(m[2])
    assert.equal(0, mode & 7, "mode " .. m[1])
    assert.equal(tonumber(H.sh("id -u").stdout), uid)
  end)

  it("never becomes ptyscript's controlling terminal", function()
    -- run the command in a new session without a terminal; after spawning,
    -- its own tty_nr (field 7 of /proc/self/stat) must still be 0
    local path = H.script([[
      local p = pty.spawn("cat")
      local q = pty.sh("echo hi")
      q:expect("hi")
      local st = io.open("/proc/self/stat"):read("a")
      print("tty_nr " .. st:match("^%d+ %b() %S+ %d+ %d+ %d+ (%-?%d+)"))
    ]])
    local r = H.sh("setsid " .. H.q(H.bin) .. " " .. H.q(path))
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    assert.equal("tty_nr 0\n", r.stdout)
  end)
end)
