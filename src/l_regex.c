/*
 * l_regex.c - compiled patterns as userdata, and match tables.
 *
 * core.compile(text, flags) compiles once; the Lua side caches
 * the result per (text, flags), so a pattern used in a loop is compiled a
 * single time.  Matching itself happens in l_proc.c against a session's
 * buffer; this file builds the match table m from the ovector.
 */
#include <stdio.h>
#include <string.h>

#include "lcore.h"

struct match_re *
lcore_checkregex(lua_State *L, int idx)
{
	struct match_re *re = luaL_checkudata(L, idx, REGEX_MT);

	if (re->code == NULL)
		luaL_argerror(L, idx, "pattern was freed");
	return re;
}

/*
 * core.compile(text, flags) -> regex  [-0, +1, v]
 * flags: a string of i (caseless), m (multiline), s (dotall), x
 * (extended).  An invalid pattern returns nil, PCRE2's message, offset.
 */
static int
l_compile(lua_State *L)
{
	size_t len, erroff = 0;
	const char *pat = luaL_checklstring(L, 1, &len);
	const char *fl = luaL_optstring(L, 2, "");
	uint32_t opts = 0;
	char err[256];
	struct match_re *re;

	for (; *fl; fl++) {
		switch (*fl) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		default:
			lua_pushfstring(L, "unknown pattern flag '%c' "
			    "(flags are i, m, s, x)", *fl);
			return lua_error(L);
		}
	}
	re = lua_newuserdatauv(L, sizeof *re, 1);
	memset(re, 0, sizeof *re);
	luaL_setmetatable(L, REGEX_MT);
	if (match_compile(re, pat, len, opts, err, sizeof err, &erroff) == -1)
	{
		/* the Lua side names the script's line and shows the pattern */
		luaL_pushfail(L);
		lua_pushstring(L, err);
		lua_pushinteger(L, (lua_Integer)erroff);
		return 3;
	}
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, -2, 1);	/* the source text, for messages */
	return 1;
}

/* regex:source() -> the pattern's text  [-0, +1, -] */
static int
regex_source(lua_State *L)
{
	luaL_checkudata(L, 1, REGEX_MT);
	lua_getiuservalue(L, 1, 1);
	return 1;
}

/*
 * regex:test(s) -> whether the regex matches somewhere in s (all of s is
 * there: no partial match)  [-0, +1, -]
 * For the hints of a failed expect's message, not the hot path.
 */
static int
regex_test(lua_State *L)
{
	struct match_re *re = lcore_checkregex(L, 1);
	size_t len, s, e;
	const char *subj = luaL_checklstring(L, 2, &len);

	lua_pushboolean(L, match_exec(re, subj, len, 0, 1, &s, &e) ==
	    MATCH_FULL);
	return 1;
}

/* regex:jit() -> whether PCRE2's JIT compiled it  [-0, +1, -] */
static int
regex_jit(lua_State *L)
{
	lua_pushboolean(L, lcore_checkregex(L, 1)->jit);
	return 1;
}

/* __gc: free the compiled pattern.  [-0, +0, -] */
static int
regex__gc(lua_State *L)
{
	match_free(luaL_checkudata(L, 1, REGEX_MT));
	return 0;
}

/*
 * Push m for the last complete match of re against subj: m[0] the match,
 * m[1..n] the groups (false when unset), m[name] for named groups.
 * [-0, +1, m]
 */
void
lcore_pushmatch(lua_State *L, struct match_re *re, const char *subj)
{
	const PCRE2_SIZE *ov = match_ovector(re);
	uint32_t count = 0, size = 0, i, grp;
	PCRE2_SPTR table = NULL;
	unsigned g;

	lua_createtable(L, (int)re->ncap, 3);	/* + [0], before, index */
	for (g = 0; g <= re->ncap; g++) {
		if (ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] < ov[2 * g])
			lua_pushboolean(L, 0);
		else
			lua_pushlstring(L, subj + ov[2 * g],
			    ov[2 * g + 1] - ov[2 * g]);
		lua_rawseti(L, -2, g);
	}
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count);
	if (count == 0)
		return;
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table);
	for (i = 0; i < count; i++, table += size) {
		grp = ((uint32_t)table[0] << 8) | table[1];
		lua_getfield(L, -1, (const char *)table + 2);
		if (!lua_toboolean(L, -1)) {	/* first set group wins */
			lua_rawgeti(L, -2, grp);
			lua_setfield(L, -3, (const char *)table + 2);
		}
		lua_pop(L, 1);
	}
}

static const luaL_Reg regex_meth[] = {
	{ "source", regex_source },
	{ "jit", regex_jit },
	{ "test", regex_test },
	{ NULL, NULL }
};

static const luaL_Reg regex_metameth[] = {
	{ "__gc", regex__gc },
	{ NULL, NULL }
};

/* core.jit_usable() -> whether patterns are JIT-compiled here  [-0,+1,-] */
static int
l_jit_usable(lua_State *L)
{
	lua_pushboolean(L, match_jit_usable());
	return 1;
}

/* Add core.compile; stack: module, loop (kept). */
void
lcore_open_regex(lua_State *L)
{
	lcore_newmeta(L, REGEX_MT, regex_meth, regex_metameth);
	lua_pushcfunction(L, l_compile);
	lua_setfield(L, -3, "compile");
	lua_pushcfunction(L, l_jit_usable);
	lua_setfield(L, -3, "jit_usable");
}
