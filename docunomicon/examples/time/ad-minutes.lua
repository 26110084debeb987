-- ad-minutes.lua: clicks and cost per ad and minute of event time (the `window` rune: tumbling,
-- keyed by `ad`, the time in `ts`). A minute is emitted once the watermark has passed its end;
-- clicks too late for their minute go to the port `late`.
local window = require "sanctum.window"

local spell = {}
local minutes

function spell.init(runes)
  minutes = window.new(runes.window, {
    init = function() return { clicks = 0, cost = 0 } end,
    add = function(total, click)
      total.clicks = total.clicks + 1
      total.cost = total.cost + click.cost
      return total
    end,
    result = function(total, w)
      return { ad = w.key, minute = w.start, clicks = total.clicks, cost = total.cost }
    end,
  })
end

function spell.cast(click, emit)
  if not minutes:add(click) then emit(click, "late") end
end

function spell.timer(key, now, emit)
  minutes:timer(key, now, emit)
end

function spell.tick(now, emit)
  minutes:tick(now, emit)
end

function spell.finish(emit)
  minutes:flush(emit)
end

return spell
