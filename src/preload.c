/*
 * preload.c - register the library in package.preload.
 *
 * `ptyscript.core` is the C half; every embedded Lua file is a module
 * loaded from its embedded text under its real file name, so tracebacks
 * point at lua/ptyscript/x.lua.  luaopen_ptyscript is the entry point of
 * the C module ptyscript.so: `require "ptyscript"` in plain lua5.4.
 */
#include <lauxlib.h>
#include <lua.h>

#include "embedded.h"
#include "lcore.h"

/* package.preload loader for embedded entry upvalue(1).  [-0, +1, e] */
static int
load_embedded(lua_State *L)
{
	const struct embedded *e = lua_touserdata(L, lua_upvalueindex(1));

	if (luaL_loadbuffer(L, e->src, e->len, e->chunkname) != LUA_OK)
		return lua_error(L);
	lua_pushstring(L, e->name);
	lua_call(L, 1, 1);
	return 1;
}

/* Fill package.preload.  [-0, +0, e] */
void
ptyscript_preload(lua_State *L)
{
	const struct embedded *e;

	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	lua_pushcfunction(L, luaopen_ptyscript_core);
	lua_setfield(L, -2, "ptyscript.core");
	for (e = ptyscript_embedded; e->name != NULL; e++) {
		lua_pushlightuserdata(L, (void *)e);
		lua_pushcclosure(L, load_embedded, 1);
		lua_setfield(L, -2, e->name);
	}
	lua_pop(L, 1);
}

/* require "ptyscript" from plain Lua: the whole library.  [-0, +1, e] */
int
luaopen_ptyscript(lua_State *L)
{
	ptyscript_preload(L);
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	lua_getfield(L, -1, "ptyscript");
	lua_remove(L, -2);
	lua_call(L, 0, 1);
	return 1;
}
