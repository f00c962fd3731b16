-- The examples in scripts/examples/ keep working: each is run with the
-- command and its output checked.
local H = require "helpers"

local function example(name, args)
  local a = { H.root .. "/scripts/examples/" .. name }
  for _, v in ipairs(args or {}) do a[#a + 1] = v end
  return H.run(a)
end

describe("examples", function()
  it("bc.lua computes with bc", function()
    local r = example("bc.lua", { "2^100", "1/0" })
    assert.equal(0, r.code)
    assert.matches("2%^100%s+= 1267650600228229401496703205376", r.stdout)
    assert.matches("1/0%s+%-> error: Runtime error %(func=%(main%), adr=%d+%): Divide by zero", r.stdout)
    assert.matches("bc exited: exit 0", r.stdout)
  end)

  it("shell.lua captures output and exit statuses", function()
    local r = example("shell.lua")
    assert.equal(0, r.code)
    assert.matches("%$ echo %$%(%(6 %* 7%)%)\n42\n%(exit 0%)", r.stdout)
    assert.matches("%(exit 2%)", r.stdout)
  end)

  it("parallel.lua runs sessions concurrently", function()
    local r = example("parallel.lua", { "30" })
    assert.equal(0, r.code)
    assert.matches("30 bc sessions, sum of squares = 9455 %(expected 9455%)", r.stdout)
  end)

  it("screen.lua finds a word in less through the screen, and draws it", function()
    local svg = H.tmpname() .. ".svg"
    local r = example("screen.lua", { "needle", svg })
    assert.equal(0, r.code, r.stderr)
    assert.matches('"needle" is on row 1, column 20', r.stdout, 1, true)
    assert.matches("|line 321 hides the needle here", r.stdout, 1, true)
    assert.matches(">line 321 hides the</text>", H.read(svg), 1, true)
    assert.matches(">needle</text>", H.read(svg), 1, true)
    os.remove(svg)
  end)

  it("timeout.lua shows an explanatory timeout error", function()
    local r = example("timeout.lua")
    assert.equal(0, r.code)
    assert.matches("timeout.lua:%d+: timeout %(0.5s%) waiting for /%[Pp%]assword: / from fake%-login %(pid %d+, running%)", r.stdout)
    assert.matches('last output: " by peer\\r\\n"', r.stdout, 1, true)
  end)
end)
