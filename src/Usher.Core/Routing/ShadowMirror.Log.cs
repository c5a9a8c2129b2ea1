using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.Core.Routing;

internal sealed partial class ShadowMirror
{
    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.ShadowStarted, Level = LogLevel.Information, Message = "{Endpoint}: mirroring {Percent}% of routed requests to shadow {Shadow} (queue {Queue})")]
        public static partial void Started(ILogger logger, string endpoint, string shadow, double percent, int queue);

        [LoggerMessage(EventId = LogEvents.ShadowStopped, Level = LogLevel.Information, Message = "{Endpoint}: stopped mirroring to shadow {Shadow}")]
        public static partial void Stopped(ILogger logger, string endpoint, string shadow);

        [LoggerMessage(EventId = LogEvents.ShadowFailed, Level = LogLevel.Debug, Message = "{Endpoint}: shadow {Shadow} failed a mirrored request: {Message}")]
        public static partial void ShadowFailed(ILogger logger, string endpoint, string shadow, string message);

        [LoggerMessage(EventId = LogEvents.ShadowObserverFailed, Level = LogLevel.Error, Message = "{Endpoint}: recording a shadow pair failed")]
        public static partial void ObserverFailed(ILogger logger, string endpoint, Exception exception);
    }
}
