-- Sanctum prelude: runs once in every new Lua state, before the spell is loaded.
-- It builds the sandbox a spell lives in, the `emit` buffer, the instruction budget and the
-- host functions that the JS bridge calls. Everything the host needs from the standard library
-- is captured as a local here, before the dangerous parts of _G are removed.
local null = ...

local type, error, pairs, ipairs, next, select, tostring, tonumber, rawget, rawset, rawequal, rawlen =
  type, error, pairs, ipairs, next, select, tostring, tonumber, rawget, rawset, rawequal, rawlen
local pcall, xpcall, setmetatable, getmetatable, load = pcall, xpcall, setmetatable, getmetatable, load
local sethook, getinfo, traceback, raw_getmetatable = debug.sethook, debug.getinfo, debug.traceback, debug.getmetatable
local co_create, co_wrap = coroutine.create, coroutine.wrap
local format, concat, unpack = string.format, table.concat, table.unpack

-- Strip what a spell must never reach from the real globals too (defence in depth: the spell's
-- environment is a separate table, but strings share one metatable whose __index is `string`).
string.dump = nil
getmetatable("").__metatable = "string"
local safe_os = { time = os.time, clock = os.clock, date = os.date, difftime = os.difftime }
io, os, debug, package, require, dofile, loadfile, collectgarbage = nil, nil, nil, nil, nil, nil, nil, nil

---------------------------------------------------------------------------------------------------
-- Instruction budget: one count hook every PERIOD instructions on every thread the spell runs,
-- adding to one counter per call. A budget error cannot be swallowed by the spell's own pcall.
local PERIOD = 1000
local limit = 10000 -- in periods; set by host.set_budget
local used = 0
local budget_message = "instruction budget exceeded"
local function on_count()
  used = used + 1
  if used > limit then
    error(budget_message, 2)
  end
end

local function rethrow_if_exhausted(ok, ...)
  if used > limit then error(budget_message, 0) end
  return ok, ...
end
local function sandbox_pcall(f, ...)
  return rethrow_if_exhausted(pcall(f, ...))
end
local function sandbox_xpcall(f, msgh, ...)
  return rethrow_if_exhausted(xpcall(f, msgh, ...))
end

local function hooked(co)
  sethook(co, on_count, "", PERIOD)
  return co
end
local function sandbox_co_create(f) return hooked(co_create(f)) end
local function sandbox_co_wrap(f)
  local co = hooked(co_create(f))
  return function(...)
    local res = { coroutine.resume(co, ...) }
    if not res[1] then error(res[2], 0) end
    return unpack(res, 2, #res)
  end
end
sethook(on_count, "", PERIOD)

---------------------------------------------------------------------------------------------------
-- Arrays: tables that came from JSON arrays carry this metatable, so an emptied array stays an
-- array on the way out. `sanctum.array(t)` marks a table built in Lua.
-- Protected (__metatable): a spell can neither read nor change it, so it cannot, say, add a __gc
-- finalizer that every array would then run outside the budget.
local array_mt = { __name = "sanctum.array", __metatable = "sanctum.array" }
local function array(t)
  t = t or {}
  if type(t) ~= "table" then error("sanctum.array expects a table, got " .. type(t), 2) end
  return setmetatable(t, array_mt)
end
local function is_array(t) return raw_getmetatable(t) == array_mt end

local function sandbox_setmetatable(t, mt)
  if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
    error("__gc metamethods are not allowed in spells", 2)
  end
  return setmetatable(t, mt)
end

---------------------------------------------------------------------------------------------------
-- Logs: print and log.* append to a buffer the host drains after each call.
local logs, n_logs = {}, 0
local function add_log(level, message, fields)
  local info = getinfo(3, "Sl")
  n_logs = n_logs + 1
  logs[n_logs] = { level = level, message = message, fields = fields,
                   source = info and info.source, line = info and info.currentline }
end
local function print(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  add_log("info", concat(parts, "\t"))
end
local function logger(level)
  return function(message, fields)
    if fields ~= nil and type(fields) ~= "table" then
      error("log." .. level .. ": fields must be a table, got " .. type(fields), 2)
    end
    add_log(level, tostring(message), fields)
  end
end
local log = { debug = logger("debug"), info = logger("info"), warn = logger("warn"), error = logger("error") }

---------------------------------------------------------------------------------------------------
-- emit: events go into a buffer the host reads after the call returns. Port 0 is the default.
local out_ev, out_port, n_out = {}, {}, 0
local named = false -- did this call emit to a named port? (else the host skips reading port ids)
local counts = {} -- outputs per event of the last batch
local port_ids, port_names, n_ports = { out = 0 }, {}, 0

local function deepcopy(v, depth)
  if type(v) ~= "table" then return v end
  if depth > 200 then error("event nested deeper than 200 levels (a cycle?)", 0) end
  local c = {}
  for k, x in next, v do c[k] = deepcopy(x, depth + 1) end
  return setmetatable(c, raw_getmetatable(v) == array_mt and array_mt or nil)
end

local function emit(ev, port)
  if ev == nil then error("emit: the event is nil", 2) end
  local pid = 0
  if port ~= nil then
    pid = port_ids[port]
    if pid == nil then
      if type(port) ~= "string" then error("emit: the port must be a string, got " .. type(port), 2) end
      n_ports = n_ports + 1
      pid = n_ports
      port_ids[port] = pid
      port_names[pid] = port
    end
  end
  -- Emitted tables are read when the call returns (documented): emitting one table twice emits
  -- its final state twice; sanctum.copy(t) makes a snapshot.
  if pid ~= 0 then named = true end
  n_out = n_out + 1
  out_ev[n_out] = ev
  out_port[n_out] = pid
end

---------------------------------------------------------------------------------------------------
-- The sandbox: what a spell may use.
local env = {
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, select = select,
  tonumber = tonumber, tostring = tostring, type = type, rawequal = rawequal, rawget = rawget,
  rawlen = rawlen, rawset = rawset, getmetatable = getmetatable, setmetatable = sandbox_setmetatable,
  pcall = sandbox_pcall, xpcall = sandbox_xpcall, print = print, _VERSION = _VERSION,
  math = math, string = string, table = table, utf8 = utf8, os = safe_os,
  coroutine = { create = sandbox_co_create, wrap = sandbox_co_wrap, resume = coroutine.resume,
                yield = coroutine.yield, status = coroutine.status, isyieldable = coroutine.isyieldable,
                running = coroutine.running, close = coroutine.close },
  log = log,
  sanctum = { null = null, array = array, is_array = is_array, copy = function(t) return deepcopy(t, 0) end, version = "0.1" },
}
env._G = env

local spell_sources = {} -- chunk names of the spell and its modules: where error lines point
local modules, loaded = {}, {}

local function sandbox_load(chunk, name, mode, chunk_env)
  if mode ~= nil and mode ~= "t" then return nil, "spells may load text chunks only (mode 't')" end
  return load(chunk, name, "t", chunk_env or env)
end
env.load = sandbox_load

local function sandbox_require(name)
  if type(name) ~= "string" then error("require expects a module name, got " .. type(name), 2) end
  local v = loaded[name]
  if v ~= nil then return v end
  if name == "sanctum" then return env.sanctum end
  local m = modules[name]
  if m == nil then
    error(format("module '%s' not found: a spell may require Lua files next to it ('%s.lua')",
      name, (name:gsub("%.", "/"))), 2)
  end
  local f, err = load(m.source, m.chunkname, "t", env)
  if not f then error(err, 0) end
  -- Modules bundled with Sanctum (sanctum.*) are not the spell's code: errors point past them.
  if m.chunkname:sub(1, 9) ~= "@sanctum/" then spell_sources[m.chunkname] = true end
  v = f(name)
  if v == nil then v = true end
  loaded[name] = v
  return v
end
env.require = sandbox_require

---------------------------------------------------------------------------------------------------
-- Calls from the host. Each returns a count >= 0 on success, -1 on failure (see last_error).
local spell, spell_cast, spell_init, spell_finish
local spell_tick, spell_timer, take_timer
local err_value, err_source, err_line, err_traceback, err_kind

local function handler(e)
  err_value = e
  err_traceback = traceback(type(e) == "string" and e or nil, 2)
  for level = 2, 80 do
    local ar = getinfo(level, "Sl")
    if not ar then break end
    if spell_sources[ar.source] then
      err_source, err_line = ar.source, ar.currentline
      break
    end
  end
  return e
end

local function begin()
  used, n_out, named = 0, 0, false
  if #counts > 4096 then counts = {} end
  err_value, err_source, err_line, err_traceback, err_kind = nil, nil, nil, nil, nil
  if #out_ev > 4096 then out_ev, out_port = {}, {} end
end

local function done()
  return n_out, out_ev, out_port, n_logs, named
end

local checkpoint -- set by the host when the spell's libraries take part in all-or-nothing casts
local fire -- set while cast_batch fires timers: each "event" is a timer key (see host.time)
-- How many calls of this spell failed and had their state and timer writes undone, as of the
-- current call: a cache of state kept in Lua locals is stale when it changes.
local epoch = 0
env.sanctum.epoch = function() return epoch end

local function do_cast(ev)
  if checkpoint then checkpoint() end
  local before = n_out
  local r
  if fire then r = fire(ev, emit) else r = spell_cast(ev, emit) end -- called by name: tracebacks say spell.cast
  if n_out == before and r ~= nil then
    if type(r) ~= "table" then
      err_kind = "bad_output"
      error(format("cast returned a %s; return a table to emit it, or call emit(value)", type(r)), 0)
    end
    n_out = before + 1
    out_ev[n_out] = r
    out_port[n_out] = 0
  end
end

local host = {}

-- The host calls these through lua_pcall with `handler` as the message handler: one protected
-- call per cast (each protected call costs a trip through JS in Emscripten's setjmp emulation).

function host.cast(ev)
  begin()
  do_cast(ev)
  return done()
end

-- Casts events[start..count]; counts[i] = outputs of event i. A failure aborts the call: the host
-- asks batch_failure() which event failed and how many outputs came before it, keeps those, and
-- calls again from the next event. A cast is all-or-nothing.
local cur, cur_before = 0, 0
function host.cast_batch(events, count, start)
  begin()
  local ones = true -- every cast emitted exactly one event: the host need not read the counts
  for i = start, count do
    used, cur, cur_before = 0, i, n_out
    do_cast(events[i])
    local c = n_out - cur_before
    counts[i] = c
    if c ~= 1 then ones = false end
  end
  return n_out, out_ev, out_port, counts, n_logs, named, ones
end

function host.batch_failure()
  return cur, cur_before, out_ev, out_port, counts, n_logs, named
end

function host.init(runes)
  begin()
  if checkpoint then checkpoint() end
  if spell_init then spell_init(runes) end
  return done()
end

function host.finish()
  begin()
  if checkpoint then checkpoint() end
  if spell_finish then spell_finish(emit) end
  return done()
end

function host.last_error()
  local v = err_value
  local message, data
  if type(v) == "string" then message = v
  elseif type(v) == "table" then
    message = rawget(v, "message")
    message = message ~= nil and tostring(message) or "error object (see data)"
    data = v
  else message = tostring(v) end
  local kind = err_kind
  if kind == nil then
    if used > limit then kind = "budget"
    elseif v == "not enough memory" then kind = "memory"
    elseif type(v) == "string" and (v:find("stack overflow", 1, true)) then kind = "stack"
    else kind = "runtime" end
  end
  return { message = message, data = data, kind = kind, source = err_source, line = err_line,
           traceback = err_traceback }
end

function host.drain_logs()
  local out = logs
  logs, n_logs = {}, 0
  return out
end

function host.port_name(id) return port_names[id] end

function host.set_budget(instructions)
  limit = instructions // PERIOD
  if limit < 1 then limit = 1 end
  budget_message = format("instruction budget exceeded (%d instructions)", instructions)
end

-- Loads the spell's source into the sandbox. Returns nil on success, or (kind, message).
local function host_function(cf)
  return function(...)
    local ok, v = cf(...)
    if not ok then error(v, 2) end
    return v
  end
end

function host.load(source, chunkname, module_list, libraries, checkpoint_fn)
  checkpoint = checkpoint_fn
  if checkpoint_fn then
    -- The host's checkpoint answers how many casts were rolled back so far: sanctum.epoch().
    checkpoint = function() epoch = checkpoint_fn() or epoch end
  end
  for i = 1, #module_list, 3 do
    modules[module_list[i]] = { chunkname = module_list[i + 1], source = module_list[i + 2] }
  end
  for name, fns in next, libraries do
    local lib = rawget(env, name) -- a library may add to a table the sandbox has (sanctum.now)
    if type(lib) ~= "table" then lib = {} end
    for fname, cf in next, fns do lib[fname] = host_function(cf) end
    env[name] = lib
  end
  local timers = rawget(env, "timers")
  if timers then
    -- `take` is the firing loop's (host.time), not the spell's; `set` needs a hook to call.
    take_timer, timers.take = timers.take, nil
    local set = timers.set
    timers.set = function(key, at)
      if not spell_timer then
        error("timers.set: the spell has no timer hook; define function spell.timer(key, now, emit), which is called when a timer is due", 2)
      end
      return set(key, at)
    end
  end
  local f, err = load(source, chunkname, "t", env)
  if not f then return "syntax", err end
  spell_sources[chunkname] = true
  begin()
  local ok, result = xpcall(f, handler)
  if not ok then return "runtime", result end
  if type(result) ~= "table" then
    return "invalid", format("the spell must return a table of hooks (return spell), but returned %s", type(result))
  end
  if type(result.cast) ~= "function" then
    return "invalid", "the spell's table has no `cast` function: define function spell.cast(event, emit)"
  end
  for _, hook in ipairs({ "init", "finish", "tick", "timer" }) do
    if result[hook] ~= nil and type(result[hook]) ~= "function" then
      return "invalid", format("spell.%s must be a function, got %s", hook, type(result[hook]))
    end
  end
  spell, spell_cast, spell_init, spell_finish = result, result.cast, result.init, result.finish
  spell_tick, spell_timer = result.tick, result.timer
  return nil
end

-- Time: ticks and timers. host.time("tick", now) calls spell.tick(now, emit) like finish;
-- host.time("fire", now) makes cast_batch fire timers (each "event" a key: spell.timer(key, now,
-- emit) if the timer is still due, taken first so that a failing timer fires once) until
-- host.time("fire", nil); host.time("hooks") says which time hooks the spell has (1 tick, 2 timer).
function host.time(op, a)
  if op == "tick" then
    begin()
    if checkpoint then checkpoint() end
    if spell_tick then spell_tick(a, emit) end
    return done()
  elseif op == "fire" then
    if a == nil then
      fire = nil
    else
      local now = a
      fire = function(key, emit_)
        if take_timer and take_timer(key, now) then return spell_timer(key, now, emit_) end
      end
    end
    return 0
  elseif op == "hooks" then
    return (spell_tick and 1 or 0) + (spell_timer and 2 or 0)
  end
end

-- Slots the host keeps on the stack, in this order.
return host.cast, host.cast_batch, host.init, host.finish, host.last_error, host.drain_logs,
  host.port_name, host.set_budget, host.load, array_mt, handler, host.batch_failure, host.time
