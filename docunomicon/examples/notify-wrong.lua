-- notify-wrong.lua: notify.lua without sanctum.copy, a deliberate mistake.
local spell = {}
local channels

function spell.init(runes)
  channels = runes.channels or { "email" }
end

function spell.cast(order, emit)
  local note = { order = order.id, text = "Order " .. order.id .. " has shipped" }
  for _, channel in ipairs(channels) do
    note.channel = channel
    emit(note) -- the same table each time: it is read when cast returns
  end
end

return spell
