-- LuaRocks: `luarocks make` in a checkout builds with the Makefile and
-- installs the C module (the whole library: its Lua half is inside) and
-- the ptyscript command.
rockspec_format = "3.0"
package = "ptyscript"
version = "0.1.0-1"
source = {
  url = "file://.",   -- `luarocks make` builds the checkout it is run in
}
description = {
  summary = "Lua-scriptable process automation: Expect and pexpect in Lua",
  detailed = [[
    Spawn programs on pseudo-terminals, wait for their output with PCRE2
    patterns, answer them, run many sessions at once on one event loop.
  ]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
external_dependencies = {
  LIBEV = { header = "ev.h" },
  PCRE2 = { header = "pcre2.h" },
  VTERM = { header = "vterm.h" },   -- libvterm: the screen (Debian: libvterm-dev)
}
build = {
  type = "make",
  build_target = "all",
  install_target = "install-rock",
  build_variables = {
    LUA = "$(LUA)",
  },
  install_variables = {
    LIBDIR = "$(LIBDIR)",
    BINDIR = "$(BINDIR)",
  },
}
