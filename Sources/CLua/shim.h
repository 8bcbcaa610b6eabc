/* CLua: Lua 5.4 from the system (Debian's liblua5.4-dev) plus the few C helpers Swift needs.
 * Swift imports none of Lua's function-like macros, and a Swift frame must never be crossed
 * by lua_error's longjmp, so everything that raises lives here, in C. */
#ifndef LUNAR_CLUA_SHIM_H
#define LUNAR_CLUA_SHIM_H

#if __has_include(<lua5.4/lua.h>)
#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>
#else
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#endif
#include <stdlib.h>

static const int SWL_REGISTRYINDEX = LUA_REGISTRYINDEX;
#define SWL_ERROR (-1)
static const int SWL_ERRORCODE = SWL_ERROR;

/* Per-state host data, reachable through lua_getextraspace. */
typedef struct {
  size_t used, limit;   /* bytes held by the state, and the cap */
  int inhost;           /* > 0 while a Swift callback runs: the cap never fires then */
  long long patternsteps;   /* character tests one pattern call may make (pattern.h) */
} swl_Host;

static inline swl_Host *swl_host(lua_State *L) { return *(swl_Host **)lua_getextraspace(L); }
static inline void swl_sethost(lua_State *L, swl_Host *h) { *(swl_Host **)lua_getextraspace(L) = h; }

/* ---- macros, as functions ---- */
static inline int swl_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline void swl_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void swl_newtable(lua_State *L) { lua_newtable(L); }
static inline const char *swl_tostring(lua_State *L, int i) { return lua_tostring(L, i); }
static inline void swl_insert(lua_State *L, int i) { lua_insert(L, i); }
static inline void swl_remove(lua_State *L, int i) { lua_remove(L, i); }
static inline int swl_isnoneornil(lua_State *L, int i) { return lua_type(L, i) <= 0; }
static inline int swl_isinteger(lua_State *L, int i) { return lua_isinteger(L, i); }
static inline void swl_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcfunction(L, f); }

/* ---- Swift callbacks: the trampoline raises after the Swift frame has returned ---- */
static inline int swl_trampoline(lua_State *L) {
  lua_CFunction f = lua_tocfunction(L, lua_upvalueindex(1));
  swl_Host *h = swl_host(L);
  if (h) h->inhost++;
  int n = f(L);
  if (h) h->inhost--;
  if (n >= 0) return n;
  luaL_where(L, 1); lua_insert(L, -2); lua_concat(L, 2);   /* "file:line: msg" */
  return lua_error(L);
}
/* Pushes a closure: upvalue 1 = Swift impl, 2 = ctx (light userdata), 3.. = the nup values on top. */
static inline void swl_pushswift(lua_State *L, lua_CFunction f, void *ctx, int nup) {
  lua_pushcfunction(L, f); lua_pushlightuserdata(L, ctx);
  lua_rotate(L, -(nup + 2), 2);
  lua_pushcclosure(L, swl_trampoline, nup + 2);
}

/* ---- protected calls with a traceback ---- */
static inline int swl_msgh(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}
static inline void swl_pushmsgh(lua_State *L) { lua_pushcfunction(L, swl_msgh); }
static inline int swl_pcall(lua_State *L, int nargs, int nres, int msgh) {
  swl_Host *h = swl_host(L);
  int saved = h ? h->inhost : 0;
  if (h) h->inhost = 0;          /* nested host -> Lua call: the cap applies again */
  int rc = lua_pcall(L, nargs, nres, msgh);
  if (h) h->inhost = saved;
  return rc;
}

/* ---- instruction budget: the hook must be C because it raises ---- */
static inline void swl_counthook(lua_State *L, lua_Debug *ar) {
  lua_getinfo(L, "Sl", ar);
  lua_sethook(L, swl_counthook, LUA_MASKCOUNT, 1000);   /* re-arm so a pcall cannot swallow it for long */
  if (ar->currentline > 0)
    lua_pushfstring(L, "%s:%d: instruction limit exceeded", ar->short_src, ar->currentline);
  else
    lua_pushstring(L, "instruction limit exceeded");
  lua_error(L);
}
static inline void swl_setlimit(lua_State *L, int count) {
  if (count > 0) lua_sethook(L, swl_counthook, LUA_MASKCOUNT, count);
  else lua_sethook(L, NULL, 0, 0);
}

/* ---- memory cap ---- */
static inline void *swl_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  swl_Host *h = (swl_Host *)ud;
  size_t old = ptr ? osize : 0;          /* osize is a type tag when ptr == NULL */
  if (nsize == 0) { free(ptr); h->used -= old; return NULL; }
  if (nsize > old && h->inhost == 0 && h->used - old + nsize > h->limit) return NULL;
  void *p = realloc(ptr, nsize);
  if (p) h->used = h->used - old + nsize;
  return p;
}
static inline lua_State *swl_newstate(swl_Host *h) {
  lua_State *L = lua_newstate(swl_alloc, h);
  if (L) swl_sethost(L, h);
  return L;
}

#include "pattern.h"

#endif
