using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.Core.RequestLogging;

internal sealed partial class RequestLog
{
    private static partial class Log
    {
        [LoggerMessage(LogEvents.RequestLogWriteFailed, LogLevel.Warning, "Model '{Model}': the request log in {Directory} could not write: {Reason}")]
        public static partial void WriteFailed(ILogger logger, string model, string directory, string reason);

        [LoggerMessage(LogEvents.RequestLogWriteFailed, LogLevel.Warning, "Model '{Model}': the request log in {Directory} stopped writing: {Reason}. Requests are served as usual; their records are dropped (usher_request_log_dropped_total) until a write succeeds again")]
        public static partial void Stopped(ILogger logger, string model, string directory, string reason);

        [LoggerMessage(LogEvents.RequestLogResumed, LogLevel.Information, "Model '{Model}': the request log in {Directory} writes again, in a new file; {Dropped} records were dropped while it could not")]
        public static partial void Resumed(ILogger logger, string model, string directory, long dropped);
    }
}
