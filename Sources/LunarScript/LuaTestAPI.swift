/// The assertion API of `lunar test`, written in Lua: `test`, `expect`, `panel`,
/// `expect_series`, `series_values`, `run_strategy` and `nan` (see docs/libraries.md).
/// Failures raise with level 2 or 3 so the message names the test's own line; the natives
/// `_LUNAR.eval` and `_LUNAR.run_strategy` come from LuaTestRunner.swift.
let luaTestAPI = #"""
local L = _LUNAR
L.tests = {}
nan = 0 / 0

local function is_nan(x) return type(x) == "number" and x ~= x end

local function show(v, depth)
  depth = depth or 0
  if type(v) == "string" then return string.format("%q", v) end
  if is_nan(v) then return "nan" end
  if type(v) ~= "table" or depth > 1 then return tostring(v) end
  local parts, n = {}, #v
  for i = 1, math.min(n, 20) do parts[#parts + 1] = show(v[i], depth + 1) end
  if n > 20 then parts[#parts + 1] = "... (" .. n .. " items)" end
  for k, x in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      parts[#parts + 1] = tostring(k) .. " = " .. show(x, depth + 1)
    end
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- Tables compare by content; NaN equals NaN, so warm-up bars can be written as nan.
local function deep_equal(a, b)
  if is_nan(a) and is_nan(b) then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do if not deep_equal(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

function test(name, fn)
  if type(name) ~= "string" then error("test(name, fn): name must be a string", 2) end
  if type(fn) ~= "function" then error("test(name, fn): fn must be a function", 2) end
  L.tests[#L.tests + 1] = { name = name, fn = fn }
end

function expect(actual)
  local e = {}
  local function fail(msg) error(msg, 3) end
  function e.to_equal(expected)
    if not deep_equal(actual, expected) then fail(("expected %s to equal %s"):format(show(actual), show(expected))) end
  end
  function e.not_to_equal(other)
    if deep_equal(actual, other) then fail(("expected a value other than %s"):format(show(other))) end
  end
  function e.to_be_near(expected, tol)
    tol = tol or 1e-9
    if type(actual) ~= "number" or math.abs(actual - expected) > tol then
      fail(("expected %s to be within %g of %s"):format(show(actual), tol, show(expected)))
    end
  end
  function e.to_be_true() if actual ~= true then fail(("expected true, got %s"):format(show(actual))) end end
  function e.to_be_false() if actual ~= false then fail(("expected false, got %s"):format(show(actual))) end end
  function e.to_be_nil() if actual ~= nil then fail(("expected nil, got %s"):format(show(actual))) end end
  function e.to_contain(part)
    if type(actual) == "string" then
      if not actual:find(part, 1, true) then fail(("expected %s to contain %s"):format(show(actual), show(part))) end
    elseif type(actual) == "table" then
      for _, v in pairs(actual) do if deep_equal(v, part) then return end end
      fail(("expected %s to contain %s"):format(show(actual), show(part)))
    else
      fail(("to_contain needs a string or a table, got %s"):format(type(actual)))
    end
  end
  -- expect(function() ... end).to_fail("part of the message")
  function e.to_fail(part)
    if type(actual) ~= "function" then fail("to_fail needs a function") end
    local ok, err = pcall(actual)
    if ok then fail("expected an error, but the function returned") end
    if part and not tostring(err):find(part, 1, true) then
      fail(("expected an error containing %s, got %s"):format(show(part), show(tostring(err))))
    end
  end
  return e
end

-- Calls a native and re-raises its error at the test's line rather than this prelude's.
local function native(fn, ...)
  local ok, result = pcall(fn, ...)
  if not ok then error((tostring(result):gsub("^lunar%-test:%d+: ", "")), 3) end
  return result
end

local panel_meta = {}
local standard = { open = true, high = true, low = true, close = true, volume = true }

-- panel { close = {1, 2, 3} } for one symbol, or
-- panel { symbols = {"A", "B"}, close = {{...}, {...}} } for several. open, high and low default
-- to close and volume to 1000; any other field (a = {...}) becomes a series p.a. true/false
-- read as 1/0, nan as a missing value.
function panel(spec)
  if type(spec) ~= "table" then error("panel{...} expects a table of fields", 2) end
  if type(spec.close) ~= "table" then error("panel{...}: 'close' is required, e.g. panel { close = {1, 2, 3} }", 2) end
  local symbols = spec.symbols
  local multi = symbols ~= nil
  if not multi then symbols = { "S0" } end
  local first = multi and spec.close[1] or spec.close
  if type(first) ~= "table" then error("panel{...}: with symbols = {...}, each field is a list of lists, one per symbol", 2) end
  local fields, bars = {}, #first
  local function number(v, where)
    if v == true then return 1 elseif v == false then return 0 end
    if type(v) ~= "number" then error(("panel{...}: %s must be a number, got %s"):format(where, type(v)), 4) end
    return v
  end
  for name, values in pairs(spec) do
    if name ~= "symbols" then
      if type(name) ~= "string" or type(values) ~= "table" then error("panel{...}: fields are name = {values}", 2) end
      local per = multi and values or { values }
      if #per ~= #symbols then
        error(("panel{...}: '%s' has %d series for %d symbols"):format(name, #per, #symbols), 2)
      end
      fields[name] = {}
      for s, list in ipairs(per) do
        if type(list) ~= "table" then error(("panel{...}: '%s' for symbol %d must be a list"):format(name, s), 2) end
        if #list ~= bars then
          error(("panel{...}: '%s' has %d bars, 'close' has %d"):format(name, #list, bars), 2)
        end
        local out = {}
        for i = 1, bars do out[i] = number(list[i], ("%s[%d]"):format(name, i)) end
        fields[name][s] = out
      end
    end
  end
  for name in pairs({ open = 1, high = 1, low = 1 }) do fields[name] = fields[name] or fields.close end
  if not fields.volume then
    fields.volume = {}
    for s = 1, #symbols do
      local v = {}
      for i = 1, bars do v[i] = 1000 end
      fields.volume[s] = v
    end
  end
  local p = { symbols = symbols, bars = bars, _data = { symbols = symbols, fields = fields } }
  return setmetatable(p, panel_meta)
end

panel_meta.__index = function(p, k)
  local data = rawget(p, "_data")
  if data.fields[k] then return L.field(k) end
  local names = {}
  for n in pairs(data.fields) do names[#names + 1] = n end
  error(("panel has no field '%s'%s"):format(tostring(k), L.hint(tostring(k), names)), 2)
end

local function check_panel(p, who)
  if getmetatable(p) ~= panel_meta then error(who .. ": the second argument must be a panel made by panel{...}", 3) end
end

-- The values of a series over a panel: a list for one symbol, a list of lists for several.
function series_values(s, p)
  check_panel(p, "series_values")
  local values = native(L.eval, s, p._data)
  return #values == 1 and values[1] or values
end

function expect_series(s, p)
  check_panel(p, "expect_series")
  local values = native(L.eval, s, p._data)
  local e = {}
  function e.near(expected, tol)
    tol = tol or 1e-9
    if type(expected) ~= "table" then error("near(values, tol): values must be a list", 2) end
    local per = (#p.symbols == 1 and type(expected[1]) ~= "table") and { expected } or expected
    for sym = 1, #p.symbols do
      local got, want = values[sym], per[sym]
      if type(want) ~= "table" then error(("near: no expected values for symbol %s"):format(p.symbols[sym]), 2) end
      if #want ~= #got then
        error(("series has %d bars, expected %d values"):format(#got, #want), 2)
      end
      for i = 1, #got do
        local w = want[i]
        if w == true then w = 1 elseif w == false then w = 0 end
        local g = got[i]
        local same = (is_nan(g) and is_nan(w)) or (not is_nan(g) and not is_nan(w) and math.abs(g - w) <= tol)
        if not same then
          error(("series differs at bar %d%s: got %s, expected %s (tolerance %g)\n  got:      %s\n  expected: %s")
            :format(i, #p.symbols > 1 and (" of " .. p.symbols[sym]) or "", show(g), show(w), tol, show(got), show(want)), 2)
        end
      end
    end
  end
  function e.to_equal(expected) return e.near(expected, 0) end
  return e
end

-- run_strategy("path/to/strategy.lua", panel, {param = value}, {capital = ..., fees = ...})
-- Paths are relative to the test file. Returns { trades = {...}, metrics = {...} }.
function run_strategy(path, p, params, options)
  check_panel(p, "run_strategy")
  if params ~= nil and type(params) ~= "table" then error("run_strategy: params must be a table", 2) end
  -- Not a tail call: native's error level counts this frame.
  local result = native(L.run_strategy, path, p._data, params or {}, options or {})
  return result
end
"""#
