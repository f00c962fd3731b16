/*
 * l_cast.c - the binding of cast.c: JSON escaping for asciicast
 * recordings (lua/ptyscript/output.lua, p:record).
 */
#include "cast.h"
#include "lcore.h"

/*
 * core.json_escape(s [, final]) -> escaped, rest  [-0, +2, m]
 * s as JSON string contents (cast.c); rest is a cut UTF-8 sequence at the
 * end, to put before the next chunk (empty when final).
 */
static int
l_json_escape(lua_State *L)
{
	size_t n, used, o;
	const char *s = luaL_checklstring(L, 1, &n);
	luaL_Buffer b;
	char *out;

	out = luaL_buffinitsize(L, &b, CAST_ESCAPED_MAX(n));
	o = cast_escape(s, n, lua_toboolean(L, 2), out, &used);
	luaL_pushresultsize(&b, o);
	lua_pushlstring(L, s + used, n - used);
	return 2;
}

/* Add core.json_escape; stack: module, loop (kept). */
void
lcore_open_cast(lua_State *L)
{
	lua_pushcfunction(L, l_json_escape);
	lua_setfield(L, -3, "json_escape");
}
