using Microsoft.Extensions.Logging;

namespace Usher.Server.Telemetry;

/// <summary>
/// The server's console log (<c>server.log_format</c>, <c>--log-format</c>): <c>text</c>, one line per
/// event, or <c>json</c>, one JSON object per line with its scopes: ASP.NET Core's per-request scope
/// (<c>RequestId</c>, <c>RequestPath</c>, <c>ConnectionId</c>) and the current span's <c>TraceId</c>
/// and <c>SpanId</c> (a client's <c>traceparent</c> sets the trace id, traced or not), so every
/// event written during a request names it (docs/observability.md).
/// </summary>
internal static class ServerLogging
{
    public const string Text = "text";
    public const string Json = "json";

    public static void Configure(ILoggingBuilder logging, string format)
    {
        if (format == Json)
        {
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
            logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
            return;
        }

        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
    }
}
