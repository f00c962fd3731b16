/*
 * l_account.c - the binding of account.c: user and group lookups for
 * spawn's uid and gid options, and uids and gids as Lua integers.
 *
 *   core.getpw(name | uid) -> {name, uid, gid, dir, shell} | nil, msg, errname
 *   core.getgr(name | gid) -> gid | nil, msg, errname
 *   core.grouplist(user, gid) -> {gid, ...}
 *
 * A missing user or group is ENOENT, "no such user" or "no such group".
 * lua/ptyscript/spawnopts.lua (resolve_ids) decides what a spawn makes of it.
 */
#include <errno.h>

#include "account.h"
#include "lcore.h"

/* The largest uid or gid: uid_t's top value, -1, means "no change". */
#define ID_MAX	((lua_Integer)(uid_t)-1 - 1)
_Static_assert(sizeof(uid_t) == sizeof(gid_t), "uid_t and gid_t differ");
_Static_assert(sizeof(uid_t) < sizeof(lua_Integer),
    "uid_t as wide as lua_Integer");

/*
 * A uid or gid at idx: an integer from 0 to ID_MAX; anything else raises
 * naming `what` ("spawn: uid"), never a silent cast.  [-0, +0, v]
 */
lua_Integer
lcore_checkid(lua_State *L, int idx, const char *what)
{
	lua_Integer v;

	if (!lua_isinteger(L, idx))
		luaL_error(L, "%s must be an integer, got %s", what,
		    lua_type(L, idx) == LUA_TNUMBER ? lua_tostring(L, idx) :
		    luaL_typename(L, idx));
	v = lua_tointeger(L, idx);
	if (v < 0 || v > ID_MAX)
		luaL_error(L, "%s %I is out of range (0 to %I)", what, v,
		    ID_MAX);
	return v;
}

/*
 * core.getpw(name|uid) -> {name, uid, gid, dir, shell}
 *     | nil, msg, errname
 * [-0, +1|3, m]  The password-file entry of a user.
 */
static int
l_getpw(lua_State *L)
{
	struct account a;
	int rc;

	if (lua_type(L, 1) == LUA_TNUMBER)
		rc = account_user(NULL,
		    (uid_t)lcore_checkid(L, 1, "getpw: uid"), &a);
	else
		rc = account_user(luaL_checkstring(L, 1), 0, &a);
	if (rc == -1)
		return lcore_fail(L, NULL, errno);
	if (rc == 1)
		return lcore_failf(L, ENOENT, "no such user");
	lua_createtable(L, 0, 5);
	lua_pushstring(L, a.name);
	lua_setfield(L, -2, "name");
	lua_pushinteger(L, a.uid);
	lua_setfield(L, -2, "uid");
	lua_pushinteger(L, a.gid);
	lua_setfield(L, -2, "gid");
	lua_pushstring(L, a.dir);
	lua_setfield(L, -2, "dir");
	lua_pushstring(L, a.shell);
	lua_setfield(L, -2, "shell");
	return 1;
}

/* core.getgr(name|gid) -> gid | nil, msg, errname  [-0, +1|3, m] */
static int
l_getgr(lua_State *L)
{
	gid_t gid;
	int rc;

	if (lua_type(L, 1) == LUA_TNUMBER)
		rc = account_group(NULL,
		    (gid_t)lcore_checkid(L, 1, "getgr: gid"), &gid);
	else
		rc = account_group(luaL_checkstring(L, 1), 0, &gid);
	if (rc == -1)
		return lcore_fail(L, NULL, errno);
	if (rc == 1)
		return lcore_failf(L, ENOENT, "no such group");
	lua_pushinteger(L, gid);
	return 1;
}

/* core.grouplist(user, gid) -> {gid, ...}: the user's groups  [-0,+1,m] */
static int
l_grouplist(lua_State *L)
{
	const char *user = luaL_checkstring(L, 1);
	gid_t gid = (gid_t)lcore_checkid(L, 2, "grouplist: gid");
	gid_t list[ACCOUNT_MAXGROUPS];
	int n, i;

	n = account_groups(user, gid, list);
	lua_createtable(L, n, 0);
	for (i = 0; i < n; i++) {
		lua_pushinteger(L, list[i]);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

static const luaL_Reg funcs[] = {
	{ "getpw", l_getpw },
	{ "getgr", l_getgr },
	{ "grouplist", l_grouplist },
	{ NULL, NULL }
};

/* Add getpw, getgr, grouplist; stack: module, loop (kept). */
void
lcore_open_account(lua_State *L)
{
	lua_pushvalue(L, -2);
	luaL_setfuncs(L, funcs, 0);
	lua_pop(L, 1);
}
