#!/usr/bin/env ptyscript
-- screen.lua: drive a full-screen program (less) through its screen.
--   ./ptyscript scripts/examples/screen.lua [word] [picture.svg|.html]
-- Pages through a long text in less, searches for a word, prints where it
-- is on the screen and what the screen shows, and can keep a picture.
local word, picture = ...
word = word or "needle"

local path = os.tmpname()
local f = assert(io.open(path, "w"))
for i = 1, 500 do
  f:write(i == 321 and ("line 321 hides the " .. word .. " here\n") or ("line " .. i .. "\n"))
end
f:close()

local p = pty.spawn{ "less", path, screen = true, rows = 12, cols = 60,
  env = { LESS = false, LESSOPEN = false } }
p:expect_screen("^line 11$")                -- the first page is drawn
p:send(" ")                                 -- a page down
p:expect_screen("^line 12$")
p:send("/" .. word .. "\r")                 -- search
local row, col = p:expect_screen(pty.exact(word))
local s = p:screen()
print(string.format("%q is on row %d, column %d", word, row, col))
print(s:framed())
if picture then print("picture: " .. s:snapshot(picture)) end
p:send("q")
local ok = p:wait(5)
os.remove(path)
os.exit(ok and 0 or 1)
