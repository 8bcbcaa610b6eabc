local L = _LUNAR
-- The strategy table's fields: its own, then every simulation setting (from Setting.all).
local strategy_fields = {}
for _, k in ipairs(L.structure_fields) do strategy_fields[#strategy_fields + 1] = k end
for _, k in ipairs(L.setting_names) do strategy_fields[#strategy_fields + 1] = k end
local setting_names = L.setting_names
local function keyset(list) local s = {} for _, k in ipairs(list) do s[k] = true end return s end
local known = keyset(strategy_fields)

function strategy(def)
  if type(def) ~= "table" then error("strategy{...} expects a table", 2) end
  for k, v in pairs(def) do
    if not known[k] then
      error(("strategy: unknown field '%s'%s"):format(tostring(k), L.hint(tostring(k), strategy_fields)), 2)
    end
  end
  if def.name ~= nil and type(def.name) ~= "string" then error("strategy: 'name' must be a string", 2) end
  if def.description ~= nil and type(def.description) ~= "string" then error("strategy: 'description' must be a string", 2) end
  if def.params ~= nil and type(def.params) ~= "table" then error("strategy: 'params' must be a table of defaults", 2) end
  for _, f in ipairs({ "signals", "indicators", "on_bar", "init" }) do
    if def[f] ~= nil and type(def[f]) ~= "function" then error(("strategy: '%s' must be a function"):format(f), 2) end
  end
  if def.signals == nil and def.on_bar == nil then
    error("strategy: define signals(bars, p) (vectorized) or on_bar(ctx, p) (per bar)", 2)
  end
  for _, k in ipairs(setting_names) do
    local v = def[k]
    if v ~= nil then
      local want = L.check_setting(k, v)
      if want then error(("strategy: '%s' must be %s, got %s"):format(k, want, tostring(v)), 2) end
    end
  end
  return def
end

-- The calendar's own series, on every bars table of the data's bars.
local calendar_fields = { "time_of_day", "day_of_week" }

-- bars:timeframe(tf): the same fields aggregated to a coarser timeframe (open first, high max,
-- low min, close last, volume sum, other fields last). Series made from them stay on that
-- timeframe until they meet a finer one, where the engine aligns them to the last complete
-- period: there is no way to read a period still forming.
local function make_coarser(fields, tf)
  local t = {}
  for _, f in ipairs(fields) do t[f] = L.field(f, tf) end
  return setmetatable(t, { __index = function(_, k)
    if k == "timeframe" then error(("bars:timeframe('%s') is already a timeframe; call bars:timeframe(...) on the data's bars"):format(tf), 2) end
    error(("bars:timeframe('%s') has no field '%s'%s"):format(tf, tostring(k), L.hint(tostring(k), fields)), 2)
  end })
end

function L.make_bars(fields)
  local bars, coarser = {}, {}
  for _, f in ipairs(fields) do bars[f] = L.field(f) end
  for _, f in ipairs(calendar_fields) do if bars[f] == nil then bars[f] = L.calendar(f) end end
  local names = {}
  for _, f in ipairs(fields) do names[#names + 1] = f end
  for _, f in ipairs(calendar_fields) do names[#names + 1] = f end
  names[#names + 1] = "timeframe"
  local function timeframe(self, tf)
    if self ~= bars then error("call it with a colon: bars:timeframe(\"1W\")", 2) end
    if type(tf) ~= "string" then error(("bars:timeframe expects a timeframe such as \"1W\", got %s"):format(type(tf)), 2) end
    local problem = L.timeframe_problem(tf)
    if problem then error("bars:timeframe: " .. problem, 2) end
    if coarser[tf] == nil then coarser[tf] = make_coarser(fields, tf) end
    return coarser[tf]
  end
  return setmetatable(bars, { __index = function(_, k)
    if k == "timeframe" then return timeframe end
    error(("bars has no field '%s'%s"):format(tostring(k), L.hint(tostring(k), names)), 2)
  end })
end

-- p is a read-only proxy, so that reads can be recorded (`lunar check` warns about unused params).
L.used_params = {}
function L.make_params(values, names)
  return setmetatable({}, {
    __index = function(_, k)
      local v = values[k]
      if v == nil then
        error(("unknown parameter '%s'%s"):format(tostring(k), L.hint(tostring(k), names)), 2)
      end
      L.used_params[k] = true
      return v
    end,
    __newindex = function(_, k) error(("parameters are read-only (assigning p.%s)"):format(tostring(k)), 2) end,
    __pairs = function() return next, values, nil end,
  })
end

-- on_bar's p: read on every bar, so a known name is found without a call (a table __index is
-- the VM's fast path); an unknown one still raises with suggestions. Reads are not recorded:
-- `lunar check` learns which params are used from `indicators` and `signals`. The metatable
-- is locked, so no script reaches `values`, which every symbol of a worker shares.
function L.make_bar_params(values, names)
  setmetatable(values, { __index = function(_, k)
    error(("unknown parameter '%s'%s"):format(tostring(k), L.hint(tostring(k), names)), 2)
  end })
  return setmetatable({}, {
    __index = values,
    __newindex = function(_, k) error(("parameters are read-only (assigning p.%s)"):format(tostring(k)), 2) end,
    __pairs = function() return next, values, nil end,
    __metatable = false,
  })
end
