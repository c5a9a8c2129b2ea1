using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.Core.RequestLogging;

internal sealed partial class RequestLog
{
    private static partial class Log
    {
        [LoggerMessage(LogEvents.RequestLogWriteFailed, LogLevel.Warning, "Model '{Model}': the request log in {Directory} could not write: {Reason}")]
        public static partial void WriteFailed(ILogger logger, string model, string directory, string reason);
    }
}
