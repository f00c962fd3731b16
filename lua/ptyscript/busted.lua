-- ptyscript.busted: screen assertions for busted (luassert).
--
--   require "ptyscript.busted"
--   assert.screen_contains(p, "Save changes?")      -- literal text
--   assert.screen_matches(p, "\\d+ files? written")  -- PCRE2 pattern
--   assert.no.screen_contains(p, "error")
--
-- The first argument is a process (its screen is turned on if it was off)
-- or a screen.  With a process the assertion waits, as expect_screen does,
-- for the outcome it asserts: up to the process's expect timeout for the
-- text to appear (or, negated, to be gone) on a settled screen, so a test
-- does not race the program it drives.  A failure shows the screen in a
-- frame.  An optional third argument is the timeout in seconds.
local _ENV = require "ptyscript.std"
local say = require "say"
local luassert = require "luassert"
local screen = require "ptyscript.screen"
local expect = require "ptyscript.expect"
local diag = require "ptyscript.diag"
local check = require "ptyscript.check"

local M = {}

local function is_screen(x)
  return getmetatable(x) ~= nil and getmetatable(x) == getmetatable(screen._probe)
end

-- Wait until present(s) == want on a settled screen (as expect_screen
-- does), or the timeout; returns what present gave last.
local function settle_on(p, s, present, want, timeout)
  timeout = check.timeout(p, timeout, "screen assertion")
  if screen.await(p, s, function(sc) return present(sc) == want end, timeout) then
    return want
  end
  return not want
end

local function make(name, fmt, finder)
  return function(state, arguments)
    local target, what, timeout = arguments[1], arguments[2], arguments[3]
    local s, p
    if is_screen(target) then
      s = target
    elseif type(target) == "table" and target.screen and target._c then
      p, s = target, target:screen()
    else
      error(name .. ": expected a process or a screen, got " .. type(target), 3)
    end
    if type(what) ~= "string" and not (name == "screen_matches" and type(what) == "table") then
      error(name .. ": expected a string, got " .. type(what), 3)
    end
    local present = function(sc) return finder(sc, what) end
    local ok
    if p then
      ok = settle_on(p, s, present, state.mod, timeout)
    else
      ok = present(s)
    end
    -- What the message shows: the text asked for and the screen, framed.
    -- (the script's secrets as ***, in both)
    local label
    if type(what) == "string" then
      label = string.format(fmt, diag.redact(what))
    else
      label = what.source and expect.shown(p, what) or tostring(what)
    end
    arguments[1] = (p and p:_describe_state() or "the screen")
    arguments[2] = label
    arguments[3] = s:framed("  ")
    arguments.n = 3
    arguments.nofmt = { true, true, true }
    return ok
  end
end

local function contains(s, text) return s:_find(text) ~= nil end
local function matches(s, pat) return s:find(pat) ~= nil end

say:set("assertion.screen_contains.positive",
  "Expected the screen of %s to contain %s, but it shows:\n%s")
say:set("assertion.screen_contains.negative",
  "Expected the screen of %s not to contain %s, but it shows:\n%s")
say:set("assertion.screen_matches.positive",
  "Expected the screen of %s to match %s, but it shows:\n%s")
say:set("assertion.screen_matches.negative",
  "Expected the screen of %s not to match %s, but it shows:\n%s")

luassert:register("assertion", "screen_contains", make("screen_contains", "%q", contains),
  "assertion.screen_contains.positive", "assertion.screen_contains.negative")
luassert:register("assertion", "screen_matches", make("screen_matches", "/%s/", matches),
  "assertion.screen_matches.positive", "assertion.screen_matches.negative")

return M
