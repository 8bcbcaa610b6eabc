/* The per-bar path's call watch: on_bar calls run without a count hook, and a watchdog arms
 * the hook only in a call that has run long.
 *
 * In Lua 5.4 any count hook makes the VM trap on every instruction (luaG_traceexec runs before
 * each one to count it down), which costs about as much as a short on_bar itself. A call that
 * ends within a few milliseconds cannot exhaust a budget of millions of instructions, so the
 * per-bar path runs its calls unhooked. The watchdog (`CallWatchdog.swift`) looks at every
 * running symbol each tick; a call still running at the next tick gets a signal, whose handler
 * — on the worker's own thread, the way lua.c stops a script on Ctrl-C — sets the count hook.
 * From there the call is counted and stopped exactly as a hooked call is (swl_counthook), so
 * a runaway on_bar still ends with `file:line: instruction limit exceeded`, and the stop still
 * cannot be caught. The symbol's deadline is checked between calls, every 32 calls. */
#ifndef LUNAR_CLUA_WATCH_H
#define LUNAR_CLUA_WATCH_H

#include <pthread.h>
#include <signal.h>
#include <string.h>

typedef struct {
  lua_State *L;
  volatile long long calls;      /* on_bar calls begun: the watchdog sees a call that outlives a tick */
  volatile sig_atomic_t incall;  /* 1 while an on_bar call runs */
  volatile sig_atomic_t arm;     /* set by the watchdog just before it signals the thread */
  volatile sig_atomic_t armed;   /* the handler set the count hook in the running call */
  sigset_t saved;                /* the thread's signal mask before `swl_watch_unblock` */
} swl_Watch;

/* Lets the watchdog's signal reach the calling thread while it runs symbols: libdispatch's
 * worker threads (where the per-bar workers run) block signals, and a blocked signal would
 * stay pending, the call never armed. `swl_watch_restore` puts the mask back. */
static inline void swl_watch_unblock(swl_Watch *w, int sig) {
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  pthread_sigmask(SIG_UNBLOCK, &one, &w->saved);
}
static inline void swl_watch_restore(swl_Watch *w) { pthread_sigmask(SIG_SETMASK, &w->saved, NULL); }

/* The signal carries the watch (pthread_sigqueue's value): a header has no storage of its own
 * for a thread-local pointer, and the handler needs nothing else. */
static inline void swl_watch_onsignal(int sig, siginfo_t *info, void *context) {
  (void)sig; (void)context;
  swl_Watch *w = info ? (swl_Watch *)info->si_value.sival_ptr : NULL;
  if (w && w->arm && w->incall && !w->armed) {
    w->arm = 0;
    w->armed = 1;
    lua_sethook(w->L, swl_counthook, LUA_MASKCOUNT, SWL_HOOK_STEP);
  }
}

#if defined(__linux__)
/* glibc declares it only under _GNU_SOURCE, which would have to precede every system header of
 * every file that includes this one; the prototype is glibc's. */
int pthread_sigqueue(pthread_t thread, int sig, const union sigval value);
#endif

/* Installs the handler for `sig` (once per process); returns 0 on success. Linux only (the
 * signal carries the watch through pthread_sigqueue): elsewhere calls keep a hook each. */
static inline int swl_watch_install(int sig) {
#if defined(__linux__)
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = swl_watch_onsignal;
  sa.sa_flags = SA_RESTART | SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, NULL);
#else
  (void)sig;
  return -1;
#endif
}

/* Asks `thread` to arm its running call's count hook. */
static inline void swl_watch_signal(swl_Watch *w, pthread_t thread, int sig) {
#if defined(__linux__)
  union sigval v;
  v.sival_ptr = w;
  w->arm = 1;
  pthread_sigqueue(thread, sig, v);
#else
  (void)w; (void)thread; (void)sig;
#endif
}

/* A call's start without a hook: the budget is set, the hook waits for the watchdog. */
static inline void swl_watch_begin(lua_State *L, swl_Watch *w, long long count, double deadline, double timelimit) {
  swl_Host *h = swl_host(L);
  h->stopped = 0;
  h->remaining = count > 0 ? count : (long long)1 << 62;
  h->timelimit = timelimit;
  h->deadline = deadline;
  w->calls = w->calls + 1;
  w->incall = 1;
}

/* A call's end: a hook the watchdog set is removed again. */
static inline void swl_watch_end(lua_State *L, swl_Watch *w) {
  w->incall = 0;
  w->arm = 0;
  if (w->armed) { lua_sethook(L, NULL, 0, 0); w->armed = 0; }
}

/* The symbol's deadline, between calls: once past, the next call is stopped at once (as the
 * hook stops a call that runs past it). */
static inline void swl_watch_deadline(lua_State *L, double deadline) {
  if (deadline > 0 && swl_now() > deadline) {
    swl_host(L)->stopped = 2;
    lua_sethook(L, swl_counthook, LUA_MASKCOUNT, 1);
  }
}

#endif
