-- The terminal screen: libvterm kept in sync with real programs
-- in real ptys - the screen object, waiting on it, pictures, terminal
-- queries, and full-screen programs (vim, less, dialog) driven by keys.
local pty = require "ptyscript"
local H = require "helpers"
require "ptyscript.busted"

local PY = H.sh("python3 -c 'import sys; print(sys.executable)'").stdout:match("[^\n]+")
local T = 15   -- generous: the specs also run under ASan on a loaded machine

local function has(prog)
  return H.sh("command -v " .. prog).ok
end

describe("the screen object", function()
  it("shows text, attributes, colours, cursor and title as drawn", function()
    local p = pty.spawn{ "sh", "-c",
      "printf 'plain\\r\\n\\033[1;4;31mred\\033[0m \\033[7m\\033[38;2;1;2;3mrgb\\033[0m\\r\\n"
      .. "\\033]2;the title\\007wide:\\344\\270\\255!\\033[4;3HX'; exec cat", screen = true }
    p:expect_screen("X", T)
    local s = p:screen()
    assert.are.equal("plain", s:row(1))
    assert.are.equal("red rgb", s:row(2))
    assert.are.equal("wide:中!", s:row(3))
    assert.are.equal("  X", s:row(4))
    assert.are.equal("plain\nred rgb\nwide:中!\n  X" .. string.rep("\n", 20), s:text())
    assert.are.same({ 4, 4, true }, { s:cursor() })
    assert.are.equal("the title", s:title())
    assert.is_false(s:alt())
    local ch, a = s:cell(2, 1)
    assert.are.equal("r", ch)
    assert.is_true(a.bold)
    assert.is_true(a.underline)
    assert.is_false(a.reverse)
    assert.are.equal(1, a.fg)
    assert.is_nil(a.bg)
    ch, a = s:cell(2, 5)
    assert.are.equal("r", ch)
    assert.is_true(a.reverse)
    assert.are.equal("#010203", a.fg)
    ch, a = s:cell(3, 6)
    assert.are.equal("中", ch)
    assert.are.equal(2, a.width)
    assert.are.equal(0, select(2, s:cell(3, 7)).width)
    -- find: 1-based row and the column of the cell where the match starts
    assert.are.same({ 3, 8, "!" }, { s:find("!") })
    assert.are.same({ 2, 5, "rgb" }, { s:find(pty.exact("rgb")) })
    assert.are.same({ 2, 1, "red" }, { s:find(pty.re("RED", "i")) })
    assert.is_nil(s:find("absent"))
    -- a string pattern is multiline: ^ and $ at each row
    assert.are.same({ 4, 1, "  X" }, { s:find("^ +X$") })
    assert.is_nil(s:find(pty.re("^ +X$")))   -- pty.re: the flags it was given
    assert.is_true(s:contains("wide"))
    p:close()
  end)

  it("follows setwinsize and the alternate screen", function()
    local p = pty.spawn{ "cat", screen = true, echo = false }
    local s = p:screen()
    assert.are.same({ 24, 80 }, { s:size() })
    p:setwinsize(10, 40)
    assert.are.same({ 10, 40 }, { s:size() })
    p:send("main\r")
    p:expect_screen("main", T)
    p:send("\27[?1049h\27[Halt\r")
    p:expect_screen(function(sc) return sc:alt() and sc:row(1) == "alt" end, T)
    assert.is_nil(s:find("main"))
    p:send("\27[?1049l\r")
    p:expect_screen(function(sc) return not sc:alt() end, T)
    assert.are.equal("main", s:row(1))
    p:close()
    -- still readable once the process is closed and collected
    p = nil
    collectgarbage()
    collectgarbage()
    assert.are.equal("main", s:row(1))
  end)

  it("is fed while nobody waits, and after the child exits", function()
    local p = pty.spawn{ "sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line $i; i=$((i+1)); done; printf end",
      screen = true }
    assert.is_true((p:wait(T)))
    local s = p:screen()
    assert.are.equal("end", s:row(24))
    assert.are.equal("line 299", s:row(23))
    p:close()
  end)

  it("says it is attached while its process can feed it, not after close", function()
    local p = pty.spawn{ "cat", echo = false, screen = true }
    local s = p:screen()
    assert.is_true(s:attached())
    p:close()
    assert.is_false(s:attached())
    assert.is_false(pty.screen(2, 10):attached())   -- a screen of its own
  end)

  it("p:screen() turns it on from the next byte", function()
    local p = pty.spawn{ "cat", echo = false }
    p:send("before\r")
    p:expect("before")
    local s = p:screen()
    assert.are.equal(s, p:screen())
    p:send("after\r")
    p:expect_screen("after", T)
    assert.is_nil(s:find("before"))
    p:close()
  end)

  it("shows only the last state of a line redrawn with \\r (a progress bar)", function()
    local p = pty.spawn{ PY, "-c", [[
import sys, time
for i in range(0, 101, 5):
    sys.stdout.write("\rprogress [%-20s] %3d%%" % ("#" * (i // 5), i))
    sys.stdout.flush()
    time.sleep(0.005)
sys.stdout.write(" done\r\n")
]], screen = true }
    p:expect_screen("done", T)
    local s = p:screen()
    assert.are.equal("progress [####################] 100% done", s:row(1))
    assert.is_nil(s:find("50%"))
    assert.are.equal("", s:row(2))
    p:wait(T)
    p:close()
  end)

  it("shows UTF-8 that is not whole as U+FFFD where it is, never joined across lines or sequences", function()
    local s = pty.screen(5, 20)
    s:feed("a\xe2\r\n\x82\xacb\r\n")        -- a lead byte, a line end, its continuation bytes
    s:feed("c\xe2\x82\27[1mX\27[m\r\n")     -- two of three bytes, then a sequence
    s:feed("d\xff\xc3\r\n")                 -- FF, a lead byte at a line end
    assert.are.equal("a\u{FFFD}", s:row(1))
    assert.are.equal("\u{FFFD}\u{FFFD}b", s:row(2))
    assert.are.equal("c\u{FFFD}X", s:row(3))
    assert.are.equal("d\u{FFFD}\u{FFFD}", s:row(4))
  end)

  it("raises clear errors for bad input, never crashes", function()
    local p = pty.spawn{ "cat", screen = true }
    local s = p:screen()
    local function err(fn, ...)
      local ok, e = pcall(fn, ...)
      assert.is_false(ok)
      return tostring(e)
    end
    assert.matches("row 0 out of range 1..24", err(s.row, s, 0))
    assert.matches("row 25 out of range 1..24", err(s.row, s, 25))
    assert.matches("row must be an integer", err(s.row, s, "x"))
    assert.matches("row must be an integer", err(s.row, s, 1.5))
    assert.matches("column 81 out of range 1..80", err(s.cell, s, 1, 81))
    assert.matches("invalid pattern /%(/: missing closing parenthesis", err(s.find, s, "("))
    assert.matches("expected a pattern", err(s.find, s, 42))
    assert.matches("expected a screen", err(s.find, {}, "x"))
    assert.matches("ptyscript.Screen expected, got table", err(s.text, {}))
    assert.matches("expected a pattern .* or a function", err(p.expect_screen, p, 42))
    assert.matches("screen_spec.lua:%d+: expect_screen: invalid pattern", err(p.expect_screen, p, "[", 1))
    assert.matches("wait_stable: expected a number", err(p.wait_stable, p, "soon"))
    assert.matches("unknown format", err(s.snapshot, s, H.tmpname() .. ".png"))
    assert.matches("screen must be true or false", err(pty.spawn, { "true", screen = "yes" }))
    assert.matches("rows must be an integer from 1 to 1000", err(pty.screen, 0, 80))
    assert.matches("cols must be an integer from 1 to 1000", err(pty.screen, 24, "wide"))
    assert.matches("fed by its process", err(s.feed, s, "x"))
    -- a window beyond the emulator's limits is refused: the child would not
    -- see the screen's size
    assert.matches("setwinsize: with a screen, rows must be 1 to 1000 and cols 2 to 1000 "
      .. "%(got 60000x60000%)", err(p.setwinsize, p, 60000, 60000))
    assert.are.same({ 24, 80 }, { s:size() })
    p:close()
  end)

  it("and its child always have the same size: setwinsize beyond the limits raises", function()
    local p = pty.spawn{ "sh", "-c", "while read x; do stty size; done", screen = true,
      echo = false }
    local s = p:screen()
    local function size()   -- as the child sees it
      p:sendline("")
      return p:expect("(\\d+) (\\d+)\\r\\n", T)[0]:gsub("\r\n", "")
    end
    for _, bad in ipairs{ { 2000, 100 }, { 1001, 80 }, { 24, 1001 }, { 24, 1 }, { 65535, 65535 } } do
      local ok, e = pcall(p.setwinsize, p, bad[1], bad[2])
      assert.is_false(ok)
      assert.matches("screen_spec.lua:%d+: setwinsize: with a screen, rows must be 1 to 1000 and "
        .. "cols 2 to 1000 %(got " .. bad[1] .. "x" .. bad[2] .. "%)", tostring(e))
      assert.are.same({ 24, 80 }, { p:getwinsize() })
      assert.are.same({ 24, 80 }, { s:size() })
    end
    -- (and the C handle below refuses too)
    local ok, e = pcall(p._c.setwinsize, p._c, 2000, 100)
    assert.is_false(ok)
    assert.matches("setwinsize: 2000 rows, 100 cols are beyond the limits of the process's screen", e)
    assert.equal("24 80", size())
    assert.is_true(p:setwinsize(1000, 1000))
    assert.are.same({ 1000, 1000 }, { s:size() })
    assert.equal("1000 1000", size())
    assert.is_true(p:setwinsize(1, 2))
    assert.are.same({ 1, 2 }, { s:size() })
    assert.equal("1 2", size())
    p:close()
    -- p:screen() later, on a terminal the screen cannot take: refused
    for _, o in ipairs{ { rows = 2000 }, { cols = 1 } } do
      o[1], o[2], o.echo = "sh", "-c", false
      o[3] = "while read x; do stty size; done"
      p = pty.spawn(o)
      local ok, e = pcall(p.screen, p)
      assert.is_false(ok)
      assert.matches("screen: the terminal of sh %(pid %d+, running%) is %d+x%d+; a screen needs "
        .. "rows 1 to 1000 and cols 2 to 1000 %(setwinsize first%)", tostring(e))
      p:setwinsize(30, 90)
      s = p:screen()
      assert.are.same({ 30, 90 }, { s:size() })
      assert.equal("30 90", size())
      p:close()
    end
  end)
end)

describe("waiting on the screen", function()
  it("expect_screen's timeout shows the screen in a frame", function()
    local p = pty.spawn{ "sh", "-c", "printf 'hello <world>\\r\\n'; exec cat", screen = true, rows = 5, cols = 20 }
    p:expect_screen("world", T)
    local ok, e = pcall(p.expect_screen, p, "never", 0.3)
    assert.is_false(ok)
    assert.are.equal("timeout", e.kind)
    assert.are.equal(p, e.process)
    assert.are.equal(0.3, e.timeout)
    assert.matches("hello <world>", e.screen, 1, true)
    local msg = tostring(e)
    assert.matches("^[^\n]*screen_spec%.lua:%d+: timeout %(0%.3s%) waiting for /never/ on the screen of sh %(pid %d+, running%)", msg)
    assert.matches("\n  +--------------------+\n  |hello <world>       |\n  |", msg, 1, true)
    assert.matches("screen 5x20, cursor at row 2, col 1", msg, 1, true)
    p:close()
  end)

  it("expect_screen reports EOF with the final screen when the output ends without a match", function()
    local p = pty.spawn{ "sh", "-c", "printf 'bye\\r\\n'", screen = true }
    local ok, e = pcall(p.expect_screen, p, "never", T)
    assert.is_false(ok)
    assert.are.equal("eof", e.kind)
    assert.matches("|bye ", tostring(e), 1, true)
    p:close()
  end)

  it("expect_screen takes a function of the screen and returns its results", function()
    local p = pty.spawn{ "sh", "-c", "printf 'a\\r\\nb\\r\\nc'; exec cat", screen = true }
    local r, c = p:expect_screen(function(s)
      if s:row(3) == "c" then return s:cursor() end
    end, T)
    assert.are.same({ 3, 2 }, { r, c })
    p:close()
  end)

  it("wait_stable waits for the drawing to stop, and times out while it goes on", function()
    local p = pty.spawn{ PY, "-c", [[
import sys, time
for i in range(30):
    sys.stdout.write("\rtick %d" % i); sys.stdout.flush(); time.sleep(0.01)
sys.stdout.write("\rstill   "); sys.stdout.flush()
time.sleep(30)
]], screen = true }
    local s = p:wait_stable(1, T)   -- (ticks 10 ms apart: 1 s is safe under load)
    assert.are.equal("still", s:row(1))
    assert.is_true(s:idle() >= 1)
    p:close()
    local q = pty.spawn{ PY, "-c", [[
import sys, time, itertools
for i in itertools.count():
    sys.stdout.write("\rspin %d" % i); sys.stdout.flush(); time.sleep(0.01)
]], screen = true }
    local t0 = pty.now()
    local ok, e = pcall(q.wait_stable, q, 1, 0.4)
    assert.is_false(ok)
    assert.are.equal("timeout", e.kind)
    assert.matches("waiting for the screen to be still for 1s", tostring(e), 1, true)
    assert.matches("|spin %d+", tostring(e))
    assert.is_true(pty.now() - t0 < 5)
    q:close()
  end)

  it("works from tasks, several screens at once", function()
    local tasks = {}
    for i = 1, 4 do
      tasks[i] = pty.go(function()
        local p = pty.spawn{ "sh", "-c", "sleep 0.0" .. i .. "; printf 'task " .. i .. "'; exec cat", screen = true }
        local r, c = p:expect_screen("task " .. i, T)
        p:close()
        return r, c
      end)
    end
    for i = 1, 4 do assert.are.same({ 1, 1 }, { tasks[i]:wait(T) }) end
  end)
end)

describe("terminal queries", function()
  -- Sends a query in raw mode and prints the reply it got; without an
  -- answer it would wait for ever (a real terminal answers).
  local ASK = [[
import os, sys, tty
fd = sys.stdin.fileno()
tty.setraw(fd)
def ask(q, end):
    os.write(1, q)
    r = b""
    while not r.endswith(end):
        r += os.read(fd, 1)
    return r.replace(b"\x1b", b"ESC").decode()
pos = ask(b"\x1b[5;9H\x1b[6n", b"R")
st = ask(b"\x1b[5n", b"n")
da = ask(b"\x1b[c", b"c")
os.write(1, ("\r\nreplies %s %s %s\r\n" % (pos, st, da)).encode())
]]

  it("answer the cursor position report, device status and device attributes", function()
    local p = pty.spawn{ PY, "-c", ASK, screen = true }
    local _, _, text = p:expect_screen("replies \\S+ \\S+ \\S+", T)
    assert.are.equal("replies ESC[5;9R ESC[0n ESC[?1;2c", text)
    assert.is_true((p:wait(T)))
    p:close()
  end)

  it("queue at most 64 KiB of answers a program does not read; --trace says so once", function()
    -- 200,000 position reports asked (1.2 MB of answers), none read
    local path = H.script(string.format([[
local p = pty.spawn{ %q, "-c", [=[
import os, sys, time, tty
tty.setraw(0)
os.write(1, b"\x1b[6n" * 200000 + b"asked\r\n")
time.sleep(60)
]=], screen = true }
p:expect("asked", 30)
print("queued " .. p._c:queued())
p:close{ grace = 0 }
]], PY))
    local r = H.run({ "--trace", path })
    os.remove(path)
    assert.equal(0, r.code, r.stderr)
    local queued = tonumber(r.stdout:match("queued (%d+)"))
    assert.truthy(queued, r.stdout)
    assert.is_true(queued <= 64 * 1024, "queued " .. queued)
    local _, lines = r.stderr:gsub("does not read the answers to its terminal queries", "")
    assert.equal(1, lines, r.stderr)
  end)

  it("go unanswered without the screen (the program waits)", function()
    local p = pty.spawn{ PY, "-c", ASK }
    local m = p:expect({ "replies", pty.TIMEOUT }, 0.5)
    assert.are.equal(2, m.index)
    p:close()
  end)
end)

describe("pictures", function()
  local function wellformed_xml(path)
    return H.sh(PY .. " -c " .. H.q("import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])")
      .. " " .. H.q(path))
  end

  it("snapshot writes a well-formed SVG with the text, colours and cursor", function()
    local p = pty.spawn{ "sh", "-c",
      "printf 'a <b> & \"c\"\\r\\n\\033[41;97mwhite on red\\033[0m \\344\\270\\255\\r\\n'; exec cat", screen = true }
    p:expect_screen("white on red", T)
    local s = p:screen()
    local path = H.tmpname() .. ".svg"
    assert.are.equal(path, s:snapshot(path))
    local svg = H.read(path)
    local r = wellformed_xml(path)
    assert.is_true(r.ok, r.stderr)
    assert.matches("<svg", svg, 1, true)
    assert.matches("a &lt;b&gt; &amp; &quot;c&quot;", svg, 1, true)
    assert.matches(">white on red</text>", svg, 1, true)
    assert.matches('fill="#e00000"', svg, 1, true)   -- the red background
    assert.matches('class="cursor"', svg, 1, true)
    assert.matches("中", svg, 1, true)
    os.remove(path)
    path = H.tmpname() .. ".html"
    s:snapshot(path)
    local html = H.read(path)
    assert.matches("^<!DOCTYPE html>", html)
    assert.matches("a &lt;b&gt; &amp; &quot;c&quot;", html, 1, true)
    assert.matches("background:#e00000", html, 1, true)
    assert.matches('class="cursor"', html, 1, true)
    r = H.sh(PY .. " -c " .. H.q([[
import sys, html.parser
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.stack = []
    def handle_starttag(self, t, a):
        if t not in ("meta",): self.stack.append(t)
    def handle_endtag(self, t):
        assert self.stack.pop() == t, t
p = P(); p.feed(open(sys.argv[1]).read()); assert not p.stack, p.stack
]]) .. " " .. H.q(path))
    assert.is_true(r.ok, r.stderr)
    os.remove(path)
    p:close()
  end)
end)

describe("output that hung or crashed libvterm 0.1.4", function()
  it("repeats (REP) only a character there was, and cancels a CSI with too many parameters", function()
    local s = pty.screen(3, 30)
    s:feed("\27[2b")                        -- REP before any character: nothing
    assert.are.same({ 1, 1, true }, { s:cursor() })
    s:feed("\r\n\u{301}\27[2b\27\255\127[b")   -- after a lone combining mark; ESC, junk, [b
    s:feed("\r\nab\27[3b!")                 -- the last character, three more times
    assert.are.equal("abbbb!", s:row(3))
    s:feed("\27[1" .. (";1"):rep(40) .. "mX")   -- 41 parameters: cancelled, X plain
    local ch, a = s:cell(3, 7)
    assert.are.equal("X", ch)
    assert.is_false(a.bold)
    -- ESC ! [ b is a REP to libvterm (X once more); a NUL after a string's ESC
    s:feed("\27![b\27\27]\27\0\\Y")
    assert.are.equal("abbbb!XXY", s:row(3))
  end)

  it("repeats (REP) the U+FFFD that broken UTF-8 shows", function()
    local s = pty.screen(4, 20)
    s:feed("a\xc2\27[2b!")                  -- C2 with no continuation byte
    s:feed("\r\nb\xc3")                     -- a read ends inside a character
    s:feed("\27[2b!")                       -- and the next does not finish it
    s:feed("\r\nc\xc2\x85\27[2b!")          -- a C1 character
    s:feed("\r\nd\xff\27[2b!")              -- a byte that is never UTF-8
    assert.are.equal("a\u{FFFD}\u{FFFD}\u{FFFD}!", s:row(1))
    assert.are.equal("b\u{FFFD}\u{FFFD}\u{FFFD}!", s:row(2))
    assert.are.equal("c\u{FFFD}\u{FFFD}\u{FFFD}!", s:row(3))
    assert.are.equal("d\u{FFFD}\u{FFFD}\u{FFFD}!", s:row(4))
  end)

  it("keeps the cursor on a screen made smaller when a child restores it with junk after ESC", function()
    -- ESC, a byte libvterm skips (here 0xFF), 8: a DECRC that put the
    -- cursor back on row 11 of a 3-row screen (found by fuzz/vt_fuzz.c)
    local p = pty.spawn{ "sh", "-c", [[printf '\033[11;1Hready\033[11;18H\0337'; read x;
      printf '\033\3778'; read x; printf 'abc\n\n\n\033[Lxyz\033[M\r\nend']],
      screen = true, echo = false }
    p:expect_screen("ready", T)
    p:setwinsize(3, 10)
    local seen = p:screen():changes()
    p:send("\r")
    p:expect_screen(function(sc) return sc:changes() > seen end, T)   -- the restore moved it
    local row, col = p:screen():cursor()
    assert.is_true(row <= 3 and col <= 10, ("row %d col %d"):format(row, col))
    p:send("\r")
    assert.are.same({ true, "exit", 0 }, { p:wait(T) })
    assert.are.equal("end", p:screen():row(3))
  end)

  it("survives a string whose ESC and \\ come in different reads, or with a DEL between them", function()
    -- libvterm 0.1.4 took the string's length as -1 and read past the
    -- read's buffer (strncpy) once part of it was saved (at a NUL); found
    -- by fuzz/vt_fuzz.c as ESC P a NUL ESC | \ (a read ends after ESC)
    local p = pty.spawn{ "sh", "-c", [[printf 'ready\033]2;a\000b\033'; read x; printf '\\after\n']],
      screen = true, echo = false }
    p:expect_screen("ready", T)
    p:send("\r")
    assert.are.same({ true, "exit", 0 }, { p:wait(T) })
    local s = p:screen()
    assert.are.equal("readyafter", s:row(1))
    assert.is_nil(s:title():find("after"), s:title())   -- not the bytes after the string
    -- the same in one feed, and a DEL or a C0 control after the ESC
    for _, bytes in ipairs{ { "\27]2;a\0b\27", "\\after" }, { "\27]2;xy\27\127\\after" },
                            { "\27P\0x\27\127\0\\after" }, { "\27]2;x\0\27\n", "\127\\after" } } do
      s = pty.screen(2, 20)
      for _, b in ipairs(bytes) do s:feed(b) end
      assert.are.equal("after", s:row(1))
      assert.is_nil(s:title():find("after"), s:title())
    end
  end)
end)

describe("pictures of hostile screens", function()
  it("frame wide and combining characters by the columns they take", function()
    local s = pty.screen(2, 6)
    s:feed("a\u{4E2D}b\r\ne\u{301}x")
    assert.are.equal("screen 2x6, cursor at row 2, col 3\n+------+\n|a\u{4E2D}b  |\n"
      .. "|e\u{301}x    |\n+------+", s:framed())
  end)

  it("stay well-formed with a title that is not UTF-8", function()
    local s = pty.screen(3, 20)
    s:feed("\27]2;bad \255\254 <t>\7ok")
    local path = H.tmpname() .. ".svg"
    s:snapshot(path)
    local r = H.sh(PY .. " -c " .. H.q("import sys, xml.etree.ElementTree as E; "
      .. "t = E.parse(sys.argv[1]).getroot().find('{http://www.w3.org/2000/svg}title').text; "
      .. "assert t == 'bad \\ufffd\\ufffd <t>', repr(t)") .. " " .. H.q(path))
    assert.is_true(r.ok, r.stderr)
    os.remove(path)
    assert.is_nil(s:html():find("\255", 1, true))
  end)
end)

describe("--record", function()
  it("redacts a secret of wide characters from the pictures", function()
    local base = H.tmpname()
    local path = H.script([[
      local p = pty.spawn{"cat", rows = 5, cols = 30}
      p:sendline("pw \u{5BC6}\u{7801}9", {secret = true})
      p:expect("9\r\n.*9\r\n")
    ]])
    local r = H.run({ "--record", base .. ".cast", path })
    os.remove(path)
    assert.are.equal(0, r.code, r.stderr)
    local svg = H.read(base .. ".svg")
    assert.matches("***", svg, 1, true)
    assert.is_nil(svg:find("\u{5BC6}", 1, true), svg)
    assert.is_nil(svg:find("\u{7801}", 1, true), svg)
    for _, f in ipairs{ ".cast", ".svg" } do os.remove(base .. f) end
  end)

  it("also keeps each session's final screen as a picture, secrets as ***", function()
    local base = H.tmpname()
    local path = H.script([[
      local p = pty.spawn{"cat", rows = 5, cols = 30}
      p:sendline("hello \27[1mbold")
      p:expect("bold") p:expect("bold")
      p:sendline("hunter22", {secret = true})
      p:expect("hunter22\r\n.*hunter22\r\n")
      local q = pty.sh("echo second")
      q:expect(pty.EOF)
      q:close()
    ]])
    local r = H.run({ "--record", base .. ".cast", path })
    os.remove(path)
    assert.are.equal(0, r.code, r.stderr)
    local first, second = H.read(base .. ".svg"), H.read(base .. ".2.svg")
    assert.matches(">bold</text>", first, 1, true)
    assert.matches(">***</text>", first, 1, true)
    assert.is_nil(first:find("hunter22", 1, true))
    assert.matches(">second</text>", second, 1, true)
    for _, f in ipairs{ ".cast", ".svg", ".2.cast", ".2.svg" } do os.remove(base .. f) end
  end)

  it("takes no picture of a terminal bigger than a screen, and the script runs as without it", function()
    local base = H.tmpname()
    local path = H.script([[
      local p = pty.spawn{"sh", "-c", "stty size", rows = 2000, cols = 1}
      p:expect("2000 1\r\n")
      assert(p:wait(5))
      print("ok")
    ]])
    local r = H.run({ "--record", base .. ".cast", path })
    os.remove(path)
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal("ok\n", r.stdout)
    assert.matches('"height": 2000', H.read(base .. ".cast"), 1, true)
    assert.is_nil(H.read(base .. ".svg"))
    for _, f in ipairs{ ".cast", ".svg" } do os.remove(base .. f) end
  end)
end)

describe("busted helpers", function()
  it("look at a screen that keeps redrawing, at least twice a second", function()
    local p = pty.spawn{ "sh", "-c", "i=0; while :; do i=$((i+1)); printf '\\rtick %d ' $i; sleep 0.005; done",
      screen = true, rows = 3, cols = 20 }
    local t0 = pty.now()
    assert.screen_contains(p, "tick", 10)
    assert.is_true(pty.now() - t0 < 5, "seen only after " .. (pty.now() - t0) .. " s")
    p:close()
  end)

  it("refuse sizes the emulator cannot take before the child starts", function()
    for _, o in ipairs{ { rows = 2000 }, { cols = 1 } } do
      o[1], o.screen = "true", true
      local ok, err = pcall(pty.spawn, o)
      assert.is_false(ok)
      assert.matches("rows must be 1 to 1000 and cols 2 to 1000", err)
    end
  end)

  it("assert.screen_contains and screen_matches wait for the screen and show it on failure", function()
    local p = pty.spawn{ "sh", "-c", "sleep 0.1; printf 'ready: 42 items'; exec cat", screen = true, rows = 4, cols = 30 }
    assert.screen_contains(p, "ready: 42")
    assert.screen_matches(p, "\\d+ items")
    assert.no.screen_contains(p, "error")
    assert.screen_contains(p:screen(), "items")
    local ok, e = pcall(assert.screen_contains, p, "missing", 0.2)
    assert.is_false(ok)
    assert.matches('Expected the screen of sh %(pid %d+, running%) to contain "missing", but it shows:', tostring(e))
    assert.matches("|ready: 42 items               |", tostring(e), 1, true)
    ok, e = pcall(assert.no.screen_matches, p, "ready", 0.2)
    assert.is_false(ok)
    assert.matches("not to match /ready/", tostring(e), 1, true)
    p:close()
  end)
end)

describe("the fast path", function()
  -- Feed the same bytes, cut in the same random pieces, to a screen with
  -- the fast path and one without: every cell and the cursor must agree.
  local function same(a, b)
    assert.are.equal(b:text(), a:text())
    assert.are.same({ b:cursor() }, { a:cursor() })
    local rows, cols = a:size()
    for r = 1, rows do
      for c = 1, cols do
        local ca, aa = a:cell(r, c)
        local cb, ab = b:cell(r, c)
        if ca ~= cb or aa.fg_rgb ~= ab.fg_rgb or aa.bg_rgb ~= ab.bg_rgb or aa.bold ~= ab.bold then
          error(string.format("cell %d,%d differs: %q vs %q", r, c, ca, cb))
        end
      end
    end
  end

  it("draws exactly what the plain feed draws", function()
    math.randomseed(6)
    local pieces = {
      function(i) return string.format("line %d of plain text\r\n", i) end,
      function(i) return string.format("\27[3%dmcolour %d\27[0m\r\n", i % 8, i) end,
      function(i) return string.format("\rprogress %d%%", i % 100) end,
      function(i) return "wrap " .. string.rep("x", 70 + i % 30) .. "\r\n" end,
      function(i) return string.format("raw lf %d\n", i) end,
      function() return "\27[2;5r" end,            -- margins: the fast path must stand back
      function() return "\27[r" end,
      function() return "\27[?1049h" end,
      function() return "\27[?1049l" end,
      function() return "\27]2;title\7" end,
      function(i) return "中文 " .. i .. "\r\n" end,
      function() return "\27[5;5H\27[K" end,
      function() return "\tb\bc\r\n" end,
      function(i) return string.rep(string.char(97 + i % 26), 200 + i % 977) end,   -- wraps
      function() return "\27[?7l" end,            -- no autowrap: no wrap cut either
      function() return "\27[?7h" end,
      function() return "\27[4h" end,             -- insert mode
      function() return "\27[4l" end,
      function() return "\27[41m" end,
      function() return "\27[m" end,
      function() return "\27[1;3r" end,
      function() return "\27[?69h\27[2;10s" end,
      function() return "\27c" end,
      function() return "\r\n\r\n\r\n" end,
    }
    for round = 1, 16 do
      local R, C = 10, 40
      if round > 6 then R, C = math.random(2, 30), math.random(5, 100) end
      local a, b = pty.screen(R, C), pty.screen(R, C)
      b:_fastpath(false)
      local parts = {}
      for i = 1, 3000 do
        local k = math.random(#pieces)
        if math.random() < (round > 11 and 0.97 or 0.7) then   -- mostly floods
          k = ({ 1, 5, 14, 3, 4, #pieces })[math.random(6)]
        end
        if round % 2 == 0 and k == 5 then k = 1 end
        parts[#parts + 1] = pieces[k](i)
      end
      local data = table.concat(parts)
      local at = 1
      while at <= #data do
        local n = math.random(1, 9000)
        local chunk = data:sub(at, at + n - 1)
        a:feed(chunk)
        b:feed(chunk)
        at = at + n
      end
      same(a, b)
      assert.are.equal(b:title(), a:title())
      assert.are.equal(b:alt(), a:alt())
    end
    -- streams made to catch a fast path that does not stand back
    local lines = {}
    for i = 1, 300 do lines[i] = "flood line " .. i end
    local flood = table.concat(lines, "\r\n") .. "\r\n"
    local nums = {}
    for i = 1, 1500 do nums[i] = tostring(i) end
    local long = table.concat(nums, ",")   -- no period: a cut would show
    for _, case in ipairs{
      { "\27[2;5r" .. flood, "flood line 1" },       -- margins: row 1 written once
      { "\27[?7l" .. long .. "!\r\n", long:sub(1, 39) .. "!" },   -- no autowrap
      { "\27[2;5r" .. long .. "!", long:sub(1, 40) },   -- margins, text that wraps
      { "start\r\n" .. long:gsub(",", "\n"), "1500" },   -- bare LFs: columns carry over
      { "\27]2;a title" .. flood .. "\7" .. flood, "flood line 300" },   -- inside an OSC
      { "\27]2;b title\27\\" .. flood, "flood line 300", "b title" },
      { "\27[?69h\27[5;20s" .. flood, "flood line 300" },
    } do
      local a, b = pty.screen(10, 40), pty.screen(10, 40)
      b:_fastpath(false)
      for at = 1, #case[1], 1000 do
        a:feed(case[1]:sub(at, at + 999))
        b:feed(case[1]:sub(at, at + 999))
      end
      assert.is_truthy(b:find(pty.exact(case[2])))
      same(a, b)
      assert.are.equal(b:title(), a:title())
      if case[3] then assert.are.equal(case[3], a:title()) end
    end
    -- and it does skip, on a flood of lines
    local s = pty.screen(24, 80)
    lines = {}
    for i = 1, 20000 do lines[i] = "plain line " .. i end
    s:feed(table.concat(lines, "\r\n") .. "\r\n")
    assert.is_true(s:_fastpath() > 100000)
    assert.are.equal("plain line 20000", s:row(23))
    s = pty.screen(24, 80)
    s:feed(string.rep("0123456789", 50000) .. "!")
    assert.is_true(s:_fastpath() > 400000)
    assert.are.equal(string.rep("0123456789", 8), s:row(23))
    assert.are.equal("!", s:row(24))
  end)
end)

describe("full-screen programs", function()
  it("vim: insert text, :wq, and the file has it", function()
    if not has("vim") then pending("vim is not installed") return end
    local dir = H.tmpdir()
    local file = dir .. "/note.txt"
    local p = pty.spawn{ "vim", "-u", "NONE", "-i", "NONE", "-N", "-n", file, screen = true,
      env = { HOME = dir, VIMINIT = false, EXINIT = false } }
    p:expect_screen('note\\.txt" \\[New\\]', T)
    assert.is_true(p:screen():alt())
    p:send("iHello from ptyscript\rsecond line")
    p:expect_screen("second line", T)
    assert.are.equal("Hello from ptyscript", p:screen():row(1))
    p:send("\27:wq\r")
    assert.are.same({ true, "exit", 0 }, { p:wait(T) })
    assert.are.equal("Hello from ptyscript\nsecond line\n", H.read(file))
    p:close()
    os.execute("rm -rf " .. H.q(dir))
  end)

  it("less: page a long file, search a word, and see it on the screen", function()
    if not has("less") then pending("less is not installed") return end
    local path = H.tmpname()
    local lines = {}
    for i = 1, 2000 do lines[i] = string.format("row %04d of the long file", i) end
    lines[1500] = "row 1500 has the NEEDLE in it"
    H.write(path, table.concat(lines, "\n") .. "\n")
    local p = pty.spawn{ "less", path, screen = true, env = { LESS = false, LESSOPEN = false, LESSCLOSE = false } }
    p:expect_screen("row 0023 of the long file", T)
    assert.are.equal("row 0001 of the long file", p:screen():row(1))
    p:send(" ")                                   -- a page down
    p:expect_screen("^row 0024 of the long file", T)
    p:send("/NEEDLE\r")
    local r = p:expect_screen("row 1500 has the NEEDLE", T)
    assert.are.equal(1, r)                        -- less puts the match at the top
    local _, a = p:screen():cell(1, 18)           -- and highlights it
    assert.is_true(a.reverse or a.bold or a.underline or a.bg ~= nil)
    p:send("q")
    assert.are.same({ true, "exit", 0 }, { p:wait(T) })
    p:close()
    os.remove(path)
  end)

  it("dialog: a yes/no box answered by keys, checked by exit status and screen", function()
    if not has("dialog") then pending("dialog is not installed") return end
    local p = pty.spawn{ "dialog", "--title", "Deploy", "--yesno", "Ship version 1.2 now?", "8", "40",
      screen = true }
    p:expect_screen("Ship version 1.2 now%?", T)
    p:wait_stable(0.1, T)
    local s = p:screen()
    assert.is_truthy(s:find("Deploy"))
    assert.is_truthy(s:find("<\\s*Yes\\s*>"))
    assert.is_truthy(s:find("<\\s*No\\s*>"))
    -- the chosen button is drawn bold on blue (dialog's default colours)
    local function chosen(sc, label)
      local r, c = sc:find("<\\s*" .. label)
      local _, a = sc:cell(r, c + 2)
      return a.bold and a.bg == 4
    end
    assert.is_true(chosen(s, "Yes"))
    p:send("\t")        -- to No
    p:expect_screen(function(sc) return chosen(sc, "No") and not chosen(sc, "Yes") end, T)
    p:send("\r")
    assert.are.same({ nil, "exit", 1 }, { p:wait(T) })
    p:close()

    p = pty.spawn{ "dialog", "--inputbox", "Your name:", "8", "40", screen = true }
    p:expect_screen("Your name:", T)
    p:send("Ada Lovelace")
    p:expect_screen("Ada Lovelace", T)
    p:send("\r")
    assert.are.same({ true, "exit", 0 }, { p:wait(T) })
    p:close()
  end)
end)
