-- The screen's fast path (src/vt.c) and the input it must survive: each
-- case feeds the same bytes, in the same pieces, to a screen with the fast
-- path on and to one with it off, and wants the same rows and cursor (and
-- replies).  The cases come from a review: crashes inside libvterm 0.1.4
-- (C1 characters, wide characters on one column), escape sequences the
-- fast path's tracker misread (so it cut lines that show), UTF-8 split by
-- a cut, quadratic time with small reads, and NUL/BEL counted as changes.
local pty = require "ptyscript"
local H = require "helpers"
require "ptyscript.busted"

local T = 15

-- a fast screen and a slow one (fast path off), same size
local function pair(rows, cols)
  local a, b = pty.screen(rows, cols), pty.screen(rows, cols)
  b:_fastpath(false)
  return a, b
end

-- feed both the same pieces; returns the replies of each, joined
local function feed(a, b, pieces)
  if type(pieces) == "string" then pieces = { pieces } end
  local ra, rb = {}, {}
  for i, piece in ipairs(pieces) do
    ra[i] = a:feed(piece)
    rb[i] = b:feed(piece)
  end
  return table.concat(ra, "|"), table.concat(rb, "|")
end

local function same(a, b)
  local rows = b:size()
  for r = 1, rows do
    assert.are.equal(b:row(r), a:row(r), "row " .. r)
  end
  assert.are.same({ b:cursor() }, { a:cursor() })
end

-- feed pieces to a fresh pair and compare screens and replies
local function check(rows, cols, pieces)
  local a, b = pair(rows, cols)
  local ra, rb = feed(a, b, pieces)
  same(a, b)
  assert.are.equal(rb, ra)
  return a, b
end

describe("the screen's fast path", function()
  it("makes a 1-column screen 2 columns wide, for wide characters", function()
    local s = pty.screen(5, 1)                  -- a wide character crashed here
    assert.are.same({ 5, 2 }, { s:size() })
    s:feed("中")
    assert.are.equal("中", s:row(1))
    s = pty.screen(5, 10)
    s:resize(5, 1)
    assert.are.same({ 5, 2 }, { s:size() })
    s:feed("中中中")
    assert.are.equal("中", s:row(3))
    local p = pty.spawn{ "sh", "-c", "sleep 0.3; printf '\\344\\270\\255'", screen = true }
    p:setwinsize(5, 1)
    assert.are.same({ true, "exit", 0 }, { p:wait(T) })
    assert.are.same({ 5, 2 }, { p:screen():size() })
    assert.are.equal("中", p:screen():row(1))
    p:close()
  end)
end)
