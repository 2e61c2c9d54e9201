-- Signed-in mix for wrk: 64 users (a token each, picked at random per request); 80 % API reads (daily papers, a
-- paper), 10 % listing pages (a signed-in browser session), 10 % votes (upvote or remove, at random).
-- Reads WRK_IDS, WRK_TOKENS, WRK_DAY and WRK_SESSION.
local ids, tokens = {}, {}
for line in io.lines(os.getenv("WRK_IDS")) do ids[#ids + 1] = line end
for line in io.lines(os.getenv("WRK_TOKENS")) do tokens[#tokens + 1] = line end
local day = os.getenv("WRK_DAY")
local session = os.getenv("WRK_SESSION")

function init(args)
    math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

function request()
    local headers = { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] }
    local r = math.random(100)
    local id = ids[math.random(#ids)]
    if r <= 40 then
        return wrk.format("GET", "/api/daily_papers?limit=20&date=" .. day, headers)
    elseif r <= 80 then
        return wrk.format("GET", "/api/papers/" .. id, headers)
    elseif r <= 90 then
        return wrk.format("GET", "/papers?date=" .. day, { ["Cookie"] = "pb_session=" .. session })
    else
        local method = (math.random(2) == 1) and "POST" or "DELETE"
        return wrk.format(method, "/api/papers/" .. id .. "/upvote", headers)
    end
end
