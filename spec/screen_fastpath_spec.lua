-- The screen's fast path (src/vt_fast.c) and the input it must survive: each
-- case feeds the same bytes, in the same pieces, to a screen with the fast
-- path on and to one with it off, and wants the same rows and cursor (and
-- replies).  The cases: input that crashes libvterm 0.1.4 unguarded (C1
-- characters, wide characters on one column), escape sequences a tracker
-- can misread (and so cut lines that show), UTF-8 split by a cut, many
-- small reads (no quadratic time), and NUL/BEL that change nothing.
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
  it("survives C1 characters in UTF-8 (C2 80..9F), which libvterm gives width -1", function()
    -- each of these crashed inside libvterm (an erase at a negative column)
    for _, pieces in ipairs{
      { "\xc2\x85\xc2\x85\xc2\x85\27[K" },
      { "\xc2\x80\xc2\x80\xc2\x80\27[6n", "AB\27[K\27[3P\27[2@\27[2X\27[1K\27[J" },
      { string.rep("\xc2\x85", 200) .. "\27[6n", "\27[K\27[5P\27[5@XYZ\27[1K\27[2K" },
      { "\27[4h" .. string.rep("\xc2\x85", 50) .. "q\27[4l" },
      { "\xc2\r\x85\27[K" },                  -- the decoder waits across a CR
      { "\xc2\27[m\x85\27[3X" },                -- and across a sequence
      { "\27N\xc2\x85\27[K" },                  -- and after a single shift
      { "ab\xc2", "\x85\27[K" },                 -- split between two feeds
      { "ab\xc2", "\xa9\27[K" },                 -- U+00A9, split
    } do
      local a, b = check(3, 10, pieces)
      local _, col = a:cursor()
      assert.is_true(col >= 1)
      assert.is_truthy(a:row(1):find("\u{fffd}") or a:row(1):find("\u{a9}") or a:row(1) == "")
    end
    local a = check(3, 10, { "ab\xc2", "\xa9\27[K" })
    assert.are.equal("ab\u{a9}", a:row(1))
    -- a process's screen too
    local p = pty.spawn{ "printf", "\\302\\205\\302\\205\\033[K", screen = true }
    assert.are.same({ true, "exit", 0 }, { p:wait(T) })
    assert.are.equal("\u{fffd}\u{fffd}", p:screen():row(1))
    p:close()
  end)

  it("keeps a UTF-8 character split between two reads whole", function()
    -- libvterm 0.1.4 shows U+FFFD for "ab\xc3" then "\xa9"
    for _, case in ipairs{
      { { "ab\xc3", "\xa9" }, "abé" },
      { { "\27[mab\xe4\xb8", "\xadx" }, "ab中x" },
      { { "ab\xf0\x9f", "\x98", "\x80!" }, "ab\u{1f600}!" },
      { { "ab\xe4\xb8", "x" }, "ab\u{fffd}x" },      -- never completed
    } do
      local a = check(3, 10, case[1])
      assert.are.equal(case[2], a:row(1))
    end
  end)

  it("does not count NUL, BEL or DEL as a change", function()
    local a, b = pair(3, 10)
    feed(a, b, "x")
    local ca, cb = a:changes(), b:changes()
    feed(a, b, { "\0", "\a", "\127", "\0\a\127" })
    assert.are.equal(cb, b:changes())
    assert.are.equal(ca, a:changes())
    feed(a, b, "y")
    assert.is_true(a:changes() > ca)
    same(a, b)
    -- so a program that beeps every 20 ms lets the screen settle
    local p = pty.spawn{ "sh", "-c", "printf x; while :; do printf '\\0\\a'; sleep 0.02; done",
      screen = true }
    p:expect_screen("x", T)
    p:wait_stable(0.3, T)
    p:close()
  end)

  it("does not cut after sequences its tracker cannot read exactly", function()
    -- margins set by a DECSTBM the tracker took for "no margins": the
    -- cursor is below them, where lines do not scroll, so the first stays
    local body = "ABCDEFGHIJ\r\n" .. string.rep("x\r\n", 20) .. "y"
    for _, stbm in ipairs{ "\27[1;3r", "\27[1:3r", "\27[1;2147483651r", "\27[1;0000000003r" } do
      local a = check(6, 20, stbm .. "\27[5;1H" .. body)
      assert.are.equal("ABCDEFGHIJ", a:row(5))
    end
    -- modes hidden behind more than CSI_MAX (32) parameter bytes
    local text = string.rep("abcdefghijklmnopqrstuvwxyz", 40) .. "!"
    local zeros = string.rep("0", 40)
    check(4, 10, "\27[?" .. zeros .. "7l" .. text)                 -- no autowrap
    local flood = "ABCDEFGHIJ\r\n" .. string.rep("x\r\n", 30) .. "y"
    check(6, 10, "\27[?" .. zeros .. "69h\27[3;6s" .. flood)      -- left/right margins
    check(6, 10, { "\27[?" .. zeros, "69h\27[3;6s", flood })
    -- double-width lines (ESC # 6), and the cursor report after them
    local dwl = string.rep("a\r\n", 20) .. "\r" .. string.rep("X", 9) .. string.rep("\n", 10)
    check(4, 10, { "\27#6", dwl .. "Y" })
    check(4, 10, { "\27#6", dwl, "\27[6n" })
    check(4, 10, { "\27#3\27#4", dwl, "\27[6n" })
    -- until a reset: then it cuts again
    local a, b = pair(24, 80)
    local lines = {}
    for i = 1, 2000 do lines[i] = "plain line " .. i end
    feed(a, b, { "\27#6", table.concat(lines, "\r\n") .. "\r\n" })
    assert.are.equal(0, a:_fastpath())
    feed(a, b, { "\27c", table.concat(lines, "\r\n") .. "\r\n" })
    assert.is_true(a:_fastpath() > 10000)
    same(a, b)
  end)

  it("does not cut where the dropped bytes would leave libvterm's UTF-8 decoder otherwise", function()
    -- libvterm 0.1.4 waits for a continuation byte across CR, LF and
    -- escape sequences, in one decoder for text that starts with a high
    -- byte and another for text that starts with ASCII: the screen puts
    -- U+FFFD in place of UTF-8 that is not whole, so neither ever waits
    local a_lines, b_lines = string.rep("a\r\n", 20), string.rep("b\r\n", 10)
    check(4, 10, a_lines .. "\xe2\r\n" .. b_lines .. "\x82\xac")
    check(4, 10, a_lines .. "\xe2\r\n" .. b_lines .. "\xc3\xa9")
    check(4, 10, { a_lines .. "\xe2\r\n", b_lines, "\x82\xac" })
    check(4, 10, a_lines .. "\x82\r\n" .. b_lines .. "\xc3\xa9")     -- a stray continuation
    -- a lead byte a few bytes from the end, with no continuation after it
    check(1, 3, "2\xfd\r2\n\n")
    check(1, 3, { "x\r\n", "2\xfd\r2\n\n" })
    -- the decoder already waits where the plain text starts: a whole
    -- character in the dropped part ends its wait, only without the cut
    local e_lines = string.rep("\xc3\xa9\r\n", 20)
    check(4, 10, "\xe2\27[m" .. e_lines .. b_lines .. "\x82\xac")
    check(4, 10, { "\xe2\27[m", e_lines, b_lines, "\x82\xac" })
    -- a whole character that starts with ASCII goes to the other decoder
    -- and leaves the first waiting; the dropped line that starts with one
    -- would end that wait, only without the cut
    local tail = "\xc3\xa9\r\n" .. string.rep("a\r\n", 20) .. "\xc3\xa9"
    check(4, 10, "\xe2\27[mx\xc3\xa9\27[m" .. tail)
    check(4, 10, { "\xe2\27[m", "x\xc3\xa9\27[m", tail })
    check(1, 2, "\xe8\0d\xc2\2\xc2\r3\n\n\xe8\xff")
    -- whole characters are cut as usual
    local a, b = pair(4, 10)
    feed(a, b, string.rep("x中文 \xc3\xa9\r\n", 40) .. "end")
    assert.is_true(a:_fastpath() > 100)
    same(a, b)
  end)

  it("keeps the column of text after a full line and a bare line feed", function()
    -- libvterm 0.1.4 keeps a pending wrap over a line feed that scrolls
    -- and drops it over one that moves the cursor down: where the next
    -- character lands depends on the row, which a cut must not change
    local head = string.rep("x\r\n", 30)
    local tail = "abcdef\nX" .. string.rep("\n", 14) .. "Y"
    for _, pieces in ipairs{
      { head .. tail },
      { "\27[2J\27[H" .. head .. tail },
      { head, tail },
      { "\27[H", string.rep("x\r\n", 3) .. tail },     -- too few lines dropped to reach the bottom
    } do
      local a = check(6, 6, pieces)
      assert.is_truthy(a:row(6):find("Y"))
    end
    local a, b = pair(6, 6)
    feed(a, b, head .. tail)
    assert.is_true(a:_fastpath() > 0)                  -- it still cuts
  end)

  it("gives the same screen however small the reads (and still skips)", function()
    -- the patterns that took quadratic time: each read looked at all the
    -- text held back (no time is measured here: the results must agree)
    local function pieces(n, f)
      local t, total, i = {}, 0, 0
      while total < n do
        i = i + 1
        t[i] = f(i)
        total = total + #t[i]
      end
      return t
    end
    local text = "abcdefghijklmnopqrstuvwxyz\r\n"
    local wrap = "0123456789abcdefghijklmnopqrstuvwxyz"
    for _, case in ipairs{
      { "progress", pieces(60000, function(i)
        return string.format("\r[%-10s] %5d", string.rep("#", i % 10), i) end), false },
      { "LF-only lines", pieces(60000, function(i) return string.format("line %012d\n", i) end), false },
      { "CRLF lines, 1 byte a read", pieces(60000, function(i)
        local k = i % #text + 1
        return text:sub(k, k) end), true },
      { "wrapping text, 1 byte a read", pieces(60000, function(i)
        local k = i % #wrap + 1
        return wrap:sub(k, k) end), true },
      { "wrapping text, reads of 7", pieces(60000, function(i)
        return (wrap .. wrap):sub(i % #wrap + 1, i % #wrap + 7) end), true },
      { "lines of UTF-8, 3 bytes a read", pieces(60000, function(i)
        return ("x中é\r\n"):rep(3):sub((i - 1) % 8 * 3 + 1, (i - 1) % 8 * 3 + 3) end), true },
    } do
      for _, size in ipairs{ { 24, 80 }, { 3, 7 } } do
        local a, b = pair(size[1], size[2])
        feed(a, b, case[2])
        same(a, b)
        if case[3] then assert.is_true(a:_fastpath() > 10000, case[1]) end
        -- read the screen (a flush) between reads, then go on
        for i = 1, 200 do
          a:feed(case[2][i])
          b:feed(case[2][i])
          if i % 37 == 0 then same(a, b) end
        end
        same(a, b)
      end
    end
  end)

  it("survives a resize to fewer rows than its scroll margins", function()
    -- libvterm 0.1.4 kept a top margin below the new last row and
    -- crashed at the next scroll
    for _, stbm in ipairs{ "\27[4r", "\27[4;9r", "\27[4:9r", "\27[6;7r" } do
      local a, b = pair(8, 32)
      feed(a, b, stbm .. "\27[3;5Hab")
      a:resize(2, 18)
      b:resize(2, 18)
      assert.are.same({ 2, 7, true }, { a:cursor() })      -- kept (row 3 is now the last)
      feed(a, b, string.rep("w", 100) .. "\r\n\r\nend")
      same(a, b)
      assert.are.equal("end", a:row(2))
    end
    -- also when the resize comes in the middle of a sequence: it waits
    -- for the sequence's end (the margins are reset between sequences)
    local a, b = pair(9, 33)
    feed(a, b, "\27[5r\n\27")
    a:resize(2, 34)
    b:resize(2, 34)
    assert.are.same({ 9, 33 }, { a:size() })
    feed(a, b, { "[1mX", "\r\nend" })
    assert.are.same({ 2, 34 }, { a:size() })
    same(a, b)
    assert.are.equal("X", a:row(1))                     -- the sequence was not broken
    assert.is_true(select(2, a:cell(1, 1)).bold)
    assert.are.equal("end", a:row(2))
  end)

  it("survives a resize that takes the cursor's line off the top", function()
    -- libvterm 0.1.4 keeps the bottom text in view and moved the cursor
    -- to row -1: the next character (in insert mode) crashed it
    local a, b = pair(12, 28)
    feed(a, b, "\n" .. string.rep("w", 85) .. "\27[H\27[4h")
    a:resize(4, 6)
    b:resize(4, 6)
    assert.are.same({ 1, 1, true }, { a:cursor() })
    feed(a, b, "xyz")
    same(a, b)
    assert.are.equal("xyz", a:row(1):sub(1, 3))
  end)

  it("survives ESC # after a saved cursor was restored off a smaller screen", function()
    -- libvterm 0.1.4 restores a saved cursor outside the screen; ESC #
    -- then wrote the line attributes out of bounds
    for _, seq in ipairs{ "\27#6x", "\27#5", "\27#8", "\27#3\27#4ab" } do
      local a, b = pair(9, 20)
      feed(a, b, "\27[5;18H\0277")
      a:resize(3, 10)
      b:resize(3, 10)
      feed(a, b, { "\0278" .. seq, "\r\nend" })
      same(a, b)
    end
  end)

  it("keeps the cursor on the screen when a saved one is restored after a resize", function()
    -- libvterm 0.1.4 restored it outside the smaller screen, where line
    -- feeds and characters read and wrote out of bounds
    for _, restore in ipairs{ { "\0278" }, { "\27", "8" }, { "\27[u" }, { "\27[?1049l" },
                              { "\27[?10", "49l" } } do
      local a, b = pair(9, 20)
      local save = restore[1] == "\27[u" and "\27[s" or restore[1]:find("1049") and "\27[?1049h"
        or (restore[2] or ""):find("49") and "\27[?1049h" or "\0277"
      feed(a, b, "\27[8;18H" .. save)
      a:resize(3, 10)
      b:resize(3, 10)
      feed(a, b, restore)
      local row, col = a:cursor()
      assert.is_true(row <= 3 and col <= 10, table.concat(restore))
      feed(a, b, "abc\n\n\n\27[Lxyz\27[M\r\nend")
      same(a, b)
    end
  end)

  it("keeps the cursor on the screen after a restore spelt with bytes libvterm skips", function()
    -- libvterm 0.1.4 stays in ESC through C0 and high bytes, and reads
    -- ?1049;1l as ?1049l: the guard looked for the plain spellings only
    -- (found by fuzz/vt_fuzz.c: "cursor out of the screen")
    for _, c in ipairs{ { "\0277", "\27\2558" }, { "\0277", "\27\n8" }, { "\0277", "\27\255", "8" },
                        { "\27[?1049h", "\27[?1049;1l" }, { "\27[?1049h", "\27[?1049:1l" } } do
      local a, b = pair(12, 20)
      feed(a, b, "\27[11;18H" .. c[1])
      a:resize(3, 10)
      b:resize(3, 10)
      feed(a, b, { table.unpack(c, 2) })
      local row, col = a:cursor()
      assert.is_true(row <= 3 and col <= 10, ("%q: row %d col %d"):format(c[2], row, col))
      feed(a, b, "abc\n\n\n\27[Lxyz\27[M\r\nend")
      same(a, b)
    end
  end)

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
    -- a process's screen: 1 column is refused (the child would see 1 and
    -- the screen 2); 2 columns take the wide character
    local p = pty.spawn{ "sh", "-c", "read x; printf '\\344\\270\\255'", screen = true,
      echo = false }
    assert.is_false(pcall(p.setwinsize, p, 5, 1))
    p:setwinsize(5, 2)
    p:sendline("")
    assert.are.same({ true, "exit", 0 }, { p:wait(T) })
    assert.are.same({ 5, 2 }, { p:screen():size() })
    assert.are.equal("中", p:screen():row(1))
    p:close()
  end)
end)
