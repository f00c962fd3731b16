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

describe("scripts/deps.sh without dpkg", function()
  local bin

  -- A PATH holding every command of this system but dpkg's and apt's.
  lazy_setup(function()
    bin = H.tmpdir()
    H.sh("for d in /usr/local/bin /usr/bin /bin /usr/local/sbin /usr/sbin /sbin; do "
      .. "[ -d $d ] && [ ! -L $d ] && find $d -mindepth 1 -maxdepth 1 "
      .. "! -name 'dpkg*' ! -name 'apt*' -exec ln -s -t " .. H.q(bin) .. " {} + ; done")
    assert.is_nil(H.read(bin .. "/dpkg-query"))
  end)
  lazy_teardown(function()
    os.execute("rm -rf " .. H.q(bin))
  end)

  local function deps(what, env)
    return H.sh("cd " .. H.q(H.root) .. " && PATH=" .. H.q(bin) .. " " .. (env or "")
      .. " sh scripts/deps.sh " .. what)
  end

  it("names the libraries it does not find by their pkg-config names (libev by header), installs nothing, and fails with status 1", function()
    local empty = H.tmpdir()
    -- pkg-config finds nothing, the compiler no header
    local r = deps("build", "PKG_CONFIG_LIBDIR=" .. H.q(empty) .. " PKG_CONFIG_PATH= CC='cc -nostdinc'")
    os.execute("rm -rf " .. H.q(empty))
    assert.equal(1, r.code, r.stderr)
    for _, name in ipairs{ "lua5.4", "lua-5.4", "lua54", "libpcre2-8", "vterm", "libev", "ev.h" } do
      assert.truthy(r.stderr:find(name, 1, true), name .. " not named in: " .. r.stderr)
    end
    assert.truthy(r.stderr:find("nothing is installed", 1, true), r.stderr)
  end)

  it("exits 0 and says nothing when pkg-config finds every library and the commands are there", function()
    for _, what in ipairs{ "build", "test" } do
      local r = deps(what)
      assert.equal(0, r.code, r.stderr)
      assert.equal("", r.stdout .. r.stderr)
    end
  end)
end)
