-- ptyscript.std: the standard library as it was when ptyscript loaded,
-- for the library's own use.
--
-- Every module of the library starts with `local _ENV = require
-- "ptyscript.std"`, so the names it does not declare (type, pairs,
-- string, debug, ...) are looked up here, never in the script's globals:
-- a script that says `debug = true`, `type = "ssh"` or `string = nil`
-- keeps its own meaning for those names and leaves the library whole.
-- The standard tables are copies, so replacing `string.format` or
-- `table.concat` does not reach the library either.  `_G` is the
-- script's global table itself, for the few places that change what the
-- script sees (the command's shorthands, os.exit, coroutine.wrap).
local G = _G

local std = { _G = G }

for _, name in ipairs{
  "assert", "collectgarbage", "error", "getmetatable", "ipairs", "load", "next",
  "pairs", "pcall", "print", "rawequal", "rawget", "rawlen", "rawset", "require",
  "select", "setmetatable", "tonumber", "tostring", "type", "xpcall", "_VERSION",
} do
  std[name] = G[name]
end

for _, lib in ipairs{ "coroutine", "debug", "io", "math", "os", "string", "table", "utf8",
  "package" } do
  local copy = {}
  for k, v in pairs(G[lib]) do copy[k] = v end
  std[lib] = copy
end

-- A name the library never declared is a bug in the library: say so
-- rather than give nil.
return setmetatable(std, {
  __index = function(_, k)
    error("ptyscript: internal error: the library uses an unknown global " .. tostring(k), 2)
  end,
})
