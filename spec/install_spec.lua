-- Packaging: `make install` and `make uninstall`, the rockspec (a rock
-- built from the release tarball, `luarocks make`, a packed binary rock),
-- and scripts/deps.sh on a system without dpkg.
local H = require "helpers"

-- Every file and symbolic link under dir (relative paths, sorted).
local function files(dir)
  local r = H.sh("cd " .. H.q(dir) .. " && find . ! -type d | sort")
  local list = {}
  for l in r.stdout:gmatch("[^\n]+") do list[#list + 1] = l:sub(3) end
  return list
end

-- The names of the files matching a glob of the source tree, sorted.
local function sources(glob)
  local r = H.sh("cd " .. H.q(H.root) .. " && for f in " .. glob
    .. "; do [ -e \"$f\" ] && basename \"$f\"; done | sort")
  local list = {}
  for l in r.stdout:gmatch("[^\n]+") do list[#list + 1] = l end
  return list
end

local function sorted(t)
  table.sort(t)
  return t
end

-- The installed command and module work from elsewhere, with nothing
-- taken from the source tree.
local function assert_works(bin, cdir, word)
  local r = H.sh("cd / && " .. H.q(bin .. "/ptyscript")
    .. [[ -e 'print(pty.spawn("echo", "]] .. word .. [["):expect("]] .. word .. [[")[0])']])
  assert.equal(word .. "\n", r.stdout, r.stderr)
  r = H.sh("cd / && LUA_PATH='' LUA_CPATH=" .. H.q(cdir .. "/?.so")
    .. [[ lua5.4 -e 'print(require("ptyscript").sh("echo ]] .. word .. [["):expect("]]
    .. word .. [[")[0])']])
  assert.equal(word .. "\n", r.stdout, r.stderr)
end

describe("make install", function()
  it("with DESTDIR and PREFIX installs the command, the module, the man page, the manual and the examples; make uninstall removes exactly those", function()
    local d = H.tmpdir()
    -- other packages' files where ours go: uninstall must leave them
    local others = { "usr/bin/other", "usr/lib/lua/5.4/other.so",
      "usr/share/man/man1/other.1", "usr/share/doc/other/README" }
    for _, f in ipairs(others) do
      assert(os.execute("mkdir -p " .. H.q(d .. "/" .. f:match("^(.*)/"))))
      H.write(d .. "/" .. f, "not ours\n")
    end
    local make = "make -s -C " .. H.q(H.root) .. " DESTDIR=" .. H.q(d) .. " PREFIX=/usr "
    -- (install builds with PREFIX=/usr: build again with the default, so
    -- the tree's ./ptyscript names its manual where it did before)
    finally(function() H.sh("make -s -C " .. H.q(H.root)) end)
    local r = H.sh(make .. "install")
    assert.equal(0, r.code, r.stderr)

    local want = { "usr/bin/ptyscript", "usr/lib/lua/5.4/ptyscript.so",
      "usr/share/man/man1/ptyscript.1" }
    for _, f in ipairs(sources("doc/*.md")) do
      want[#want + 1] = "usr/share/doc/ptyscript/" .. f
    end
    local examples = sources("scripts/examples/*")
    assert.is_true(#examples > 0)
    for _, f in ipairs(examples) do
      want[#want + 1] = "usr/share/doc/ptyscript/examples/" .. f
    end
    for _, f in ipairs(sources("lua/ptyscript/*.lua")) do
      want[#want + 1] = "usr/share/ptyscript/lua/" .. f
    end
    for _, f in ipairs(others) do want[#want + 1] = f end
    assert.same(sorted(want), files(d))

    assert_works(d .. "/usr/bin", d .. "/usr/lib/lua/5.4", "installed")
    -- the man page names the manual where PREFIX put it
    local man = H.read(d .. "/usr/share/man/man1/ptyscript.1")
    assert.truthy(man:find(".Dt PTYSCRIPT 1", 1, true))
    assert.truthy(man:find("/usr/share/doc/ptyscript/manual.md", 1, true))
    assert.falsy(man:find("/usr/local/", 1, true))
    -- the examples keep their modes, and run from there
    local ex = d .. "/usr/share/doc/ptyscript/examples/"
    assert.equal(0, H.sh("test -x " .. H.q(ex .. "installer.lua")
      .. " && test -x " .. H.q(ex .. "fake-installer.sh")).code)
    r = H.sh("cd / && " .. H.q(d .. "/usr/bin/ptyscript") .. " " .. H.q(ex .. "bc.lua") .. " 6*7")
    assert.equal(0, r.code, r.stderr)
    assert.matches("6%*7%s+= 42", r.stdout)

    r = H.sh(make .. "uninstall")
    assert.equal(0, r.code, r.stderr)
    assert.same(sorted(others), files(d))
    for _, dir in ipairs{ "usr/share/doc/ptyscript", "usr/share/ptyscript" } do
      assert.is_nil(io.open(d .. "/" .. dir), dir .. " is left")
    end
    os.execute("rm -rf " .. H.q(d))
  end)
end)

describe("the rockspec", function()
  local has_luarocks = H.sh("command -v luarocks").code == 0
  local in_git = H.sh("cd " .. H.q(H.root) .. " && git ls-files --error-unmatch Makefile").code == 0
  local lr = "luarocks --lua-version=5.4 "
  -- The rock is built with the plain compiler whatever runs the specs:
  -- make check-asan would only build and check it a second time.
  local sanitizer = os.getenv("PTYSCRIPT_SANITIZER")

  -- One build: the release tarball (what GitHub serves for the tag) is
  -- packed into a .src.rock through the rockspec, unpacked as `luarocks
  -- install` does, and built there with `luarocks make`; the installed
  -- rock is packed as a binary rock and installed into a second tree.
  ;(has_luarocks and in_git and not sanitizer and it or pending)("builds a rock from the release tarball with luarocks make, and the packed rock installs into another tree #slow", function()
    local w = H.tmpdir()
    local r = H.sh("make -s -C " .. H.q(H.root) .. " dist DIST=" .. H.q(w .. "/ptyscript-0.1.0.tar.gz"))
    assert.equal(0, r.code, r.stderr)
    -- the rockspec, its source the tarball here instead of GitHub's
    local spec = H.read(H.root .. "/ptyscript-0.1.0-1.rockspec")
    local n
    spec, n = spec:gsub('url = "https://github.com/ptyscript/ptyscript/archive/refs/tags/v0.1.0.tar.gz"',
      'url = "file://' .. w .. '/ptyscript-0.1.0.tar.gz"')
    assert.equal(1, n)
    H.write(w .. "/ptyscript-0.1.0-1.rockspec", spec)
    r = H.sh("cd " .. H.q(w) .. " && " .. lr .. "pack ptyscript-0.1.0-1.rockspec")
    assert.equal(0, r.code, r.stdout .. r.stderr)
    r = H.sh("cd " .. H.q(w) .. " && mkdir u && cd u && " .. lr .. "unpack ../ptyscript-0.1.0-1.src.rock")
    assert.equal(0, r.code, r.stdout .. r.stderr)
    -- the rockspec's dir is where the tarball unpacks
    local src = w .. "/u/ptyscript-0.1.0-1/ptyscript-0.1.0"
    assert.truthy(H.read(src .. "/Makefile"), "no " .. src .. "/Makefile")
    assert.truthy(H.read(src .. "/LICENSE"))

    r = H.sh("cd " .. H.q(src) .. " && MAKEFLAGS=-j2 " .. lr .. "--tree=" .. H.q(w .. "/t1") .. " make")
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert_works(w .. "/t1/bin", w .. "/t1/lib/lua/5.4", "rock")
    r = H.sh(H.q(w .. "/t1/bin/ptyscript") .. " --version")
    assert.matches("^ptyscript 0%.1%.0", r.stdout)
    -- LuaRocks keeps doc/ with the rock: the man page
    assert.truthy(H.read(w .. "/t1/lib/luarocks/rocks-5.4/ptyscript/0.1.0-1/doc/ptyscript.1"))

    r = H.sh("cd " .. H.q(w) .. " && " .. lr .. "--tree=t1 pack ptyscript && ls ptyscript-0.1.0-1.*.rock")
    assert.equal(0, r.code, r.stdout .. r.stderr)
    local rock = r.stdout:match("(ptyscript%-0%.1%.0%-1%.[%w_-]+%.rock)\n")
    assert.truthy(rock and not rock:find("src.rock", 1, true), r.stdout)
    r = H.sh("cd " .. H.q(w) .. " && " .. lr .. "--tree=t2 install " .. rock)
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert_works(w .. "/t2/bin", w .. "/t2/lib/lua/5.4", "binary")
    os.execute("rm -rf " .. H.q(w))
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
