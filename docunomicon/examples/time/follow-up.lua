-- follow-up.lua: reminds about an order not paid in time. { order = id } sets a timer `after` (a
-- rune, default 30 minutes) from now; { paid = id } cancels it; a timer that comes due emits
-- { remind = id, due = now }. The timers are durable: in a runeset over durable streams, a
-- reminder comes exactly once, even across a crash.
local duration = require "sanctum.duration"

local spell = {}
local after

function spell.init(runes)
  after = duration(runes.after or "30m")
end

function spell.cast(event)
  if event.paid then
    timers.cancel(event.paid)
  else
    timers.set(event.order, sanctum.now() + after)
  end
end

function spell.timer(order, now, emit)
  emit({ remind = order, due = now })
end

return spell
