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
#include <time.h>

static const int SWL_REGISTRYINDEX = LUA_REGISTRYINDEX;
#define SWL_ERROR (-1)
static const int SWL_ERRORCODE = SWL_ERROR;

/* Per-state host data, reachable through lua_getextraspace. */
typedef struct {
  size_t used, limit;   /* bytes held by the state, and the cap */
  int inhost;           /* > 0 while a Swift callback runs: the cap never fires then */
  long long patternsteps;   /* character tests one pattern call may make (pattern.h) */
  long long remaining;  /* instructions left to the current top-level call */
  double deadline;      /* CLOCK_MONOTONIC seconds at which the call is stopped; 0 = none */
  double timelimit;     /* the limit the deadline came from, for the message */
  int stopped;          /* 1 = instructions, 2 = time: once set, no protected call returns */
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

/* ---- the budget: instructions and a wall-clock deadline; the hook must be C because it raises ----
 * The hook fires every SWL_HOOK_STEP instructions, takes them off the budget and reads the
 * clock (~20 ns per 10 000 instructions). Once the budget or the deadline is gone the state is
 * *stopped*: the hook then fires every 100 instructions and raises each time, and the guarded
 * pcall/xpcall below re-raise instead of returning, so a script that catches the stop in a loop
 * (`while true do pcall(f) end`) cannot outlive it. The stop is cleared when Lunar starts the
 * next top-level call (swl_setbudget). */
#define SWL_HOOK_STEP 10000
static inline double swl_now(void) {
  struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static inline void swl_counthook(lua_State *L, lua_Debug *ar);
static inline int swl_raisestop(lua_State *L, lua_Debug *ar) {
  swl_Host *h = swl_host(L);
  const char *what = h->stopped == 2 ? "time limit exceeded" : "instruction limit exceeded";
  lua_sethook(L, swl_counthook, LUA_MASKCOUNT, 100);
  if (ar && lua_getinfo(L, "Sl", ar) && ar->currentline > 0) {
    if (h->stopped == 2) lua_pushfstring(L, "%s:%d: %s (%f s)", ar->short_src, ar->currentline, what, h->timelimit);
    else lua_pushfstring(L, "%s:%d: %s", ar->short_src, ar->currentline, what);
  } else {
    lua_pushstring(L, what);
  }
  return lua_error(L);
}
static inline void swl_counthook(lua_State *L, lua_Debug *ar) {
  swl_Host *h = swl_host(L);
  if (!h) return;
  if (!h->stopped) {
    h->remaining -= SWL_HOOK_STEP;
    if (h->remaining <= 0) h->stopped = 1;
    else if (h->deadline > 0 && swl_now() > h->deadline) h->stopped = 2;
    else return;
  }
  swl_raisestop(L, ar);
}
/* Starts a top-level call's budget: `count` instructions (<= 0: none) and `seconds` of wall
 * clock (<= 0: none). */
static inline void swl_setbudget(lua_State *L, long long count, double seconds) {
  swl_Host *h = swl_host(L);
  h->stopped = 0;
  h->remaining = count > 0 ? count : (long long)1 << 62;
  h->timelimit = seconds;
  h->deadline = seconds > 0 ? swl_now() + seconds : 0;
  if (count > 0 || seconds > 0) {
    int step = count > 0 && count < SWL_HOOK_STEP ? (int)count : SWL_HOOK_STEP;
    if (count > 0 && count < SWL_HOOK_STEP) h->remaining = SWL_HOOK_STEP;   /* the first firing ends it */
    lua_sethook(L, swl_counthook, LUA_MASKCOUNT, step);
  } else {
    lua_sethook(L, NULL, 0, 0);
  }
}
/* The same with an absolute deadline (swl_now() based) shared by many calls: the per-bar path
 * gives every on_bar call of one symbol its own count but one deadline for the symbol. */
static inline void swl_setbudget_until(lua_State *L, long long count, double deadline, double timelimit) {
  swl_Host *h = swl_host(L);
  h->stopped = 0;
  h->remaining = count > 0 ? count : (long long)1 << 62;
  h->timelimit = timelimit;
  h->deadline = deadline;
  int step = count > 0 && count < SWL_HOOK_STEP ? (int)count : SWL_HOOK_STEP;
  if (count > 0 && count < SWL_HOOK_STEP) h->remaining = SWL_HOOK_STEP;
  lua_sethook(L, swl_counthook, LUA_MASKCOUNT, step);
}
static inline void swl_clearbudget(lua_State *L) {
  swl_Host *h = swl_host(L);
  h->stopped = 0; h->deadline = 0;
  lua_sethook(L, NULL, 0, 0);
}
static inline int swl_isstopped(lua_State *L) { swl_Host *h = swl_host(L); return h ? h->stopped : 0; }

/* The stop again, at the line of the script that called the protected call. */
static inline int swl_reraisestop(lua_State *L) {
  lua_Debug ar;
  return swl_raisestop(L, lua_getstack(L, 1, &ar) ? &ar : NULL);
}

/* pcall and xpcall for scripts: the same results as Lua's, except that a stopped state
 * re-raises its stop instead of returning false. */
static inline int swl_guarded_pcall(lua_State *L) {
  luaL_checkany(L, 1);
  int rc = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  if (swl_isstopped(L)) return swl_reraisestop(L);
  lua_pushboolean(L, rc == LUA_OK);
  lua_insert(L, 1);
  return lua_gettop(L);
}
/* A script's message handler, skipped once the state is stopped. Lua calls the handler for an
 * error the count hook raised with hooks still off, so a handler that loops would never be
 * interrupted; the stop needs no handling anyway. */
static inline int swl_guarded_msgh(lua_State *L) {
  if (swl_isstopped(L)) return 1;
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}
static inline int swl_guarded_xpcall(lua_State *L) {
  int n = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 1); lua_copy(L, 2, 1); lua_replace(L, 2);   /* (msgh, f, args…) */
  lua_pushvalue(L, 1); lua_pushcclosure(L, swl_guarded_msgh, 1); lua_replace(L, 1);
  int rc = lua_pcall(L, n - 2, LUA_MULTRET, 1);
  if (swl_isstopped(L)) return swl_reraisestop(L);
  lua_pushboolean(L, rc == LUA_OK);
  lua_replace(L, 1);                                          /* msgh → status */
  return lua_gettop(L);
}
static inline void swl_install_guarded_pcalls(lua_State *L) {
  lua_pushcfunction(L, swl_guarded_pcall); lua_setglobal(L, "pcall");
  lua_pushcfunction(L, swl_guarded_xpcall); lua_setglobal(L, "xpcall");
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
#include "watch.h"
#include "perbar.h"

#endif
