-- route-refunds.lua: refunds go to the `refunds` port, other payments to `out`;
-- large amounts also go to the `review` port.
local spell = {}
local review_from

function spell.init(runes)
  review_from = runes.review_from or 100000
end

function spell.cast(payment, emit)
  if payment.amount_cents < 0 then
    emit(payment, "refunds")
  else
    emit(payment)
  end
  if math.abs(payment.amount_cents) >= review_from then
    emit(payment, "review") -- the same event, on a second port
  end
end

return spell
