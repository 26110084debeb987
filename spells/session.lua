-- session: gap-based sessions per key (the `window` rune: kind session, gap, key, and time for
-- event time — without it, sessions run on processing time). A session is a key's events no more
-- than `gap` apart; it closes, on a timer, once the watermark passes its last event plus the gap,
-- and emits { key, start, end, events } (end is the last event's time plus the gap). Events too
-- late for their session go to the port `late`; when the input ends, open sessions are emitted
-- (the rune `flush: false` keeps them for the next run).
local window = require "sanctum.window"

local spell = {}
local w, flush

function spell.init(runes)
  w = window.new(runes.window or { kind = "session", gap = "30m" }, {
    init = function() return 0 end,
    add = function(n) return n + 1 end,
    merge = function(a, b) return a + b end,
    result = function(n, s) return { key = s.key, start = s.start, ["end"] = s["end"], events = n } end,
  })
  flush = runes.flush ~= false
end

function spell.cast(event, emit)
  if not w:add(event) then emit(event, "late") end
end

function spell.timer(key, now, emit)
  w:timer(key, now, emit)
end

function spell.tick(now, emit)
  w:tick(now, emit)
end

function spell.finish(emit)
  if flush then w:flush(emit) end
end

return spell
