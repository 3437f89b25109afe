-- wrk script for the search service through nginx: cycles through QUERIES (one per line, URL
-- encoded, in the file named by the environment variable CHENGLAI_QUERIES), and prints one line
-- of figures the benchmark and the load test read back (non2xx: answers other than 2xx/3xx;
-- errors: connect, read, write and timeout errors):
--   CHENGLAI requests=N non2xx=N errors=N rps=X p50_ms=X p95_ms=X p99_ms=X max_ms=X
local queries = {}
local counter = 0

function init(args)
  local path = os.getenv("CHENGLAI_QUERIES")
  for line in io.lines(path) do
    if #line > 0 then queries[#queries + 1] = line end
  end
end

request = function()
  counter = counter + 1
  return wrk.format("GET", "/api/search?q=" .. queries[(counter % #queries) + 1])
end

done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "CHENGLAI requests=%d non2xx=%d errors=%d rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests, e.status, errors, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
