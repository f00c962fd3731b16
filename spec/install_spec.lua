-- Packaging (issue 5, item 10): make install and the rockspec give a
-- working command, module and man page outside the source tree.
local H = require "helpers"

local function tmpdir()
  local d = os.tmpname()
  os.remove(d)
  return d
end

describe("packaging", function()
  it("make install PREFIX=... installs the command, the module and the man page", function()
    local prefix = tmpdir()
    local r = H.sh("make -s -C " .. H.q(H.root) .. " install PREFIX=" .. H.q(prefix))
    assert.equal(0, r.code, r.stderr)
    -- run both from elsewhere, so nothing comes from the source tree
    r = H.sh("cd / && " .. H.q(prefix .. "/bin/ptyscript")
      .. [[ -e 'print(pty.spawn("echo", "installed"):expect("installed")[0])']])
    assert.equal("installed\n", r.stdout, r.stderr)
    r = H.sh("cd / && LUA_PATH='' LUA_CPATH=" .. H.q(prefix .. "/lib/lua/5.4/?.so")
      .. [[ lua5.4 -e 'print(require("ptyscript").sh("echo module"):expect("module")[0])']])
    assert.equal("module\n", r.stdout, r.stderr)
    local man = H.read(prefix .. "/share/man/man1/ptyscript.1")
    assert.truthy(man and man:find(".Dt PTYSCRIPT 1", 1, true))
    r = H.sh("make -s -C " .. H.q(H.root) .. " uninstall PREFIX=" .. H.q(prefix))
    assert.equal(0, r.code, r.stderr)
    assert.is_nil(H.read(prefix .. "/bin/ptyscript"))
    os.execute("rm -rf " .. H.q(prefix))
  end)

  local has_luarocks = H.sh("command -v luarocks").code == 0
  ;(has_luarocks and it or pending)("luarocks make installs the module from the rockspec", function()
    local tree = tmpdir()
    local r = H.sh("cd " .. H.q(H.root) .. " && luarocks --lua-version=5.4 --tree=" .. H.q(tree)
      .. " make ptyscript-0.1.0-1.rockspec")
    assert.equal(0, r.code, r.stdout .. r.stderr)
    r = H.sh("cd / && LUA_PATH='' LUA_CPATH=" .. H.q(tree .. "/lib/lua/5.4/?.so")
      .. [[ lua5.4 -e 'print(require("ptyscript").sh("echo rock"):expect("rock")[0])']])
    assert.equal("rock\n", r.stdout, r.stderr)
    r = H.sh(H.q(tree .. "/bin/ptyscript") .. " --version")
    assert.matches("^ptyscript 0%.1%.0", r.stdout)
    os.execute("rm -rf " .. H.q(tree))
  end)
end)
