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

function L.make_bars(fields)
  local bars = {}
  for _, f in ipairs(fields) do bars[f] = L.field(f) end
  return setmetatable(bars, { __index = function(_, k)
    error(("bars has no field '%s'%s"):format(tostring(k), L.hint(tostring(k), fields)), 2)
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
