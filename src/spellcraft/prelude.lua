-- Sanctum prelude: runs once in every new Lua state, before the spell is loaded.
-- It builds the sandbox a spell lives in, the `emit` buffer, the instruction budget and the
-- host functions that the JS bridge calls. Everything the prelude needs from the standard library
-- is captured as a local here, before the dangerous parts of _G are removed: a spell may replace
-- functions in its own copies of the libraries, never the ones the prelude calls.
local null, slot_names = ...

local type, error, assert, pairs, ipairs, next, select, tostring, tonumber, rawget, rawset, rawequal, rawlen =
  type, error, assert, pairs, ipairs, next, select, tostring, tonumber, rawget, rawset, rawequal, rawlen
local xpcall, setmetatable, getmetatable, load = xpcall, setmetatable, getmetatable, load
local sethook, getinfo, traceback, raw_getmetatable = debug.sethook, debug.getinfo, debug.traceback, debug.getmetatable
local co_close = coroutine.close
local format, find, sub = string.format, string.find, string.sub
local concat, unpack = table.concat, table.unpack
local tointeger, m_log = math.tointeger, math.log
local function log2(n) return m_log(n, 2) end
local gc = collectgarbage
-- The library functions the sandbox's own functions hand a spell's arguments to, called as C.name:
-- the prelude is stripped of debug information (lua-vm.ts compilePrelude), and a call through a
-- field is how an error message still names the function ("bad argument #2 to 'insert'").
local C = {
  pcall = pcall, xpcall = xpcall, setmetatable = setmetatable, load = load,
  create = coroutine.create, resume = coroutine.resume, close = coroutine.close,
  rep = string.rep, concat = table.concat, insert = table.insert, remove = table.remove,
  move = table.move, sort = table.sort,
}
local function full_gc() gc("collect") end

-- Strip what a spell must never reach from the real globals too (defence in depth: the spell's
-- environment is a separate table).
string.dump = nil

-- The spell's libraries are copies: the guarded functions below replace some originals in them,
-- strings index the copy of `string`, and what a spell adds to them stays out of the real ones in
-- package.loaded, which a traceback walks to name functions.
local function copy(lib)
  local c = {}
  for k, v in next, lib do c[k] = v end
  return c
end
local spell_string, spell_table, spell_math, spell_utf8 = copy(string), copy(table), copy(math), copy(utf8)
local string_mt = getmetatable("")
string_mt.__index = spell_string
string_mt.__metatable = "string"
local safe_os = { time = os.time, clock = os.clock, date = os.date, difftime = os.difftime }
io, os, debug, package, require, dofile, loadfile, collectgarbage = nil, nil, nil, nil, nil, nil, nil, nil

---------------------------------------------------------------------------------------------------
-- Instruction budget: one count hook every PERIOD instructions on every thread the spell runs,
-- adding to one counter per call. A budget error cannot be swallowed by the spell's own pcall,
-- xpcall or coroutine.resume, and no message handler of the spell runs for it.
local PERIOD = 1000
local limit = 10000 -- in periods; set by host.set_budget
local used = 0
local budget_message = "instruction budget exceeded"
-- The prelude's own short functions the host calls between casts (last_error after a budget
-- error, drain_logs, ...): the hook never interrupts them, or a report could fail for want of a
-- few instructions. Filled in below.
local quiet = {}
local function on_count()
  used = used + 1
  if used > limit then
    local ar = getinfo(2, "f")
    if not (ar and quiet[ar.func]) then error(budget_message, 2) end
  end
end

-- The work of one C call of the standard library that loops over a range the spell chooses
-- (table.move(t, 1, 1 << 50, 2) moves nothing, allocates nothing, and never returns): counted
-- against the budget, one instruction per element, before the call starts.
local spare = 0 -- charged instructions short of a whole period
local function charge(units)
  spare = spare + units
  if spare >= PERIOD then
    used = used + spare // PERIOD
    spare = spare % PERIOD
    if used > limit then error(budget_message, 3) end
  end
end

-- Faults the Lua VM itself reported during this call (an error message alone can be spoofed:
-- error("stack overflow") is an ordinary error). Memory refusals are counted by the allocator,
-- out of the spell's reach; stack overflows are seen where they are raised.
local stack_fault = false
-- Lua's own messages for a stack overflow, with or without a "chunk:line: " position. It
-- allocates nothing: it runs in message handlers, maybe at the memory cap.
local OVERFLOW = { "^stack overflow$", "^C stack overflow$", "^stack overflow %(",
                   "^[^\n]-:%d+: stack overflow$", "^[^\n]-:%d+: C stack overflow$", "^[^\n]-:%d+: stack overflow %(" }
local function is_overflow(msg)
  if type(msg) ~= "string" then return false end
  for i = 1, #OVERFLOW do
    if find(msg, OVERFLOW[i]) then return true end
  end
  return false
end
-- An overflow message `e` raised by `f`: one Lua raised (not error() or assert(), which raise
-- what the spell says) is a fault of this call.
local function note_fault(e, f)
  if f ~= error and f ~= assert and is_overflow(e) then stack_fault = true end
end

-- Set when a call emitted more than its limit: like the budget, the spell cannot swallow it.
local emit_over, emit_message = false, "emitted too many events"
local function rethrow_if_exhausted(ok, ...)
  if used > limit then error(budget_message, 0) end
  if emit_over then error(emit_message, 0) end
  return ok, ...
end
-- pcall is xpcall with a handler that only looks: a stack overflow it catches is seen where it
-- was raised, so raising it again keeps its code.
local function pcall_handler(e)
  if used <= limit and is_overflow(e) then
    local ar = getinfo(2, "f")
    note_fault(e, ar and ar.func)
  end
  return e
end
local function sandbox_pcall(f, ...)
  return rethrow_if_exhausted(C.xpcall(f, pcall_handler, ...))
end
-- The budget error is raised inside the count hook, where Lua runs message handlers with hooks
-- off: the spell's handler must not run then (it would run unmetered). Any other error reaches it
-- as usual, metered.
local function sandbox_xpcall(f, msgh, ...)
  if type(msgh) ~= "function" then return C.xpcall(f, msgh, ...) end -- xpcall's own error
  return rethrow_if_exhausted(C.xpcall(f, function(e)
    if used > limit then return e end
    if is_overflow(e) then
      local ar = getinfo(2, "f")
      note_fault(e, ar and ar.func)
    end
    return msgh(e)
  end, ...))
end

-- A coroutine stopped by the budget error died inside the hook, with hooks off for good: its
-- pending to-be-closed variables would run unmetered. It is never closed.
local stopped = setmetatable({}, { __mode = "k" })
local function after_resume(co, ok, ...)
  if not ok then
    if is_overflow((...)) then
      local ar = getinfo(co, 0, "f")
      note_fault((...), ar and ar.func)
    end
    if used > limit then
      stopped[co] = true
      error((...), 0)
    end
  end
  return ok, ...
end
local function sandbox_resume(co, ...)
  return after_resume(co, C.resume(co, ...))
end
local function sandbox_close(co)
  if stopped[co] then return false, budget_message end
  return C.close(co)
end

local function hooked(co)
  sethook(co, on_count, "", PERIOD)
  return co
end
local function sandbox_co_create(f) return hooked(C.create(f)) end
local function sandbox_co_wrap(f)
  local co = hooked(C.create(f))
  local function results(ok, ...)
    if ok then return ... end
    if is_overflow((...)) then
      local ar = getinfo(co, 0, "f")
      note_fault((...), ar and ar.func)
    end
    if used > limit then stopped[co] = true else co_close(co) end
    error((...), 0)
  end
  return function(...) return results(C.resume(co, ...)) end
end
sethook(on_count, "", PERIOD)

---------------------------------------------------------------------------------------------------
-- C functions whose work is not bounded by what they allocate, guarded, in the spell's copies of
-- the libraries (which method calls on strings reach too). What remains is listed in
-- docunomicon/limits.md.

-- These run on every call of the functions they guard, so their common paths avoid C calls
-- (each costs ~0.1 µs here): the charge is computed with plain arithmetic and skipped below a
-- period.

-- The length C's table.insert/remove/sort will see, and the table to hand them. Their loops run
-- to the length they compute themselves: a table whose __len metamethod decides its length is
-- measured once here and handed over behind a proxy that reports that length, so the C function
-- cannot be shown a different, larger one (a plain table's length is the same both times).
local function measured(t)
  local mt = raw_getmetatable(t)
  if mt == nil or rawget(mt, "__len") == nil then return t, #t end
  local n = tointeger(#t)
  if n == nil then return t, nil end -- not an integer: the C function raises its own error
  return setmetatable({}, { __index = t, __newindex = t, __len = function() return n end }), n
end

-- string.rep("", n) and string.rep("", n, "") build nothing, n times.
spell_string.rep = function(...)
  local s, n, sep = ...
  if s == "" and (sep == nil or sep == "") and n ~= nil and tointeger(n) then return "" end
  return C.rep(...)
end

-- table.concat(t, sep, i, j) loops i..j; its elements may come from an __index metamethod that
-- is a C function. The last index is computed here and handed over, so concat loops over exactly
-- what was charged (it asks __len again, and ignores the answer when j is given).
spell_table.concat = function(t, sep, i, j)
  if j == nil then
    if type(t) ~= "table" then return C.concat(t, sep, i, j) end -- concat's own error
    j = #t
  end
  local work = (j + 0.0) - (i or 1)
  if work >= PERIOD then charge(work + 1) end
  return C.concat(t, sep, i, j)
end

-- table.insert(t, pos, v) moves #t - pos elements; table.insert(t, v) one.
spell_table.insert = function(t, ...)
  local nargs = select("#", ...)
  if nargs == 1 then return C.insert(t, ...) end -- append: O(1)
  if nargs ~= 2 or type(t) ~= "table" then return C.insert(t, ...) end -- insert's own error
  local tt, n = measured(t)
  local pos = tointeger((...))
  if n and pos and pos >= 1 and pos <= n + 1 and n + 1.0 - pos >= PERIOD then charge(n + 1.0 - pos) end
  return C.insert(tt, ...)
end

-- table.remove(t, pos) moves #t - pos elements; table.remove(t) none.
spell_table.remove = function(t, pos)
  if pos == nil or type(t) ~= "table" then return C.remove(t, pos) end
  local tt, n = measured(t)
  local p = tointeger(pos)
  if n and p and p >= 1 and p <= n and n + 0.0 - p >= PERIOD then charge(n + 0.0 - p) end
  return C.remove(tt, pos)
end

spell_table.move = function(a1, f, e, ...)
  local first, last = tointeger(f), tointeger(e)
  if first and last and (last + 0.0) - first >= PERIOD then charge((last + 0.0) - first + 1) end
  return C.move(a1, f, e, ...)
end

-- table.sort(t) compares about n log2 n times.
spell_table.sort = function(t, ...)
  if type(t) ~= "table" then return C.sort(t, ...) end
  local tt, n = measured(t)
  if n and n > 64 and n < 0x7fffffff then charge(n * log2(n)) end
  return C.sort(tt, ...)
end

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
  return C.setmetatable(t, mt)
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
local ones = true -- every cast of the last batch emitted exactly one event
local cur, cur_before = 0, 0 -- the event of the batch being cast, and the outputs before it
local port_ids, port_names, n_ports = { out = 0 }, {}, 0

local function deepcopy(v, depth)
  if type(v) ~= "table" then return v end
  if depth > 200 then error("event nested deeper than 200 levels (a cycle?)", 0) end
  local c = {}
  for k, x in next, v do c[k] = deepcopy(x, depth + 1) end
  return setmetatable(c, raw_getmetatable(v) == array_mt and array_mt or nil)
end

local emit_limit = 100000 -- events one call may emit; set by host.set_budget
local function emit(ev, port)
  if ev == nil then error("emit: the event is nil", 2) end
  if n_out - cur_before >= emit_limit then
    emit_over = true
    error(emit_message, 2)
  end
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
  math = spell_math, string = spell_string, table = spell_table, utf8 = spell_utf8, os = safe_os,
  coroutine = { create = sandbox_co_create, wrap = sandbox_co_wrap, resume = sandbox_resume,
                yield = coroutine.yield, status = coroutine.status, isyieldable = coroutine.isyieldable,
                running = coroutine.running, close = sandbox_close },
  log = log,
  sanctum = { null = null, array = array, is_array = is_array, copy = function(t) return deepcopy(t, 0) end, version = "0.1" },
}
env._G = env

local spell_sources = {} -- chunk names of the spell and its modules: where error lines point
local modules, loaded = {}, {}

-- What one call of a reader function given to load costs: each piece it returns is converted and
-- scanned in C, and a C reader (load(os.clock)) returns pieces with no instruction in between.
local READER_COST = 1000
local function sandbox_load(chunk, name, mode, chunk_env)
  if mode ~= nil and mode ~= "t" then return nil, "spells may load text chunks only (mode 't')" end
  if type(chunk) == "function" then
    -- A reader that is a C function (load(os.clock)) would be called without a Lua instruction in
    -- between: through this Lua function each piece costs instructions.
    local reader = chunk
    chunk = function() charge(READER_COST) return reader() end
  end
  -- load runs the reader protected: like pcall, it must not swallow the budget error.
  return rethrow_if_exhausted(C.load(chunk, name, "t", chunk_env or env))
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
-- Calls from the host. Each returns the results() record on success; a failure is recorded by
-- `handler` (the message handler of every host call) and read with last_error.
-- The spell's hooks, called through fields named as a traceback should show them: the prelude
-- is stripped, so a frame it calls is named by the field ("in field 'spell.cast'").
local spell, hooks = nil, {}
local take_timer -- the timers library's `take`, which only the firing loop uses (host.time)
local err_value, err_source, err_line, err_traceback, err_kind

-- Runs when an error is raised, before the stack unwinds: where it happened, from raw values only
-- (no metamethod of the error value runs). With the budget error it runs with hooks off: it is
-- short and bounded.
local function handler(e)
  err_value = e
  local ar
  if is_overflow(e) then
    ar = getinfo(2, "f")
    note_fault(e, ar and ar.func)
  end
  err_traceback = traceback(type(e) == "string" and e or nil, 2)
  for level = 2, 80 do
    ar = getinfo(level, "Sl")
    if not ar then break end
    if spell_sources[ar.source] then
      err_source, err_line = ar.source, ar.currentline
      break
    end
  end
  return e
end

local function begin()
  used, spare, n_out, named, stack_fault = 0, 0, 0, false, false
  cur_before = 0 -- emits are counted from here (a batch moves it to each event's first output)
  emit_over = false
  if #counts > 4096 then counts = {} end
  err_value, err_source, err_line, err_traceback, err_kind = nil, nil, nil, nil, nil
  if #out_ev > 4096 then out_ev, out_port = {}, {} end
end

-- What every host call returns, in this order, for single and batch calls alike. lua-vm.ts's
-- RESULT names these positions; test/spellcraft/protocol.test.ts checks they agree.
local function results()
  return n_out, out_ev, out_port, n_logs, named, counts, ones, cur, cur_before
end

local checkpoint -- set by the host when the spell's libraries take part in all-or-nothing casts
local fire -- set while cast_batch fires timers: each "event" is a timer key (see host.time)
-- How many calls of this spell failed and had their state and timer writes undone, as of the
-- current call: a cache of state kept in Lua locals is stale when it changes.
local epoch = 0
env.sanctum.epoch = function() return epoch end
-- A library function ran since the last checkpoint: only then is there anything to make final
-- (the host's undo log is empty otherwise), so a spell that writes no state pays no host call.
local touched = false
local function mark()
  if checkpoint and touched then
    touched = false
    checkpoint()
  end
end

local function do_cast(ev)
  mark()
  local before = n_out
  local r
  if fire then r = fire(ev, emit) else r = hooks["spell.cast"](ev, emit) end
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
  return results()
end

-- Casts events[start..count]; counts[i] = outputs of event i. A failure aborts the call: the host
-- asks batch_failure() which event failed and how many outputs came before it, keeps those, and
-- calls again from the next event. A cast is all-or-nothing. Once the call has emitted `max_out`
-- events it stops after the event it is on: `cur` then says how far it got (the host casts the
-- rest later), so what one call holds stays bounded whatever the spell's fan-out.
function host.cast_batch(events, count, start, max_out)
  cur, cur_before = start, 0 -- a failure before the first cast (out of memory) is blamed on it
  begin()
  ones = true
  for i = start, count do
    used, spare, cur, cur_before = 0, 0, i, n_out
    do_cast(events[i])
    local c = n_out - cur_before
    counts[i] = c
    if c ~= 1 then ones = false end
    if n_out >= max_out then break end
  end
  return results()
end

function host.batch_failure()
  return results()
end

function host.init(runes)
  begin()
  mark()
  if hooks["spell.init"] then hooks["spell.init"](runes) end
  return results()
end

function host.finish()
  begin()
  mark()
  if hooks["spell.finish"] then hooks["spell.finish"](emit) end
  return results()
end

local function is_memory_message(v)
  if type(v) ~= "string" then return false end
  local _, e = find(v, "^[^\n]-:%d+: ")
  return (e and sub(v, e + 1) or v) == "not enough memory"
end

-- The failure of the last call, as plain values (lua-vm.ts REPORT names the positions). Built
-- from raw values and our own copies of library functions: no code of the spell runs here (no
-- __tostring, __index or replaced string function), and the host keeps a small cap meanwhile.
-- 'memory' means the message says so: the host believes it only if the allocator refused.
function host.last_error()
  local v = err_value
  local message, data
  local t = type(v)
  if t == "string" then message = v
  elseif t == "nil" then message = nil -- nothing recorded (a memory error runs no handler)
  elseif t == "number" or t == "boolean" then message = tostring(v)
  elseif t == "table" then
    local m = rawget(v, "message")
    local mt = type(m)
    message = (mt == "string" or mt == "number") and tostring(m) or "error object (see data)"
    data = v
  else message = "error object of type " .. t end
  local kind = err_kind
  if kind == nil then
    if used > limit then kind = "budget"
    elseif emit_over then kind = "emit_limit"
    elseif is_memory_message(v) then kind = "memory"
    elseif stack_fault and is_overflow(v) then kind = "stack"
    else kind = "runtime" end
  end
  return message, data, kind, err_source, err_line, err_traceback
end

function host.drain_logs()
  local out = logs
  logs, n_logs = {}, 0
  return out
end

function host.port_name(id) return port_names[id] end

function host.set_budget(instructions, emits)
  limit = instructions // PERIOD
  if limit < 1 then limit = 1 end
  budget_message = format("instruction budget exceeded (%d instructions)", instructions)
  emit_limit = emits
  emit_message = format("emitted more than %d events in one call (raise the spell's budget.emits, or emit fewer)", emits)
end

-- A full collection: the host asks for one when a state holds more than its cap between calls.
function host.collect()
  full_gc()
end

-- Wraps a host function (which returns ok, value[, pending]) as a Lua function that raises on
-- failure. `pending`: the result did not fit under the cap; after a collection, `fetch` hands it
-- over (or fails with "not enough memory").
local function host_function(cf, fetch)
  return function(...)
    touched = true
    local ok, v, pending = cf(...)
    if pending then
      full_gc()
      ok, v = fetch()
    end
    if not ok then error(v, 2) end
    return v
  end
end

-- Loads the spell's source into the sandbox. Returns nil on success, or (kind, message).
function host.load(source, chunkname, module_list, libraries, checkpoint_fn, fetch_fn)
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
    for fname, cf in next, fns do lib[fname] = host_function(cf, fetch_fn) end
    env[name] = lib
  end
  local timers = rawget(env, "timers")
  if timers then
    -- `take` is the firing loop's (host.time), not the spell's; `set` needs a hook to call.
    take_timer, timers.take = timers.take, nil
    local set = timers.set
    timers.set = function(key, at)
      if not hooks["spell.timer"] then
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
  spell = result
  hooks["spell.cast"], hooks["spell.init"], hooks["spell.finish"] = result.cast, result.init, result.finish
  hooks["spell.tick"], hooks["spell.timer"] = result.tick, result.timer
  return nil
end

-- Time: ticks and timers. host.time("tick", now) calls spell.tick(now, emit) like finish;
-- host.time("fire", now) makes cast_batch fire timers (each "event" a key: spell.timer(key, now,
-- emit) if the timer is still due, taken first so that a failing timer fires once) until
-- host.time("fire", nil); host.time("hooks") says which time hooks the spell has (1 tick, 2 timer).
function host.time(op, a)
  if op == "tick" then
    begin()
    mark()
    if hooks["spell.tick"] then hooks["spell.tick"](a, emit) end
    return results()
  elseif op == "fire" then
    if a == nil then
      fire = nil
    else
      local now = a
      fire = function(key, emit_)
        if take_timer and take_timer(key, now) then return hooks["spell.timer"](key, now, emit_) end
      end
    end
    return 0
  elseif op == "hooks" then
    return (hooks["spell.tick"] and 1 or 0) + (hooks["spell.timer"] and 2 or 0)
  end
end

for _, f in ipairs({ host.last_error, host.drain_logs, host.port_name, host.batch_failure, host.collect,
                    results, is_overflow, is_memory_message, note_fault, full_gc, pcall_handler }) do
  quiet[f] = true
end

-- The entry points, in the order the host asked for them (lua-vm.ts SLOT).
local entries = {
  cast = host.cast, cast_batch = host.cast_batch, init = host.init, finish = host.finish,
  last_error = host.last_error, drain_logs = host.drain_logs, port_name = host.port_name,
  set_budget = host.set_budget, load = host.load, array_mt = array_mt, handler = handler,
  batch_failure = host.batch_failure, collect = host.collect, time = host.time,
}
local slots = {}
for i, name in ipairs(slot_names) do
  slots[i] = entries[name]
  if slots[i] == nil then error("the host asked for an unknown entry point '" .. tostring(name) .. "'", 0) end
end
return unpack(slots, 1, #slot_names)
