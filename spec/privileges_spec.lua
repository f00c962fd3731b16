-- uid/gid: drop privileges in the child - the target user's
-- supplementary groups, then gid, then uid - checked from inside the
-- child.  Most need root; pending (with a message) otherwise.
local pty = require "ptyscript"
local H = require "helpers"

local root = H.sh("id -u").stdout == "0\n"
local it_root = root and it or pending

describe("privileges", function()
  it_root("runs id as nobody: uid, gid, groups, and the user's HOME/USER/LOGNAME", function()
    local p = pty.spawn{ "sh", "-c", "id; echo \"$HOME|$USER|$LOGNAME\"; grep -E '^(Uid|Gid|Groups):' /proc/self/status",
      uid = "nobody" }
    local out = p:expect(pty.EOF, 5).before
    assert.matches("uid=65534%(nobody%) gid=65534%(nogroup%) groups=65534%(nogroup%)", out)
    assert.matches("/nonexistent|nobody|nobody", out, 1, true)
    assert.matches("Uid:%s+65534%s+65534%s+65534%s+65534", out)    -- real, effective, saved, fs
    assert.matches("Gid:%s+65534%s+65534%s+65534%s+65534", out)
    assert.matches("Groups:%s+65534%s*\r\n", out)
    assert.same({ true, "exit", 0 }, { p:wait(5) })
  end)

  it_root("leaves the child no way back to root", function()
    local p = pty.spawn{ "/usr/bin/python3", "-c", [[
import os
for f in (lambda: os.setuid(0), lambda: os.seteuid(0), lambda: os.setgid(0), lambda: os.setgroups([0])):
    try:
        f(); print("REGAINED")
    except PermissionError:
        print("refused")
]], uid = 65534, gid = 65534 }
    local out = p:expect(pty.EOF, 10).before
    local _, refused = out:gsub("refused", "")
    assert.equal(4, refused, out)
    assert.is_nil(out:find("REGAINED", 1, true))
  end)

  it_root("keeps the environment's word over the user's HOME", function()
    local p = pty.spawn{ "sh", "-c", "echo \"$HOME\"", uid = "nobody", env = { HOME = "/tmp" } }
    assert.equal("/tmp", p:expect("(\\S+)\r\n", 5)[1])
  end)

  it_root("takes a gid alone: the group becomes the only supplementary group", function()
    local p = pty.spawn{ "sh", "-c", "id -u; id -g; id -G", gid = "nogroup" }
    local out = p:expect(pty.EOF, 5).before
    assert.equal("0\r\n65534\r\n65534\r\n", out)
  end)

  it("refuses unknown users and groups, and bad types, at spawn", function()
    local ok, err = pcall(pty.spawn, { "true", uid = "no-such-user-xyz" })
    assert.is_false(ok)
    assert.matches('unknown user "no%-such%-user%-xyz"', err)
    ok, err = pcall(pty.spawn, { "true", gid = "no-such-group-xyz" })
    assert.is_false(ok)
    assert.matches('unknown group "no%-such%-group%-xyz"', err)
    ok, err = pcall(pty.spawn, { "true", uid = {} })
    assert.is_false(ok)
    assert.matches("uid must be a user name or number", err)
  end)

  it_root("raises at spawn when not permitted (ptyscript itself running as nobody)", function()
    local path = H.script('pty.spawn{"id", uid = 0}')
    os.execute("chmod 644 " .. H.q(path))
    local r = H.sh("setpriv --reuid=65534 --regid=65534 --clear-groups " .. H.q(H.bin) .. " " .. H.q(path))
    os.remove(path)
    assert.equal(1, r.code)
    assert.matches("spawn id: setgroups: Operation not permitted %(changing uid/gid needs root%)", r.stderr)
  end)

  it("refuses a uid or gid outside uid_t's range, never wrapping it to root", function()
    for _, bad in ipairs{ 2^32, 2^32 + 1, 2^32 - 1, -1, 2^63 - 1, 1.5 } do
      for _, key in ipairs{ "uid", "gid" } do
        local ok, err = pcall(pty.spawn, { "id", [key] = math.tointeger(bad) or bad })
        assert.is_false(ok, key .. " = " .. tostring(bad))
        assert.matches("spawn: " .. key .. " must be a " .. (key == "uid" and "user" or "group")
          .. " name or number %(an integer from 0 to 4294967294%), got", err)
      end
    end
    -- the C side checks too: no silent cast there either
    local core = require "ptyscript.core"
    local ok, err = pcall(core.spawn, { "/usr/bin/id" }, nil, { uid = 1 << 32 })
    assert.is_false(ok)
    assert.matches("spawn: uid 4294967296 is out of range %(0 to 4294967294%)", err)
    ok, err = pcall(core.spawn, { "/usr/bin/id" }, nil, { gid = -1 })
    assert.is_false(ok)
    assert.matches("spawn: gid %-1 is out of range", err)
    ok, err = pcall(core.getpw, 1 << 32)
    assert.is_false(ok)
    assert.matches("getpw: uid 4294967296 is out of range", err)
  end)

  it("wants a gid with a numeric uid that has no passwd entry", function()
    assert.is_nil(require("ptyscript.core").getpw(4242424), "uid 4242424 exists here")
    local ok, err = pcall(pty.spawn, { "id", uid = 4242424 })
    assert.is_false(ok)
    assert.matches("spawn: uid 4242424 has no passwd entry: give gid too", err, 1, true)
    ok, err = pcall(pty.sh, "id", { uid = 4242424 })
    assert.is_false(ok)
    assert.matches("sh: uid 4242424 has no passwd entry: give gid too", err, 1, true)
  end)

  it_root("runs a uid without a passwd entry with the gid given, and none of root's HOME/USER/LOGNAME", function()
    local p = pty.spawn{ "sh", "-c", "id -u; id -g; id -G; echo \"[$HOME|$USER|$LOGNAME]\"",
      uid = 4242424, gid = 4242425 }
    assert.equal("4242424\r\n4242425\r\n4242425\r\n[||]\r\n", p:expect(pty.EOF, 5).before)
    p = pty.spawn{ "sh", "-c", "echo \"[$HOME|$USER|$LOGNAME]\"", uid = 4242424, gid = 4242425,
      env = { HOME = "/tmp", LOGNAME = "x" } }
    assert.equal("[/tmp||x]\r\n", p:expect(pty.EOF, 5).before)
  end)

  it_root("gives the child its terminal: it opens it by name, owner and tty group", function()
    local p = pty.spawn{ "sh", "-c",
      "t=$(tty); echo opened > \"$t\" && stat -c '%U %G %a' \"$t\"", uid = "nobody" }
    local out = p:expect(pty.EOF, 5).before
    local tty = H.sh("getent group tty").stdout ~= ""
    assert.equal("opened\r\nnobody " .. (tty and "tty 620" or "nogroup 600") .. "\r\n", out)
    assert.same({ true, "exit", 0 }, { p:wait(5) })
    p:close()
  end)
end)
