-- One MCP tool call per request: search_papers in keyword mode, the same search as
-- /api/papers/search?q=model&mode=keyword&limit=10 (Benchmarks/mcp/run.sh runs both).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_papers",'
    .. '"arguments":{"query":"model","mode":"keyword","limit":10}}}'
