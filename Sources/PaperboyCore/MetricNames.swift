/// Every metric Paperboy exports, in one place. All carry the `paperboy_` prefix.
public enum MetricNames {
    public static let httpRequests = "paperboy_http_requests_total"
    public static let httpRequestDuration = "paperboy_http_request_duration_seconds"
    public static let responseCache = "paperboy_response_cache_total"
    public static let papers = "paperboy_papers"
    public static let harvestRuns = "paperboy_harvest_runs_total"
    public static let harvestRecords = "paperboy_harvest_records_total"
    /// Messages the SMTP mailer handled, by `result`: sent, temporary, permanent, unreachable, uncertain,
    /// malformed.
    public static let mailDeliveries = "paperboy_mail_deliveries_total"
    /// Mails pages queue (confirmations, verifications, resets) by `kind` and `result`: queued, sent, failed, or
    /// dropped when the outbox is full.
    public static let mailOutbox = "paperboy_mail_outbox_total"
    /// MCP tool calls (both transports) by `tool` (`unknown` for a name that is none) and `result`: ok or error.
    public static let mcpToolCalls = "paperboy_mcp_tool_calls_total"
}
