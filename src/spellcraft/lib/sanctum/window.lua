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
-- keys that start with `prefix` ("window/" unless the settings say otherwise):
--   <prefix>mark                       { max = latest event time, wm = watermark, seen = when, next = earliest open end }
--   <prefix>w/<end>/<key>/<start>      { k = key, s = start, e = end, a = aggregate }   (ends and starts in 16 digits)
--   <prefix>s/<key>/<start>            { s = start, e = end }   (session windows: a key's open sessions)
-- Windows are stored in the order of their end, so the windows the watermark has passed are one
-- range read. They are closed by a timer (<prefix>close): set for now once the watermark passes
-- the earliest open end (event time), or for that end (processing time, when there is no `time`).
local duration = require "sanctum.duration"

local window = {}
local Window = {}
Window.__index = Window

local KINDS = { tumbling = true, hopping = true, session = true }
--- How many windows one timer call closes: the rest in the next call, right after.
local CLOSE_LIMIT = 1000
--- Past every end: flush closes everything.
local FOREVER = 9999999999999999

local function pad(n) return string.format("%016d", n) end
local function escape(k) return (k:gsub("[%%/]", { ["%"] = "%25", ["/"] = "%2F" })) end

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
  w.prefix = settings.prefix or "window/"
  w.init = agg.init or function() return 0 end
  w.add_to = agg.add or function(n) return n + 1 end
  w.merge = agg.merge or (agg.add == nil and function(a, b) return a + b end) or nil
  w.result = agg.result or default_result
  w.mark_key = w.prefix .. "mark"
  w.timer_key = w.prefix .. "close"
  w.windows_from = w.prefix .. "w/"
  w.windows_to = w.prefix .. "w0" -- "0" follows "/": every key under w/ sorts below it
  return w
end

function Window:event_time(e)
  if not self.time_field then return sanctum.now() end
  local t = e[self.time_field]
  if type(t) ~= "number" then
    error(string.format("window: the event's field '%s' must be its time in ms, got %s", self.time_field, t == nil and "nil" or type(t)), 3)
  end
  if t < 0 then error(string.format("window: the event's time %s is before 1970 (negative)", tostring(t)), 3) end
  return math.floor(t)
end

function Window:key_of(e)
  if not self.key_field then return "" end
  local k = e[self.key_field]
  if k == nil or k == sanctum.null then return "" end
  return tostring(k)
end

function Window:window_key(key, s, e)
  return self.windows_from .. pad(e) .. "/" .. escape(key) .. "/" .. pad(s)
end

--- The watermark: event time, what the mark says; processing time, now minus the lateness.
function Window:watermark(m, now)
  if not self.time_field then return (now or sanctum.now()) - self.lateness end
  m = m or state.get(self.mark_key)
  return m and m.wm
end

--- Adds an event to its window(s). Returns false when it is late: every window it belongs to has
--- closed (the spell decides what to do with it: `emit(e, "late")`).
function Window:add(e)
  local t = self:event_time(e)
  local key = self:key_of(e)
  local m = state.get(self.mark_key) or {}
  local wm = self:watermark(m)
  local before = m.next
  local added
  if self.kind == "session" then added = self:add_session(e, t, key, m, wm) else added = self:add_fixed(e, t, key, m, wm) end
  if self.time_field then
    if m.max == nil or t > m.max then m.max = t end
    if self.idle then m.seen = sanctum.now() end
    local now_wm = m.max - self.lateness
    if m.wm == nil or now_wm > m.wm then m.wm = now_wm end
  end
  if self.time_field then
    -- The watermark passed a window's end: close it (once armed, the timer fires after this batch).
    if m.next ~= nil and m.wm >= m.next and not m.armed then
      m.armed = true
      timers.set(self.timer_key, sanctum.now())
    end
  elseif m.next ~= before then
    timers.set(self.timer_key, m.next + self.lateness)
  end
  state.put(self.mark_key, m)
  return added
end

function Window:add_fixed(e, t, key, m, wm)
  local added = false
  local s = t - t % self.slide
  while s > t - self.size do
    local ends = s + self.size
    if wm == nil or ends > wm then
      local wk = self:window_key(key, s, ends)
      local rec = state.get(wk)
      if rec == nil then
        rec = { k = key, s = s, e = ends, a = self.init(key, e) }
        if m.next == nil or ends < m.next then m.next = ends end
      end
      rec.a = self.add_to(rec.a, e)
      state.put(wk, rec)
      added = true
    end
    s = s - self.slide
  end
  return added
end

function Window:add_session(e, t, key, m, wm)
  local lo, hi = t, t + self.gap
  if wm ~= nil and hi <= wm then return false end
  local index = self.prefix .. "s/" .. escape(key) .. "/"
  local acc
  for _, row in ipairs(state.prefix(index)) do
    local s, ends = row.value.s, row.value.e
    if t < ends and hi > s then -- within a gap of this session: they become one
      local wk = self:window_key(key, s, ends)
      local rec = state.get(wk)
      state.delete(wk)
      state.delete(row.key)
      if acc == nil then acc = rec.a
      elseif self.merge then acc = self.merge(acc, rec.a)
      else error("window: two sessions of key '" .. key .. "' became one; give the aggregate a merge(a, b) function", 3) end
      if s < lo then lo = s end
      if ends > hi then hi = ends end
    end
  end
  if acc == nil then acc = self.init(key, e) end
  acc = self.add_to(acc, e)
  state.put(self:window_key(key, lo, hi), { k = key, s = lo, e = hi, a = acc })
  state.put(index .. pad(lo), { s = lo, e = hi })
  if m.next == nil or hi < m.next then m.next = hi end
  return true
end

--- Emits and forgets the windows whose end is at or before `upto`, at most `limit` of them.
--- Returns true when more may be left.
function Window:close(m, upto, emit, limit)
  local rows = state.range(self.windows_from, self.windows_from .. pad(math.floor(upto) + 1), limit and { limit = limit } or nil)
  for _, row in ipairs(rows) do
    local r = row.value
    emit(self.result(r.a, { key = r.k, start = r.s, ["end"] = r.e }))
    state.delete(row.key)
    if self.kind == "session" then state.delete(self.prefix .. "s/" .. escape(r.k) .. "/" .. pad(r.s)) end
  end
  local first = state.range(self.windows_from, self.windows_to, { limit = 1 })[1]
  m.next = first and first.value.e or nil
  return limit ~= nil and #rows == limit
end

--- The spell's timer hook: closes the windows the watermark has passed. Returns false when the
--- timer is not the window's (the spell's own timers).
function Window:timer(key, now, emit)
  if key ~= self.timer_key then return false end
  local m = state.get(self.mark_key) or {}
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
  local m = state.get(self.mark_key)
  if m == nil or m.seen == nil or now - m.seen < self.idle then return end
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
  local m = state.get(self.mark_key) or {}
  self:close(m, FOREVER, emit, nil)
  m.armed = nil
  state.put(self.mark_key, m)
  timers.cancel(self.timer_key)
end

return window
