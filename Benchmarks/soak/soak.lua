-- wrk script for Benchmarks/soak/run.sh: cycles a mixed set of requests built at start from the files in
-- SOAK_DIR (ids.txt: paper ids, days.txt: days with papers), and counts answers by status.
-- Each thread starts at a different point of the same list.

local dir = os.getenv("SOAK_DIR") or "."

local function lines(name)
    local out = {}
    for line in io.lines(dir .. "/" .. name) do
        if line ~= "" then out[#out + 1] = line end
    end
    return out
end

local words = { "quantum", "graph neural", "diffusion", "reinforcement learning", "transformer attention",
    "dark matter", "spin chain", "optimization convex", "language models", "lattice", "protein folding",
    "author:Zhang", "cat:cs.LG", "\"neural network\"", "robot*", "-model galaxy", "after:2026-01-01 learning" }

local function encode(s)
    return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local paths = {}

local function build()
    local ids = lines("ids.txt")
    local days = lines("days.txt")
    local n = math.max(#ids, #days) * 2
    for i = 1, n do
        local id = ids[(i - 1) % #ids + 1]
        local day = days[(i - 1) % #days + 1]
        local y, m, d = day:match("(%d+)-(%d+)-(%d+)")
        local t = os.time { year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 }
        local week = os.date("!%G-W%V", t)
        local word = encode(words[(i - 1) % #words + 1])
        local kind = (i - 1) % 12
        if kind == 0 then paths[#paths + 1] = "/papers?date=" .. day
        elseif kind == 1 then paths[#paths + 1] = "/papers?week=" .. week
        elseif kind == 2 then paths[#paths + 1] = "/papers?month=" .. y .. "-" .. m
        elseif kind == 3 then paths[#paths + 1] = "/papers/" .. id
        elseif kind == 4 then paths[#paths + 1] = "/api/daily_papers?date=" .. day
        elseif kind == 5 then paths[#paths + 1] = "/api/papers/" .. id
        elseif kind == 6 then paths[#paths + 1] = "/search?mode=keyword&q=" .. word
        elseif kind == 7 then paths[#paths + 1] = "/api/papers/search?mode=keyword&limit=20&q=" .. word
        elseif kind == 8 then paths[#paths + 1] = "/api/daily_papers?week=" .. week .. "&p=" .. (i % 3)
        elseif kind == 9 then paths[#paths + 1] = "/papers/" .. id .. ".md"
        elseif kind == 10 then paths[#paths + 1] = "/api/daily_papers?month=" .. y .. "-" .. m .. "&sort=trending"
        else paths[#paths + 1] = "/" end
    end
end

local threads = {}
local counter = 1

function setup(thread)
    thread:set("id", #threads)
    threads[#threads + 1] = thread
end

function init(args)
    build()
    counter = (id * 7919) % #paths + 1
    statuses = {}
end

function request()
    local path = paths[counter]
    counter = counter % #paths + 1
    return wrk.format("GET", path)
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local totals = {}
    for _, thread in ipairs(threads) do
        for status, count in pairs(thread:get("statuses")) do
            totals[status] = (totals[status] or 0) + count
        end
    end
    local codes = {}
    for status in pairs(totals) do codes[#codes + 1] = status end
    table.sort(codes)
    for _, status in ipairs(codes) do
        io.write(string.format("soak: status %d: %d\n", status, totals[status]))
    end
    local e = summary.errors
    io.write(string.format("soak: requests %d in %.1f s (%.1f req/s)\n", summary.requests,
        summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
    io.write(string.format("soak: errors: non-2xx/3xx %d, connect %d, read %d, write %d, timeout %d\n",
        e.status, e.connect, e.read, e.write, e.timeout))
    io.write(string.format("soak: latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms\n",
        latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
        latency:percentile(99.9) / 1000, latency.max / 1000))
end
