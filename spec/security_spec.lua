-- Security properties of the terminal itself: the slave
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

-- Every file ptyscript writes: never through a symbolic link (in a
-- shared sticky directory such as /tmp another user could plant one and
-- have a root run truncate its target), created 0600.
describe("the files ptyscript writes", function()
  local dir, target
  before_each(function()
    dir = H.tmpdir()
    target = dir .. "/precious"
    H.write(target, "precious\n")
  end)
  after_each(function()
    os.execute("rm -rf " .. H.q(dir))
  end)
  local function link(name, to)
    assert(os.execute(string.format("ln -s %s %s", H.q(to or target), H.q(dir .. "/" .. name))))
    return dir .. "/" .. name
  end
  local function untouched()
    assert.equal("precious\n", H.read(target))
  end

  it("--log and --record through a symbolic link: refused at start, status 2", function()
    local r = H.run({ "--log", link("x.log"), "-e", "print(1)" })
    assert.equal(2, r.code)
    assert.matches("ptyscript: %-%-log: .*/x%.log: refusing to write through a symbolic link\n", r.stderr)
    r = H.run({ "--record", link("x.cast"), "-e", "print(1)" })
    assert.equal(2, r.code)
    assert.matches("ptyscript: %-%-record: .*/x%.cast: refusing to write through a symbolic link\n", r.stderr)
    untouched()
    -- a link to nothing yet: nothing is created through it
    r = H.run({ "--log", link("y.log", dir .. "/created"), "-e", "print(1)" })
    assert.equal(2, r.code)
    assert.is_nil(H.read(dir .. "/created"))
  end)

  it("--record's picture and later recordings through a symbolic link: refused", function()
    link("s.svg")
    link("s.2.cast")
    local r = H.run({ "--record", dir .. "/s.cast", "-e", [[
      local p = pty.sh("echo one")
      p:expect(pty.EOF)
      p:close()
      local ok, err = pcall(pty.sh, "echo two")
      print(err)
    ]] })
    assert.equal(1, r.code, r.stderr)
    assert.matches("%-%-record: .*/s%.2%.cast: refusing to write through a symbolic link", r.stdout)
    assert.matches("ptyscript: %-%-record: .*/s%.svg: refusing to write through a symbolic link\n", r.stderr)
    assert.matches('"o", "one\\r\\n"', H.read(dir .. "/s.cast"))
    untouched()
  end)

  it("p:log, p:record and s:snapshot through a symbolic link: refused", function()
    local p = pty.spawn{ "cat", screen = true }
    for _, case in ipairs{
      { function(path) p:log(path) end, "log" },
      { function(path) p:record(path) end, "record" },
      { function(path) p:screen():snapshot(path) end, "snapshot" },
    } do
      local path = link(case[2] .. ".svg")
      local ok, err = pcall(case[1], path)
      assert.is_false(ok)
      assert.matches(case[2] .. ": .*/" .. case[2] .. "%.svg: refusing to write through a symbolic link", err)
    end
    p:close()
    untouched()
  end)

  it("are created 0600 whatever the umask; an existing file keeps its mode", function()
    H.write(dir .. "/old.log", "")
    os.execute("chmod 644 " .. H.q(dir .. "/old.log"))
    local r = H.run({ "--log", dir .. "/new.log", "--record", dir .. "/new.cast", "-e", string.format([[
      local p = pty.spawn{"sh", "-c", "echo hi", screen = true}
      p:log(%q)
      p:log(%q)
      p:expect(pty.EOF)
      p:screen():snapshot(%q)
      p:record(%q)
      p:close()
    ]], dir .. "/p.log", dir .. "/old.log", dir .. "/snap.html", dir .. "/p.cast") }, nil, "umask 000; ")
    assert.equal(0, r.code, r.stderr)
    local modes = H.sh("cd " .. H.q(dir) .. " && stat -c '%n %a' new.log new.cast new.svg p.log snap.html p.cast old.log").stdout
    assert.equal("new.log 600\nnew.cast 600\nnew.svg 600\np.log 600\nsnap.html 600\np.cast 600\nold.log 644\n", modes)
  end)
  -- In a directory others can write to (/tmp), another user may plant a
  -- file, a FIFO, a hard link or a symbolic link under the name a run
  -- (root's, say) is about to write: written through, it would hand them
  -- the transcript, block the run, or empty a file elsewhere.
  describe("in a directory others can write to", function()
    local shared
    before_each(function()
      shared = dir .. "/shared"
      assert(os.execute("mkdir -m 1777 " .. H.q(shared)))
    end)
    local root = H.sh("id -u").stdout == "0\n"
    -- run sh command line cmd as the user nobody
    local function as_nobody(cmd)
      local r = H.sh("setpriv --reuid=65534 --regid=65534 --clear-groups sh -c " .. H.q(cmd))
      assert.equal(0, r.code, r.stderr)
    end

    it("refuses a file another user planted there, and leaves it empty", function()
      if not root then pending("needs root (a file of another user)") return end
      as_nobody("cd " .. H.q(shared) .. " && touch x.log x.cast && chmod 666 x.log x.cast && mkfifo -m 666 x.fifo")
      for _, case in ipairs{ { "--log", "x.log" }, { "--record", "x.cast" }, { "--log", "x.fifo" } } do
        local r = H.run({ case[1], shared .. "/" .. case[2], "-e", "pty.sh('echo the transcript'):expect(pty.EOF)" })
        assert.equal(2, r.code, case[2])
        assert.matches("ptyscript: %-%-" .. case[1]:sub(3) .. ": .*/" .. case[2]:gsub("%.", "%%.")
          .. ": refusing to write to a file another user owns in a directory others can write to", r.stderr)
      end
      assert.equal("", H.read(shared .. "/x.log"))
      assert.equal("", H.read(shared .. "/x.cast"))
      local p = pty.spawn("cat")
      local ok, err = pcall(p.log, p, shared .. "/x.log")
      p:close()
      assert.is_false(ok)
      assert.matches("log: .*/x%.log: refusing to write to a file another user owns", err)
    end)

    it("refuses a file another user planted in a directory of theirs (one made before us)", function()
      if not root then pending("needs root (a directory of another user)") return end
      as_nobody("mkdir -m 755 " .. H.q(shared .. "/build") .. " && touch " .. H.q(shared .. "/build/x.log")
        .. " && chmod 666 " .. H.q(shared .. "/build/x.log") .. " && ln -s " .. H.q(dir)
        .. " " .. H.q(shared .. "/build/sub"))
      local r = H.run({ "--log", shared .. "/build/x.log", "-e", "pty.sh('echo the transcript'):expect(pty.EOF)" })
      assert.equal(2, r.code)
      assert.matches("x%.log: refusing to write to a file another user owns", r.stderr)
      assert.equal("", H.read(shared .. "/build/x.log"))
      r = H.run({ "--log", shared .. "/build/sub/y.log", "-e", "print(1)" })
      assert.equal(2, r.code)
      assert.matches("refusing to follow a symbolic link another user owns", r.stderr)
    end)

    it("refuses a hard link there, and the file it links to is untouched", function()
      assert(os.execute(string.format("ln %s %s", H.q(target), H.q(shared .. "/x.cast"))))
      local r = H.run({ "--record", shared .. "/x.cast", "-e", "print(1)" })
      assert.equal(2, r.code)
      assert.matches("ptyscript: %-%-record: .*/x%.cast: refusing to write to a file with other hard links", r.stderr)
      untouched()
    end)

    it("refuses a symbolic link of another user among the directories of the path", function()
      if not root then pending("needs root (a link of another user)") return end
      as_nobody("ln -s " .. H.q(dir) .. " " .. H.q(shared .. "/sub"))
      local r = H.run({ "--log", shared .. "/sub/x.log", "-e", "print(1)" })
      assert.equal(2, r.code)
      assert.matches("refusing to follow a symbolic link another user owns", r.stderr)
      assert.is_nil(H.read(dir .. "/x.log"))
    end)

    it("writes a file of our own there, new or not", function()
      H.write(shared .. "/mine.log", "before\n")
      local r = H.run({ "--log", shared .. "/mine.log", "--record", shared .. "/new.cast", "-e",
        "pty.sh('echo the transcript'):expect(pty.EOF)" })
      assert.equal(0, r.code, r.stderr)
      assert.equal("before\nthe transcript\r\n", H.read(shared .. "/mine.log"))
      assert.matches("the transcript", H.read(shared .. "/new.cast"))
    end)
  end)
end)
