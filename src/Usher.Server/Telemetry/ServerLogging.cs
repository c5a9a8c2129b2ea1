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

    /// <summary>
    /// ASP.NET Core's hosting logger: while it is enabled at any level, every request starts an
    /// <c>Activity</c> and pushes a logging scope, whether or not anything reads them.
    /// </summary>
    internal const string HostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";

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

        // The text log writes no scopes, and the hosting logger's own events are the per-request
        // "Request starting/finished" lines (Information, below the server's Warning for ASP.NET Core).
        // Off, a request costs no Activity and no scope: about 2 µs of CPU per answer (benchmarks/compare/dataplane.md).
        // With tracing on, ASP.NET Core still starts the request's Activity for the trace's listener.
        logging.AddFilter(HostingDiagnostics, LogLevel.None);
    }
}
