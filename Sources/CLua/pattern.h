/* Lua 5.4's pattern functions (string.find, match, gmatch, gsub) with a step budget.
 *
 * The instruction budget counts VM instructions, and a backtracking match runs inside one C
 * call: `("a"):rep(1e5):find(".-.-.-b")` would never return. These functions follow the
 * semantics of the Lua 5.4 manual (§6.4.1) — written for Lunar from that definition — and
 * count every character test; past the budget they raise an error, which the caller's
 * protected call reports like any other. The sandbox installs them over the stock ones. */
#ifndef LUNAR_CLUA_PATTERN_H
#define LUNAR_CLUA_PATTERN_H

#include <ctype.h>
#include <string.h>

#define SWL_MAXCAPTURES 32
#define SWL_MAXDEPTH 200
#define SWL_CAP_UNFINISHED (-1)
#define SWL_CAP_POSITION (-2)
#define SWL_ESC '%'

typedef struct {
  const char *src_init, *src_end, *p_end;
  lua_State *L;
  long long steps;      /* character tests left */
  long long budget;     /* the whole budget, for the message */
  int depth;            /* recursion levels left */
  int level;            /* captures open or closed so far */
  struct { const char *init; ptrdiff_t len; } capture[SWL_MAXCAPTURES];
} swl_Match;

static const char *swl_match(swl_Match *ms, const char *s, const char *p);

static inline void swl_step(swl_Match *ms) {
  if (--ms->steps < 0)
    luaL_error(ms->L, "pattern matching gave up after %I character tests (a pattern that backtracks over a "
               "long subject, such as several '.-' or '.*'); simplify the pattern", (lua_Integer)ms->budget);
}

/* The end of the single-character class that starts at p. */
static inline const char *swl_class_end(swl_Match *ms, const char *p) {
  switch (*p++) {
    case SWL_ESC:
      if (p == ms->p_end) luaL_error(ms->L, "malformed pattern (ends with '%%')");
      return p + 1;
    case '[':
      if (*p == '^') p++;
      do {   /* look for the closing ']' (a ']' right after '[' or '[^' is a member) */
        if (p == ms->p_end) luaL_error(ms->L, "malformed pattern (missing ']')");
        if (*(p++) == SWL_ESC && p < ms->p_end) p++;
      } while (*p != ']');
      return p + 1;
    default:
      return p;
  }
}

static inline int swl_class_matches(int c, int cl) {
  int res;
  switch (tolower(cl)) {
    case 'a': res = isalpha(c); break;
    case 'c': res = iscntrl(c); break;
    case 'd': res = isdigit(c); break;
    case 'g': res = isgraph(c); break;
    case 'l': res = islower(c); break;
    case 'p': res = ispunct(c); break;
    case 's': res = isspace(c); break;
    case 'u': res = isupper(c); break;
    case 'w': res = isalnum(c); break;
    case 'x': res = isxdigit(c); break;
    case 'z': res = (c == 0); break;   /* deprecated, still accepted by Lua 5.4 */
    default: return cl == c;   /* an escaped non-letter stands for itself */
  }
  if (isupper(cl)) res = !res;   /* %A, %D, …: the complement */
  return res;
}

/* c against the set [..] from p (at '[') to ec (at ']'). */
static inline int swl_set_matches(int c, const char *p, const char *ec) {
  int found = 1;
  if (*(p + 1) == '^') { found = 0; p++; }
  while (++p < ec) {
    if (*p == SWL_ESC) {
      p++;
      if (swl_class_matches(c, (unsigned char)*p)) return found;
    } else if (*(p + 1) == '-' && p + 2 < ec) {
      p += 2;
      if ((unsigned char)*(p - 2) <= c && c <= (unsigned char)*p) return found;
    } else if ((unsigned char)*p == c) {
      return found;
    }
  }
  return !found;
}

static inline int swl_single(swl_Match *ms, const char *s, const char *p, const char *ep) {
  swl_step(ms);
  if (s >= ms->src_end) return 0;
  int c = (unsigned char)*s;
  switch (*p) {
    case '.': return 1;
    case SWL_ESC: return swl_class_matches(c, (unsigned char)*(p + 1));
    case '[': return swl_set_matches(c, p, ep - 1);
    default: return (unsigned char)*p == c;
  }
}

static inline const char *swl_balance(swl_Match *ms, const char *s, const char *p) {
  if (p >= ms->p_end - 1) luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
  if (s >= ms->src_end || *s != *p) return NULL;
  int open = *p, close = *(p + 1), depth = 1;
  while (++s < ms->src_end) {
    swl_step(ms);
    if (*s == close) { if (--depth == 0) return s + 1; }
    else if (*s == open) depth++;
  }
  return NULL;
}

static inline const char *swl_max_expand(swl_Match *ms, const char *s, const char *p, const char *ep) {
  ptrdiff_t i = 0;
  while (swl_single(ms, s + i, p, ep)) i++;
  for (; i >= 0; i--) {   /* the longest run first, then shorter ones */
    const char *res = swl_match(ms, s + i, ep + 1);
    if (res) return res;
  }
  return NULL;
}

static inline const char *swl_min_expand(swl_Match *ms, const char *s, const char *p, const char *ep) {
  for (;;) {
    const char *res = swl_match(ms, s, ep + 1);
    if (res) return res;
    if (swl_single(ms, s, p, ep)) s++;
    else return NULL;
  }
}

static inline const char *swl_start_capture(swl_Match *ms, const char *s, const char *p, int what) {
  if (ms->level >= SWL_MAXCAPTURES) luaL_error(ms->L, "too many captures");
  ms->capture[ms->level].init = s;
  ms->capture[ms->level].len = what;
  ms->level++;
  const char *res = swl_match(ms, s, p);
  if (res == NULL) ms->level--;   /* undo the capture */
  return res;
}

static inline const char *swl_end_capture(swl_Match *ms, const char *s, const char *p) {
  int l = ms->level - 1;
  while (l >= 0 && ms->capture[l].len != SWL_CAP_UNFINISHED) l--;
  if (l < 0) luaL_error(ms->L, "invalid pattern capture");
  ms->capture[l].len = s - ms->capture[l].init;
  const char *res = swl_match(ms, s, p);
  if (res == NULL) ms->capture[l].len = SWL_CAP_UNFINISHED;
  return res;
}

static inline int swl_capture_index(swl_Match *ms, int c) {
  int l = c - '1';
  if (l < 0 || l >= ms->level || ms->capture[l].len == SWL_CAP_UNFINISHED)
    luaL_error(ms->L, "invalid capture index %%%d", l + 1);
  return l;
}

static inline const char *swl_back_reference(swl_Match *ms, const char *s, int c) {
  int l = swl_capture_index(ms, c);
  size_t len = (size_t)ms->capture[l].len;
  ms->steps -= (long long)len;
  swl_step(ms);
  if ((size_t)(ms->src_end - s) >= len && memcmp(ms->capture[l].init, s, len) == 0) return s + len;
  return NULL;
}

static const char *swl_match(swl_Match *ms, const char *s, const char *p) {
  /* Only character tests are counted (every loop that can repeat makes them), so a plain
   * gsub over a long subject costs about one step per character. */
  if (ms->depth-- == 0) luaL_error(ms->L, "pattern too complex");
again:
  if (p != ms->p_end) {
    switch (*p) {
      case '(':
        s = *(p + 1) == ')' ? swl_start_capture(ms, s, p + 2, SWL_CAP_POSITION)
                            : swl_start_capture(ms, s, p + 1, SWL_CAP_UNFINISHED);
        break;
      case ')':
        s = swl_end_capture(ms, s, p + 1);
        break;
      case '$':
        if (p + 1 != ms->p_end) goto single;   /* '$' anchors only at the pattern's end */
        s = s == ms->src_end ? s : NULL;
        break;
      case SWL_ESC:
        switch (*(p + 1)) {
          case 'b':
            s = swl_balance(ms, s, p + 2);
            if (s != NULL) { p += 4; goto again; }
            break;
          case 'f': {
            p += 2;
            if (*p != '[') luaL_error(ms->L, "missing '[' after '%%f' in pattern");
            const char *ep = swl_class_end(ms, p);
            int before = s == ms->src_init ? '\0' : (unsigned char)*(s - 1);
            int here = s < ms->src_end ? (unsigned char)*s : '\0';
            if (!swl_set_matches(before, p, ep - 1) && swl_set_matches(here, p, ep - 1)) { p = ep; goto again; }
            s = NULL;
            break;
          }
          case '0': case '1': case '2': case '3': case '4':
          case '5': case '6': case '7': case '8': case '9':
            s = swl_back_reference(ms, s, (unsigned char)*(p + 1));
            if (s != NULL) { p += 2; goto again; }
            break;
          default:
            goto single;
        }
        break;
      default:
      single: {
        const char *ep = swl_class_end(ms, p);
        if (!swl_single(ms, s, p, ep)) {
          if (*ep == '*' || *ep == '?' || *ep == '-') { p = ep + 1; goto again; }   /* zero repetitions */
          s = NULL;
        } else {
          switch (*ep) {
            case '?': {
              const char *res = swl_match(ms, s + 1, ep + 1);
              if (res != NULL) s = res;
              else { p = ep + 1; goto again; }
              break;
            }
            case '+': s = swl_max_expand(ms, s + 1, p, ep); break;
            case '*': s = swl_max_expand(ms, s, p, ep); break;
            case '-': s = swl_min_expand(ms, s, p, ep); break;
            default: s++; p = ep; goto again;
          }
        }
        break;
      }
    }
  }
  ms->depth++;
  return s;
}

/* ---- captures to Lua values ---- */

/* Pushes capture i (or the whole match s..e when there are no captures and i is 0). */
static inline void swl_push_capture(swl_Match *ms, int i, const char *s, const char *e) {
  if (i >= ms->level) {
    if (i != 0) luaL_error(ms->L, "invalid capture index %%%d", i + 1);
    lua_pushlstring(ms->L, s, (size_t)(e - s));
    return;
  }
  ptrdiff_t len = ms->capture[i].len;
  if (len == SWL_CAP_UNFINISHED) luaL_error(ms->L, "unfinished capture");
  if (len == SWL_CAP_POSITION) lua_pushinteger(ms->L, (ms->capture[i].init - ms->src_init) + 1);
  else lua_pushlstring(ms->L, ms->capture[i].init, (size_t)len);
}

static inline int swl_push_captures(swl_Match *ms, const char *s, const char *e) {
  int n = (ms->level == 0 && s) ? 1 : ms->level;
  luaL_checkstack(ms->L, n, "too many captures");
  for (int i = 0; i < n; i++) swl_push_capture(ms, i, s, e);
  return n;
}

static inline long long swl_pattern_budget(lua_State *L) {
  swl_Host *h = swl_host(L);
  return h && h->patternsteps > 0 ? h->patternsteps : 200000000LL;
}

static inline void swl_match_init(swl_Match *ms, lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
  ms->L = L; ms->src_init = s; ms->src_end = s + ls; ms->p_end = p + lp;
  ms->budget = ms->steps = swl_pattern_budget(L);
}

static inline void swl_match_reset(swl_Match *ms) { ms->level = 0; ms->depth = SWL_MAXDEPTH; }

/* A 1-based, possibly negative position argument, as a 0-based offset in 0…len. */
static inline size_t swl_start_offset(lua_Integer pos, size_t len) {
  if (pos > 0) return (size_t)pos - 1;
  if (pos == 0) return 0;
  if (pos < -(lua_Integer)len) return 0;
  return len + (size_t)pos;
}

static inline int swl_has_specials(const char *p, size_t lp) {
  for (size_t i = 0; i < lp; i++)
    if (p[i] != '\0' && strchr("^$*+?.([%-", p[i])) return 1;
  return 0;
}

static inline int swl_find_aux(lua_State *L, int find) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = swl_start_offset(luaL_optinteger(L, 3, 1), ls);
  if (init > ls) { luaL_pushfail(L); return 1; }
  if (find && (lua_toboolean(L, 4) || !swl_has_specials(p, lp))) {
    /* a plain search; counted too, as it is quadratic at worst */
    long long steps = swl_pattern_budget(L);
    if (lp == 0) { lua_pushinteger(L, (lua_Integer)init + 1); lua_pushinteger(L, (lua_Integer)init); return 2; }
    for (const char *q = s + init; lp <= (size_t)(s + ls - q); q++) {
      steps -= (long long)lp;
      if (steps < 0) luaL_error(L, "plain string.find gave up after %I character tests", (lua_Integer)swl_pattern_budget(L));
      if (*q == *p && memcmp(q, p, lp) == 0) {
        lua_pushinteger(L, (lua_Integer)(q - s) + 1);
        lua_pushinteger(L, (lua_Integer)(q - s) + (lua_Integer)lp);
        return 2;
      }
    }
    luaL_pushfail(L);
    return 1;
  }
  swl_Match ms;
  const char *s1 = s + init;
  int anchor = (*p == '^');
  if (anchor) { p++; lp--; }
  swl_match_init(&ms, L, s, ls, p, lp);
  do {
    swl_match_reset(&ms);
    const char *e = swl_match(&ms, s1, p);
    if (e != NULL) {
      if (find) {
        lua_pushinteger(L, (lua_Integer)(s1 - s) + 1);
        lua_pushinteger(L, (lua_Integer)(e - s));
        return swl_push_captures(&ms, NULL, 0) + 2;
      }
      return swl_push_captures(&ms, s1, e);
    }
  } while (s1++ < ms.src_end && !anchor);
  luaL_pushfail(L);
  return 1;
}

static inline int swl_str_find(lua_State *L) { return swl_find_aux(L, 1); }
static inline int swl_str_match(lua_State *L) { return swl_find_aux(L, 0); }

/* gmatch: the state lives in a userdata; upvalues 1 and 2 keep the strings alive. */
typedef struct {
  const char *src, *p, *lastmatch;
  swl_Match ms;
} swl_GMatch;

static inline int swl_gmatch_next(lua_State *L) {
  swl_GMatch *gm = (swl_GMatch *)lua_touserdata(L, lua_upvalueindex(3));
  gm->ms.L = L;
  gm->ms.steps = gm->ms.budget;   /* each step of the iteration gets the whole budget */
  for (const char *src = gm->src; src <= gm->ms.src_end; src++) {
    swl_match_reset(&gm->ms);
    const char *e = swl_match(&gm->ms, src, gm->p);
    if (e != NULL && e != gm->lastmatch) {
      gm->src = gm->lastmatch = e;
      return swl_push_captures(&gm->ms, src, e);
    }
  }
  return 0;
}

static inline int swl_str_gmatch(lua_State *L) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = swl_start_offset(luaL_optinteger(L, 3, 1), ls);
  if (init > ls) init = ls + 1;   /* past the end: no match at all */
  lua_settop(L, 2);
  swl_GMatch *gm = (swl_GMatch *)lua_newuserdatauv(L, sizeof(swl_GMatch), 0);
  swl_match_init(&gm->ms, L, s, ls, p, lp);
  gm->src = s + init; gm->p = p; gm->lastmatch = NULL;
  lua_pushcclosure(L, swl_gmatch_next, 3);
  return 1;
}

/* gsub's replacement string: %0 the match, %1…%9 the captures, %% a percent sign. */
static inline void swl_add_string(swl_Match *ms, luaL_Buffer *b, const char *s, const char *e) {
  lua_State *L = ms->L;
  size_t l;
  const char *news = lua_tolstring(L, 3, &l);
  const char *p;
  while ((p = (const char *)memchr(news, SWL_ESC, l)) != NULL) {
    luaL_addlstring(b, news, (size_t)(p - news));
    p++;
    if (*p == SWL_ESC) luaL_addchar(b, *p);
    else if (*p == '0') luaL_addlstring(b, s, (size_t)(e - s));
    else if (isdigit((unsigned char)*p)) {
      swl_push_capture(ms, *p - '1', s, e);
      luaL_tolstring(L, -1, NULL);
      lua_remove(L, -2);
      luaL_addvalue(b);
    } else luaL_error(L, "invalid use of '%c' in replacement string", SWL_ESC);
    l -= (size_t)(p + 1 - news);
    news = p + 1;
  }
  luaL_addlstring(b, news, l);
}

static inline void swl_add_value(swl_Match *ms, luaL_Buffer *b, const char *s, const char *e, int tr) {
  lua_State *L = ms->L;
  switch (tr) {
    case LUA_TFUNCTION: {
      lua_pushvalue(L, 3);
      int n = swl_push_captures(ms, s, e);
      lua_call(L, n, 1);
      break;
    }
    case LUA_TTABLE:
      swl_push_capture(ms, 0, s, e);
      lua_gettable(L, 3);
      break;
    default:
      swl_add_string(ms, b, s, e);
      return;
  }
  if (!lua_toboolean(L, -1)) {   /* nil or false: keep the original text */
    lua_pop(L, 1);
    luaL_addlstring(b, s, (size_t)(e - s));
  } else if (!lua_isstring(L, -1)) {
    luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  } else {
    luaL_addvalue(b);
  }
}

static inline int swl_str_gsub(lua_State *L) {
  size_t srcl, lp;
  const char *src = luaL_checklstring(L, 1, &srcl);
  const char *p = luaL_checklstring(L, 2, &lp);
  const char *lastmatch = NULL;
  int tr = lua_type(L, 3);
  lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)srcl + 1);
  int anchor = (*p == '^');
  lua_Integer n = 0;
  luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                   "string/function/table");
  if (anchor) { p++; lp--; }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  swl_Match ms;
  swl_match_init(&ms, L, src, srcl, p, lp);
  while (n < max_s) {
    swl_match_reset(&ms);
    const char *e = swl_match(&ms, src, p);
    if (e != NULL && e != lastmatch) {
      n++;
      swl_add_value(&ms, &b, src, e, tr);
      src = lastmatch = e;
    } else if (src < ms.src_end) {
      luaL_addchar(&b, *src++);
    } else break;
    if (anchor) break;
  }
  luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
  luaL_pushresult(&b);
  lua_pushinteger(L, n);
  return 2;
}

/* Replaces the four pattern functions of the string table on top of the stack. */
static inline void swl_install_patterns(lua_State *L) {
  lua_pushcfunction(L, swl_str_find); lua_setfield(L, -2, "find");
  lua_pushcfunction(L, swl_str_match); lua_setfield(L, -2, "match");
  lua_pushcfunction(L, swl_str_gmatch); lua_setfield(L, -2, "gmatch");
  lua_pushcfunction(L, swl_str_gsub); lua_setfield(L, -2, "gsub");
}

#endif
