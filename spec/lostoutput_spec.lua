-- No lost output at exit.  On Linux a read of the pty master gives EIO
-- once the child has exited and closed the slave; everything it wrote
-- before must still reach the script, whenever the child exits: at once,
-- before the first read, in the middle of its output, killed while it
-- writes, or while reading is paused.  The payloads have no newline (or
-- are compared with \r\n turned back into \n), so the pty's \n -> \r\n
-- translation cannot change the byte count.
local pty = require "ptyscript"
local H = require "helpers"

local MiB = 1024 * 1024
-- Random moments, reproducible: REL_SEED=<the seed a failure names>.
local SEED = tonumber(os.getenv("REL_SEED")) or os.time()
math.randomseed(SEED)

-- The state letter of a process (R, S, Z...), or nil when it is gone.
local function state(pid)
  local s = H.read("/proc/" .. pid .. "/stat")
  return s and s:match("^%d+ %b() (%S)")
end

-- A deterministic payload of n letters (no newline: the pty's \n -> \r\n
-- translation cannot change it).
local function letters(n)
  local block = {}
  for i = 0, 4095 do block[#block + 1] = string.char(65 + (i * 7 + i // 61) % 26) end
  block = table.concat(block)
  return (block:rep(n // 4096 + 1)):sub(1, n)
end

-- Numbered lines, 8 bytes each: a lost, doubled or reordered chunk shows.
local function numbered(nbytes)
  local t = {}
  for i = 0, nbytes // 8 - 1 do t[#t + 1] = string.format("%07d\n", i) end
  return table.concat(t)
end

-- Everything p writes until EOF, read with p:read as it arrives.
local function read_all(p, t)
  local got = {}
  while true do
    local s, err = p:read(t or 10)
    if not s then
      assert.equal("eof", err)
      return table.concat(got)
    end
    got[#got + 1] = s
  end
end

local SIZE = 64 * 1024

local function payload()
  local t = {}
  for i = 0, SIZE - 1 do t[#t + 1] = string.char(65 + (i * 7 + i // 251) % 26) end
  return table.concat(t)
end

describe("output at exit", function()
  local data, file
  setup(function()
    data = payload()
    file = H.write(H.tmpname(), data)
  end)
  teardown(function() os.remove(file) end)

  it("delivers all 64 KiB of a child that exits at once, 200 times out of 200", function()
    local short = 0
    for run = 1, 200 do
      local p = pty.spawn("cat", file)
      local m = p:expect(pty.EOF, 10)
      if m.before ~= data then
        short = short + 1
        print(string.format("run %d: got %d of %d bytes", run, #m.before, SIZE))
      end
      assert.same({ true, "exit", 0 }, { p:wait(10) })
    end
    assert.equal(0, short)
  end)

  it("has the output in the buffer when wait returns, even without expecting first", function()
    for _ = 1, 20 do
      local p = pty.spawn("cat", file)
      assert.same({ true, "exit", 0 }, { p:wait(10) })
      local m = p:expect(pty.EOF, 10)
      assert.equal(SIZE, #m.before)
      assert.equal(data, m.before)
    end
  end)

  it("returns from wait while a grandchild holds the terminal, with the output read", function()
    local p = pty.sh("sleep 3 & printf 'parent done'; exit 4")
    local t0 = pty.now()
    assert.same({ nil, "exit", 4 }, { p:wait(5) })
    assert.is_true(pty.now() - t0 < 2.5)
    assert.equal("parent done", p:read(0))
    p:close()
  end)
end)

describe("children that exit at any moment", function()
  local data, file, lines, linefile
  setup(function()
    data = letters(300000)
    file = H.write(H.tmpname(), data)
    lines = numbered(2 * MiB)
    linefile = H.write(H.tmpname(), lines)
  end)
  teardown(function()
    os.remove(file)
    os.remove(linefile)
  end)

  it("before the first read: all output arrives, whatever its size, also after a KILL", function()
    for _, n in ipairs({ 0, 1, 4095, 4096, 4097, 65536, 300000 }) do
      for _, how in ipairs({ "exit 3", "kill -9 $$" }) do
        local p = pty.spawn("sh", "-c", 'head -c "$1" "$2"; ' .. how, "sh", n, file)
        -- nothing read yet: wait alone must see the exit (reading meanwhile)
        local st = { p:wait(10) }
        if how == "exit 3" then
          assert.same({ nil, "exit", 3 }, st, n .. " bytes")
        else
          assert.same({ nil, "signal", 9 }, st, n .. " bytes")
        end
        local m = p:expect(pty.EOF, 10)
        assert.equal(n, #m.before, how)
        assert.is_true(m.before == data:sub(1, n), n .. " bytes differ (" .. how .. ")")
        p:close()
        assert.is_nil(state(p.pid), "reaped by close")
      end
    end
  end)

  it("in the middle of their output (30 random cut points): every byte written arrives", function()
    for run = 1, 30 do
      local k = math.random(1, #lines)
      local p = pty.spawn("sh", "-c", 'head -c "$1" "$2"; exit 7', "sh", k, linefile)
      local got = read_all(p):gsub("\r\n", "\n")
      local where = string.format("run %d, cut at %d (seed %d)", run, k, SEED)
      assert.equal(k, #got, where)
      assert.is_true(got == lines:sub(1, k), "content differs: " .. where)
      assert.same({ nil, "exit", 7 }, { p:wait(10) }, where)
      p:close()
      assert.is_nil(state(p.pid), "reaped by close: " .. where)
    end
  end)

  it("killed while writing: what it wrote arrives, then EOF, the signal, no zombie", function()
    local p = pty.spawn("cat", linefile)
    local got = {}
    local n = 0
    while n < 256 * 1024 do
      local s = assert(p:read(10))
      got[#got + 1] = s
      n = n + #s
    end
    p:kill("KILL")
    got[#got + 1] = read_all(p)
    got = table.concat(got):gsub("\r\n", "\n")
    assert.is_true(#got >= 200 * 1024 and #got < #lines, "got " .. #got)
    assert.is_true(got == lines:sub(1, #got), "what arrived is not what cat wrote")
    assert.same({ nil, "signal", 9 }, { p:wait(10) })
    p:close()
    assert.is_nil(state(p.pid), "reaped by close")
  end)

  it("while reading is paused: the exit is seen, nothing is lost, no zombie", function()
    -- small output, exit while paused: wait gives the status, resume gives the output
    local p = pty.spawn("sh", "-c", 'head -c 2000 "$1"; exit 3', "sh", file)
    p:pause()
    assert.same({ nil, "exit", 3 }, { p:wait(10) })
    p:resume()
    assert.equal(data:sub(1, 2000), p:expect(pty.EOF, 10).before)
    p:close()
    assert.is_nil(state(p.pid), "reaped by close")

    -- paused and never resumed: close reaps
    p = pty.spawn("sh", "-c", 'head -c 2000 "$1"; exit 3', "sh", file)
    p:pause()
    assert.same({ nil, "exit", 3 }, { p:wait(10) })
    p:close()
    assert.is_nil(state(p.pid), "reaped")

    -- more than the terminal holds: the child waits for us (a short
    -- negative look), and all of it comes once reading resumes
    p = pty.spawn("sh", "-c", 'head -c 300000 "$1"; exit 4', "sh", file)
    p:pause()
    assert.same({ nil, "timeout" }, { p:wait(0.2) })
    p:resume()
    assert.same({ nil, "exit", 4 }, { p:wait(10) })
    local m = p:expect(pty.EOF, 10)
    assert.equal(300000, #m.before)
    assert.is_true(m.before == data, "content differs")
    p:close()
    assert.is_nil(state(p.pid), "reaped by close")

    -- killed while blocked on a paused reader: what it wrote arrives
    p = pty.spawn("cat", linefile)
    p:pause()
    assert.same({ nil, "timeout" }, { p:wait(0.2) })
    p:kill("KILL")
    assert.same({ nil, "signal", 9 }, { p:wait(10) })
    p:resume()
    local got = read_all(p):gsub("\r\n", "\n")
    assert.is_true(#got > 0 and #got < #lines, "got " .. #got)
    assert.is_true(got == lines:sub(1, #got), "what arrived is not what cat wrote")
    p:close()
    assert.is_nil(state(p.pid), "reaped by close")
  end)
end)
