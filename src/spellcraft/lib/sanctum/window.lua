-- sanctum.window: windows over event time — tumbling, hopping and session windows, per key — with a
-- watermark (the latest event time seen minus the allowed lateness). Bundled with Sanctum:
--
--   local window = require "sanctum.window"
--   local w = window.new(runes.window, { init = ..., add = ..., merge = ..., result = ... })
--   function spell.cast(e, emit)       if not w:add(e) then emit(e, "late") end end
--   function spell.timer(k, now, emit) w:timer(k, now, emit) end
--   function spell.tick(now, emit)     w:tick(now, emit) end
--   function spell.finish(emit)        w:flush(emit) end
--
-- Everything lives in the spell's `state` (it survives restarts and commits with each batch), under
-- keys that start with `prefix` ("win:" unless the settings say otherwise):
--   <prefix>mark              { max = latest event time, wm = watermark, seen = when, next = earliest open end, armed }
--   <prefix>e<end>:<key>      the window's aggregate (sessions: { s = start, a = aggregate }); the end
--                             in 12 hex digits, so windows sort by their end
--   <prefix>s<key>:<start>    { s = start, e = end }   (session windows: a key's open sessions)
-- A key has one window per end (sessions that would share one have merged); a fixed window's start
-- is its end minus its size. Keys stay short and values small: an event costs one small write.
-- Windows are stored in the order of their end, so the windows the watermark has passed are one
-- range read. They are closed by a timer (<prefix>close): set for now once the watermark passes
-- the earliest open end (event time), or for that end (processing time, when there is no `time`).
--
-- What it reads from `state` it keeps in Lua too, while sanctum.epoch() stays the same (no call of
-- the spell had its writes undone), so an event costs one state.put; and the fixed windows made in
-- that time are closed from Lua's copy, with no range read. The mark is written only when
-- what it decides changes: for tumbling and hopping windows that is the last window end the
-- watermark has passed, not every new maximum (a restart then decides exactly as before).
local duration = require "sanctum.duration"

local window = {}
local Window = {}
Window.__index = Window

-- The sandbox's functions this module calls on every event, looked up once.
local now, epoch, null, put = sanctum.now, sanctum.epoch, sanctum.null, state and state.put
local type, tostring, sub, tonumber = type, tostring, string.sub, tonumber

local KINDS = { tumbling = true, hopping = true, session = true }
--- How many windows one timer call closes: the rest in the next call, right after.
local CLOSE_LIMIT = 1000
--- Past every end (12 hex digits of ms: the year 10889): flush closes everything.
local FOREVER = 0xffffffffffff

local function hex(n) return string.format("%012x", n) end
local function escape(k) return (k:gsub("[%%:]", { ["%"] = "%25", [":"] = "%3A" })) end

--- A window's result by default: its key, bounds and aggregate.
local function default_result(acc, win)
  return { key = win.key, start = win.start, ["end"] = win["end"], value = acc }
end

--- Windows per key, from the settings (the spell's `window` rune: kind, size, slide, gap, time,
--- key, lateness, idle; durations in ms or as "30s") and the aggregate's functions:
---   init(key, event) → the aggregate of a new window (default 0)
---   add(aggregate, event) → the aggregate with the event in (default: a count)
---   merge(a, b) → two session windows' aggregates as one (sessions only; default: a + b for counts)
---   result(aggregate, { key, start, end }) → the event a closed window emits
function window.new(settings, agg)
  if type(settings) ~= "table" then
    error("window.new: give the window settings (the spell's `window` rune: runes.window), got " .. type(settings), 2)
  end
  local kind = settings.kind
  if not KINDS[kind] then
    error(string.format("window.new: kind must be tumbling, hopping or session, got %s", tostring(kind)), 2)
  end
  agg = agg or {}
  local w = setmetatable({ kind = kind }, Window)
  if kind ~= "session" then
    if settings.size == nil then error("window.new: a " .. kind .. " window needs a size (such as \"1m\")", 2) end
    w.size = duration(settings.size, "window size")
    if w.size < 1 then error("window.new: the size must be at least 1 ms", 2) end
    w.slide = kind == "hopping" and duration(settings.slide or error("window.new: a hopping window needs a slide", 2), "window slide") or w.size
    if w.slide < 1 or w.slide > w.size then error("window.new: the slide must be between 1 ms and the size", 2) end
  else
    if settings.gap == nil then error("window.new: a session window needs a gap (such as \"30m\")", 2) end
    w.gap = duration(settings.gap, "window gap")
    if w.gap < 1 then error("window.new: the gap must be at least 1 ms", 2) end
  end
  w.time_field = settings.time
  w.key_field = settings.key
  w.lateness = duration(settings.lateness or 0, "window lateness")
  w.idle = settings.idle ~= nil and duration(settings.idle, "window idle") or nil
  w.prefix = settings.prefix or "win:"
  w.init = agg.init or function() return 0 end
  w.add_to = agg.add or function(n) return n + 1 end
  w.merge = agg.merge or (agg.add == nil and function(a, b) return a + b end) or nil
  w.result = agg.result or default_result
  w.mark_key = w.prefix .. "mark"
  w.timer_key = w.prefix .. "close"
  w.windows_from = w.prefix .. "e"
  w.windows_to = w.prefix .. "f" -- every window key sorts below it
  return w
end

--- An event's time (the error that says why it has none, when it has none).
function Window:event_time(e)
  if not self.time_field then return sanctum.now() end
  local t = e[self.time_field]
  if type(t) ~= "number" then
    error(string.format("window: the event's field '%s' must be its time in ms, got %s", self.time_field, t == nil and "nil" or type(t)), 3)
  end
  if t < 0 then error(string.format("window: the event's time %s is before 1970 (negative)", tostring(t)), 3) end
  return math.floor(t)
end

function Window:window_key(key, e)
  return self.windows_from .. hex(e) .. ":" .. key
end

--- A window's end and key, from its state key.
function Window:parse_key(sk)
  local from = #self.windows_from
  return tonumber(sk:sub(from + 1, from + 12), 16), sk:sub(from + 14)
end

function Window:session_key(key, s)
  return self.prefix .. "s" .. escape(key) .. ":" .. hex(s)
end

--- The mark and the cache of records, (re)read when the epoch changed: a write was undone.
function Window:mark()
  local current = epoch()
  if self.epoch ~= current then
    self.epoch = current
    self.m = state.get(self.mark_key) or {}
    self.cache = {}   -- key → { [start] = { sk = state key, s = start, e = end, a = aggregate } }
    self.loaded = {}  -- session windows: keys whose open sessions are all in the cache
    -- A window ending after every stored one cannot be in state unless it is in the cache: no read.
    local last = state.range(self.windows_from, self.windows_to, { reverse = true, limit = 1 })[1]
    self.stored_end = last and (self:parse_key(last.key)) or -1
    -- Fixed windows ending after stored_end: made in this epoch, all in the cache (and in state).
    -- Their keys by end, so that closing them needs no read of state (Window:close_cached).
    self.made = {}       -- end → the keys of the windows with that end, as they were made
    self.closing = nil   -- the end being closed: { e = end, keys = its keys in order, i = the next }
  end
  return self.m
end

--- What the mark decides with, for the watermark: the last window end it has passed (fixed windows;
--- sessions end anywhere, so there it is the watermark itself).
function Window:coarse(wm)
  if wm == nil or self.kind == "session" then return wm end
  return wm - ((wm - self.size) % self.slide)
end

--- The watermark: event time, what the mark says; processing time, now minus the lateness.
function Window:watermark(m, now)
  if not self.time_field then return (now or sanctum.now()) - self.lateness end
  m = m or self:mark()
  return m.wm
end

--- The cache entry of a window, read from state when the cache has none; nil when there is none.
function Window:entry(key, s, ends)
  local per = self.cache[key]
  if per == nil then
    per = {}
    self.cache[key] = per
  end
  local entry = per[s]
  if entry == nil then
    local sk = self:window_key(key, ends)
    if ends > self.stored_end then return nil, per, sk end
    local a = state.get(sk)
    if a == nil then return nil, per, sk end
    entry = { sk = sk, s = s, e = ends, a = a }
    per[s] = entry
  end
  return entry, per
end

--- Adds an event to its window(s). Returns false when it is late: every window it belongs to has
--- closed (the spell decides what to do with it: `emit(e, "late")`). The path of every event: kept
--- lean — fixed windows are added here, not in a method of their own, and the watermark's coarse
--- value is computed inline (a Lua call costs more than the arithmetic it would run).
function Window:add(e)
  local t
  local time_field = self.time_field
  if time_field then
    t = e[time_field]
    if type(t) ~= "number" or t < 0 then self:event_time(e) end -- raises the error that says why
    t = t // 1
  else
    t = now()
  end
  local key = ""
  local key_field = self.key_field
  if key_field then
    local k = e[key_field]
    if k ~= nil and k ~= null then key = type(k) == "string" and k or tostring(k) end
  end
  if self.epoch ~= epoch() then self:mark() end
  local m = self.m
  local wm
  if time_field then wm = m.wm else wm = t - self.lateness end
  local next, armed = m.next, m.armed
  local added = false
  local size, slide
  if self.kind == "session" then
    added = self:add_session(e, t, key, m, wm)
  else
    size, slide = self.size, self.slide
    local per = self.cache[key]
    local s = t - t % slide
    while s > t - size do
      local ends = s + size
      if wm == nil or ends > wm then
        local entry = per and per[s]
        if entry == nil then
          local sk
          entry, per, sk = self:entry(key, s, ends)
          if entry == nil then
            entry = { sk = sk, s = s, e = ends, a = self.init(key, e) }
            local first = m.next
            if first == nil or ends < first then m.next = ends end
            if ends > self.stored_end then
              local made = self.made
              local keys = made[ends]
              if keys == nil then
                made[ends] = { key }
              else
                keys[#keys + 1] = key
              end
            end
          end
          per[s] = entry
        end
        local a = self.add_to(entry.a, e)
        if a == nil then error("window: the aggregate's add returned nil; return the aggregate", 2) end
        entry.a = a
        put(entry.sk, a)
        added = true
      end
      s = s - slide
    end
  end
  local save = next ~= m.next
  if time_field then
    local max = m.max
    if max == nil or t > max then
      max = t
      m.max = t
    end
    if self.idle then
      m.seen = now()
      save = true
    end
    local now_wm = max - self.lateness
    if wm == nil or now_wm > wm then
      m.wm = now_wm
      -- What the mark decides with changed only when the watermark passed a window's end (Window:coarse).
      if wm == nil or size == nil or wm - ((wm - size) % slide) ~= now_wm - ((now_wm - size) % slide) then save = true end
      -- The watermark passed a window's end: close it (once armed, the timer fires after this batch).
      if m.next ~= nil and now_wm >= m.next and not armed then
        m.armed = true
        save = true
        timers.set(self.timer_key, now())
      end
    end
  elseif next ~= m.next then
    timers.set(self.timer_key, m.next + self.lateness)
  end
  if save then state.put(self.mark_key, m) end
  return added
end

function Window:add_session(e, t, key, m, wm)
  local lo, hi = t, t + self.gap
  if wm ~= nil and hi <= wm then return false end
  local per = self.cache[key]
  if not self.loaded[key] then
    per = {}
    for _, row in ipairs(state.prefix(self.prefix .. "s" .. escape(key) .. ":")) do
      local s, ends = row.value.s, row.value.e
      local sk = self:window_key(key, ends)
      per[s] = { sk = sk, s = s, e = ends, a = state.get(sk).a }
    end
    self.cache[key] = per
    self.loaded[key] = true
  end
  local acc
  for s, entry in pairs(per) do
    local ends = entry.e
    if t < ends and hi > s then -- within a gap of this session: they become one
      state.delete(entry.sk)
      state.delete(self:session_key(key, s))
      per[s] = nil
      if acc == nil then acc = entry.a
      elseif self.merge then acc = self.merge(acc, entry.a)
      else error("window: two sessions of key '" .. key .. "' became one; give the aggregate a merge(a, b) function", 3) end
      if s < lo then lo = s end
      if ends > hi then hi = ends end
    end
  end
  if acc == nil then acc = self.init(key, e) end
  acc = self.add_to(acc, e)
  local entry = { sk = self:window_key(key, hi), s = lo, e = hi, a = acc }
  per[lo] = entry
  state.put(entry.sk, { s = lo, a = acc })
  state.put(self:session_key(key, lo), { s = lo, e = hi })
  if m.next == nil or hi < m.next then m.next = hi end
  return true
end

--- Emits and forgets the windows whose end is at or before `upto`, at most `limit` of them, in
--- the order of their state keys (end, then key). Returns true when more may be left.
--- Fixed windows that ended after `stored_end` (made in this epoch) are taken from the cache
--- (close_cached): the ones before may be in state alone, and are read from it.
function Window:close(m, upto, emit, limit)
  if upto < 0 then return false end
  local from = self.windows_from
  local session = self.kind == "session"
  local stored_upto = upto
  if not session and self.stored_end < upto then stored_upto = self.stored_end end
  local n, last = 0, from
  if stored_upto >= 0 then
    local rows = state.range(from, from .. hex(math.floor(stored_upto) + 1), limit and { limit = limit } or nil)
    local cache = self.cache
    local size, result, delete = self.size, self.result, state.delete
    -- A window's key is <from><end: 12 hex digits>:<key> (parse_key); rows come in order of their
    -- end, so most share the previous row's end, and its digits need no reading again.
    local at, hex_end, ends = #from, nil, nil
    for i = 1, #rows do
      local row = rows[i]
      local sk = row.key
      last = sk
      local h = sub(sk, at + 1, at + 12)
      if h ~= hex_end then hex_end, ends = h, tonumber(h, 16) end
      local key = sub(sk, at + 14)
      local s, a
      if session then s, a = row.value.s, row.value.a else s, a = ends - size, row.value end
      local per = cache[key]
      if per then per[s] = nil end
      emit(result(a, { key = key, start = s, ["end"] = ends }))
      delete(sk)
      if session then delete(self:session_key(key, s)) end
    end
    n = #rows
  end
  if stored_upto < upto and (limit == nil or n < limit) then
    local sk
    n, sk = self:close_cached(upto, emit, limit, n)
    if sk then last = sk end
  end
  -- The earliest window left: after the last one closed (so the closed ones, deleted, need no skipping).
  local first = state.range(last .. "\0", self.windows_to, { limit = 1 })[1]
  m.next = first and (self:parse_key(first.key)) or nil
  return limit ~= nil and n == limit
end

--- Closes fixed windows made in this epoch (ending after stored_end) whose end is at or before
--- `upto`, from the cache, until `n` reaches `limit`: an end's keys sorted as state sorts them (by
--- bytes, as Lua's < compares strings), so they come out as a read of state would give them.
--- Returns the new `n` and the state key of the last window closed.
function Window:close_cached(upto, emit, limit, n)
  local cache, made, size, result, delete = self.cache, self.made, self.size, self.result, state.delete
  local last
  while limit == nil or n < limit do
    local c = self.closing
    if c == nil then
      local e
      for ends in pairs(made) do
        if ends <= upto and (e == nil or ends < e) then e = ends end
      end
      if e == nil then break end
      local keys = made[e]
      made[e] = nil
      table.sort(keys)
      c = { e = e, keys = keys, i = 1 }
      self.closing = c
    end
    local e, keys, i = c.e, c.keys, c.i
    local s = e - size
    local count = #keys
    while i <= count and (limit == nil or n < limit) do
      local key = keys[i]
      i = i + 1
      local per = cache[key]
      local entry = per[s]
      per[s] = nil
      emit(result(entry.a, { key = key, start = s, ["end"] = e }))
      last = entry.sk
      delete(last)
      n = n + 1
    end
    c.i = i
    if i > count then self.closing = nil end
  end
  return n, last
end

--- The spell's timer hook: closes the windows the watermark has passed. Returns false when the
--- timer is not the window's (the spell's own timers).
function Window:timer(key, now, emit)
  if key ~= self.timer_key then return false end
  local m = self:mark()
  local wm = self:watermark(m, now)
  if wm == nil then return true end
  local more = self:close(m, wm, emit, CLOSE_LIMIT)
  m.armed = nil
  if more or (self.time_field and m.next ~= nil and m.next <= wm) then
    m.armed = true
    timers.set(self.timer_key, now) -- more to close: at once, in the next call
  elseif not self.time_field and m.next ~= nil then
    timers.set(self.timer_key, m.next + self.lateness)
  end
  state.put(self.mark_key, m)
  return true
end

--- The spell's tick hook: an idle input moves the watermark on as processing time passes (with
--- `idle`), so a quiet key's windows close; processing-time windows close as time passes.
function Window:tick(now, emit)
  if not self.time_field then return self:timer(self.timer_key, now, emit) end
  if not self.idle then return end
  local m = self:mark()
  if m.seen == nil or now - m.seen < self.idle then return end
  local wm = m.max + (now - m.seen) - self.lateness
  if m.wm ~= nil and wm <= m.wm then return end
  m.wm = wm
  if m.next ~= nil and wm >= m.next and not m.armed then
    m.armed = true
    timers.set(self.timer_key, now)
  end
  state.put(self.mark_key, m)
end

--- Closes every window, whatever the watermark (the input ended: call it from finish).
function Window:flush(emit)
  local m = self:mark()
  self:close(m, FOREVER, emit, nil)
  m.armed = nil
  state.put(self.mark_key, m)
  timers.cancel(self.timer_key)
end

return window
