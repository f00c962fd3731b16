-- The command's Lua allocator (src/alloc.c): freed small blocks are kept
-- in lists per 16-byte class for the next allocation of their class, and
-- a block changes hands when Lua resizes it across a class or across the
-- 512-byte line.
-- These scripts run in the command (the only user of that allocator) and
-- check that what Lua stored survives every kind of move.
local H = require "helpers"

describe("the command's allocator", function()
  it("keeps strings and tables intact through growth, shrinking and collection", function()
    local r = H.run_script([[
      local function pat(n, seed)   -- n bytes that depend on n and seed
        local t = {}
        for i = 1, n do t[i] = string.char(32 + (i * 7 + seed) % 90) end
        return table.concat(t)
      end
      local keep = {}
      for round = 1, 3 do
        -- strings of every size up to past the small-block limit
        for n = 1, 1100, 3 do keep[#keep + 1] = { n, round, pat(n, round) } end
        -- tables whose array part grows from 16 bytes to kilobytes, then
        -- shrinks back through every class when emptied and refilled
        local t = {}
        for i = 1, 300 do t[i] = i * round end
        for i = 300, 1, -1 do
          if t[i] ~= i * round then error("array slot " .. i .. " lost") end
          t[i] = nil
        end
        collectgarbage("collect")
        local h = {}
        for i = 1, 200 do h["k" .. i] = i end
        for i = 1, 200, 2 do h["k" .. i] = nil end
        collectgarbage("collect")
        for i = 2, 200, 2 do
          if h["k" .. i] ~= i then error("hash key k" .. i .. " lost") end
        end
        -- drop half of what was kept, so freed blocks get reused
        for i = #keep, 1, -2 do table.remove(keep, i) end
        collectgarbage("collect")
      end
      for _, e in ipairs(keep) do
        if e[3] ~= pat(e[1], e[2]) then error("string of " .. e[1] .. " bytes changed") end
      end
      -- a buffer that grows by doubling from small to large and back
      local s = ""
      for i = 1, 14 do s = s .. s .. "x" end
      if #s ~= 2 ^ 14 - 1 or s:find("[^x]") then error("grown string wrong") end
      print("ok", #keep)
    ]])
    assert.are.equal("", r.stderr)
    assert.is_true(r.ok)
    assert.matches("^ok\t%d+\n$", r.stdout)
  end)

  it("gives warn() the lua command's behaviour: silent until @on", function()
    local r = H.run_script([[
      warn("hidden")
      warn("@on")
      warn("shown ", "in ", "pieces")
      warn("@off")
      warn("hidden again")
    ]])
    assert.is_true(r.ok)
    assert.are.equal("Lua warning: shown in pieces\n", r.stderr)
  end)

  it("warn() treats control messages exactly as lua5.4 does", function()
    -- a control message is one piece; inside a message "@..." is text
    for _, src in ipairs{
      'warn("@on", "x")',
      'warn("@on"); warn("@foo", "bar")',
      'warn("a", "@on"); warn("visible")',
      'warn("@on"); warn("a", "@off"); warn("still on")',
    } do
      local mine = H.run{ "-e", src }
      local lua = H.sh("lua5.4 -e " .. H.q(src))
      assert.is_true(lua.ok, lua.stderr)
      assert.are.equal(lua.stderr, mine.stderr, src)
    end
  end)
end)
