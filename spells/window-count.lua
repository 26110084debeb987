-- window-count: counts events per key in tumbling windows of event time (the `window` rune: size,
-- time, key, lateness, idle), and emits one { key, start, end, count } per window when the
-- watermark passes its end. Events too late for their window go to the port `late`. When the
-- input ends, the open windows are emitted too (the rune `flush: false` keeps them for the next run).
local window = require "sanctum.window"

local spell = {}
local w, flush

function spell.init(runes)
  w = window.new(runes.window or { kind = "tumbling", size = "1m" }, {
    init = function() return 0 end,
    add = function(n) return n + 1 end,
    result = function(n, win) return { key = win.key, start = win.start, ["end"] = win["end"], count = n } end,
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
