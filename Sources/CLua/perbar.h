/* The per-bar path's hot helpers: what runs on every bar of every symbol, in C.
 *
 * A Swift callback costs the trampoline, the Swift frame and Swift's own checks (exclusivity,
 * bounds, reference counts); from Swift, each Lua API call is a separate call too. So the bar
 * loop itself lives here (`swl_barloop`: ctx's fields, the call of on_bar, the broker only
 * while it is busy), and so does `ctx.past.x[k]`'s __index. Every case they do not handle
 * goes back to Swift, which explains it (the messages live there). */
#ifndef LUNAR_CLUA_PERBAR_H
#define LUNAR_CLUA_PERBAR_H

#include <math.h>
#include <string.h>

/* One symbol's bars as the per-bar path sees them; Swift owns it and keeps it current. */
typedef struct {
  const double *const *series;   /* open, high, low, close, volume, then the indicators */
  const unsigned char *isbool;   /* per series: read as a Lua boolean (1 = true) */
  long long t;                   /* the current bar */
  int live;                      /* 1 inside init/on_bar of a symbol, else 0 */
  long long *hits;               /* per series: `ctx.past.x[k]` reads through the C __index */
} swl_BarView;

/* What one ctx field is set from on each bar, and what it was last set to: a field is written
 * only when its value changes (position, cash and most indicators stay put for many bars).
 * Lunar invalidates the memory whenever something else may have written the field. */
enum { SWL_FIELD_NUMBER = 0, SWL_FIELD_BOOL = 1, SWL_FIELD_BAR = 2, SWL_FIELD_ACCOUNT = 3, SWL_FIELD_PAST = 4 };
typedef struct {
  int key;                /* stack index of the field's key (a Lua string kept there); PAST: of the proxy */
  int kind;               /* SWL_FIELD_… */
  int index;              /* the series (NUMBER, BOOL, PAST) or the account value (ACCOUNT) */
  int lag;                /* PAST: the k of `ctx.past.x[k]`, written as the proxy's raw [k] */
  int active;             /* 0: skipped (a PAST field waits until its reads are frequent) */
  int known;              /* 1: the table holds `last` for this field */
  double last;
} swl_Field;

static inline void swl_forgetfields(swl_Field *f, int n) { for (int i = 0; i < n; i++) f[i].known = 0; }

/* Sets the `n` fields of the table at `ctx` for bar `t` whose values changed, with raw writes.
 * `account` holds position, entry price, equity, cash. Values are compared by their bits, so
 * NaN = NaN and -0 differs from 0. */
static inline void swl_setfields(lua_State *L, int ctx, swl_Field *f, int n, const swl_BarView *v, const double *account) {
  long long t = v->t;
  for (int i = 0; i < n; i++) {
    if (!f[i].active) continue;
    double x;
    switch (f[i].kind) {
      case SWL_FIELD_NUMBER: case SWL_FIELD_BOOL: x = v->series[f[i].index][t]; break;
      case SWL_FIELD_BAR: x = (double)t; break;
      case SWL_FIELD_PAST: x = t >= f[i].lag ? v->series[f[i].index][t - f[i].lag] : NAN; break;
      default: x = account[f[i].index]; break;
    }
    if (f[i].known && memcmp(&x, &f[i].last, sizeof x) == 0) continue;
    f[i].known = 1; f[i].last = x;
    if (f[i].kind == SWL_FIELD_PAST) {
      if (v->isbool[f[i].index]) lua_pushboolean(L, x == 1); else lua_pushnumber(L, x);
      lua_rawseti(L, f[i].key, f[i].lag);
      continue;
    }
    lua_pushvalue(L, f[i].key);
    switch (f[i].kind) {
      case SWL_FIELD_BOOL: lua_pushboolean(L, x == 1); break;
      case SWL_FIELD_BAR: lua_pushinteger(L, (lua_Integer)t); break;
      default: lua_pushnumber(L, x); break;
    }
    lua_rawset(L, ctx);
  }
}

/* `ctx.past.x[k]` with a k the strategy file writes as a number (`ctx.past.hi[1]`) is a C call
 * per read (~300 instructions); written into the proxy as its raw [k] it is an array read, but
 * then costs a table write whenever the value changes, read or not. So such a read starts in C,
 * and once a series is read on a quarter of 64 bars its [k] is written on every bar instead. */
static inline void swl_pastwindow(swl_Field *f, int n, swl_BarView *v, int nseries) {
  for (int i = 0; i < n; i++) {
    if (f[i].kind == SWL_FIELD_PAST && !f[i].active && v->hits[f[i].index] >= 16) { f[i].active = 1; f[i].known = 0; }
  }
  for (int s = 0; s < nseries; s++) v->hits[s] = 0;
}

/* The account as bars where the broker has nothing to do see it. Lunar's broker publishes it
 * after everything that may change it; while `busy` is 0 a bar needs no call into Swift. */
typedef struct {
  int busy;               /* 1: the broker acts on every bar (orders waiting, price exits armed, events, signals) */
  double units, entry, cash;
} swl_Account;

/* One symbol's bar loop: `init` once, then `on_bar` on every bar with a close, ctx's fields set
 * first. The broker is called (beginbar before, endbar after the bar's on_bar) only while it is
 * busy; the bars it skipped it values itself when next called. */
typedef struct {
  void *broker;
  void (*beginbar)(void *broker, long long t);
  void (*endbar)(void *broker, long long t);
  void (*snapshot)(void *broker, double *values);   /* position, entry price, equity, cash */
  swl_Account *account;
  swl_BarView *view;
  const double *close;
  long long bars;
  swl_Field *fields;      /* keys: swl_barloop's arguments from SWL_LOOP_KEYS on */
  int nfields, needsaccount, nseries;
  double *values;         /* the account values the fields are set from */
  long long budget;       /* instructions per call */
  double deadline, timelimit;
  swl_Watch *watch;       /* calls unhooked, armed by the watchdog (watch.h); NULL: a hook per call */
} swl_BarLoop;

/* swl_barloop's arguments: the loop (light userdata), on_bar, init (or nil), ctx, p, then the
 * eager fields' keys. */
enum { SWL_LOOP_SELF = 1, SWL_LOOP_ONBAR, SWL_LOOP_INIT, SWL_LOOP_CTX, SWL_LOOP_PARAMS, SWL_LOOP_KEYS };

/* Calls the function at `fn` with ctx and p under the call's budget. Unprotected: an error
 * ends the whole loop, which runs inside one protected call, so a bar costs no setjmp. */
static inline void swl_barcall(lua_State *L, swl_BarLoop *b, int fn, int hooked) {
  lua_pushvalue(L, fn); lua_pushvalue(L, SWL_LOOP_CTX); lua_pushvalue(L, SWL_LOOP_PARAMS);
  if (!hooked) {
    swl_watch_begin(L, b->watch, b->budget, b->deadline, b->timelimit);
    if ((b->watch->calls & 31) == 0) swl_watch_deadline(L, b->deadline);   /* every 32 calls */
    lua_callk(L, 2, 0, 0, NULL);
    swl_watch_end(L, b->watch);
  } else {
    swl_setbudget_until(L, b->budget, b->deadline, b->timelimit);
    lua_callk(L, 2, 0, 0, NULL);
  }
}

static inline void swl_baraccount(swl_BarLoop *b, double last) {
#pragma STDC FP_CONTRACT OFF
  const swl_Account *a = b->account;
  if (a->busy) { b->snapshot(b->broker, b->values); return; }
  b->values[0] = a->units; b->values[1] = a->entry;
  b->values[2] = a->units == 0 ? a->cash : a->cash + a->units * last;
  b->values[3] = a->cash;
}

/* The loop, as a lua_CFunction run by one protected call per symbol (see SWL_LOOP_…). On an
 * error the loop's view holds the failing bar. */
static inline int swl_barloop(lua_State *L) {
  swl_BarLoop *b = (swl_BarLoop *)lua_touserdata(L, SWL_LOOP_SELF);
  /* The close the account was last marked at: the ctx equity of a position is marked there. */
  double last = NAN;
  if (lua_type(L, SWL_LOOP_INIT) == LUA_TFUNCTION) {
    b->view->t = 0;
    if (b->needsaccount) swl_baraccount(b, last);
    swl_setfields(L, SWL_LOOP_CTX, b->fields, b->nfields, b->view, b->values);
    swl_barcall(L, b, SWL_LOOP_INIT, 1);   /* once per symbol: counted from its start */
    if (b->watch) lua_sethook(L, NULL, 0, 0);
  }
  for (long long t = 0; t < b->bars; t++) {
    b->view->t = t;
    int busy = b->account->busy;
    if (busy) b->beginbar(b->broker, t);
    double c = b->close[t];
    if (c == c) {
      if (b->needsaccount) swl_baraccount(b, last);
      swl_setfields(L, SWL_LOOP_CTX, b->fields, b->nfields, b->view, b->values);
      swl_barcall(L, b, SWL_LOOP_ONBAR, b->watch == NULL);
      last = c;
    }
    if (busy || b->account->busy) b->endbar(b->broker, t);
    if ((t & 63) == 63) swl_pastwindow(b->fields, b->nfields, b->view, b->nseries);
  }
  return 0;
}

/* `ctx.past.x[k]`, the __index of a series proxy (a table: its raw [k] may hold the value, see
 * swl_pastwindow). Its upvalues are a trampoline closure's (1 = the Swift function, 2 = its
 * context) and then 3 = the swl_BarView (light userdata), 4 = the series. Each proxy's
 * metatable is out of the scripts' reach (`__metatable` is false and there is no debug
 * library), so this is only ever called by the VM. Every case but the common one (k not a
 * whole number, k < 0, a read outside on_bar) goes to the Swift function through the
 * trampoline, which raises its message at the script's line. k bars back; NaN before the first
 * bar. */
static inline int swl_pastindex(lua_State *L) {
  swl_BarView *v = (swl_BarView *)lua_touserdata(L, lua_upvalueindex(3));
  int isint = 0;
  lua_Integer k = lua_tointegerx(L, 2, &isint);
  if (!isint || k < 0 || !v->live) return swl_trampoline(L);
  long long s = (long long)lua_tointegerx(L, lua_upvalueindex(4), NULL), t = v->t - k;
  v->hits[s]++;
  double x = t >= 0 ? v->series[s][t] : NAN;
  if (v->isbool[s]) lua_pushboolean(L, x == 1); else lua_pushnumber(L, x);
  return 1;
}

#endif
