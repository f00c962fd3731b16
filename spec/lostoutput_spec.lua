-- No lost output at exit.  On Linux a read of the pty master gives EIO
-- once the child has exited and closed the slave; everything it wrote
-- before must still reach the script (DESIGN-NOTES "Exit, EOF and lost
-- output").  The payload has no newline, so the pty's \n -> \r\n
-- translation cannot change the byte count.
local pty = require "ptyscript"
local H = require "helpers"

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
