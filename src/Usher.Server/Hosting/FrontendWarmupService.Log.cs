using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.Server.Hosting;

internal sealed partial class FrontendWarmupService
{
    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.FrontendWarmedUp, Level = LogLevel.Information, Message = "warmed up through the frontends: {Requests} requests to {Versions} version(s) in {Rounds} round(s), {Compiled} methods compiled, {Milliseconds} ms ({Outcome})")]
        public static partial void WarmedUp(ILogger logger, int requests, int versions, int rounds, long compiled, long milliseconds, string outcome);

        [LoggerMessage(EventId = LogEvents.FrontendWarmupStopped, Level = LogLevel.Warning, Message = "the warm-up through the frontends stopped: {Message}; the server reports ready without it")]
        public static partial void Stopped(ILogger logger, string message);

        [LoggerMessage(EventId = LogEvents.FrontendWarmupStopped, Level = LogLevel.Information, Message = "the warm-up through the frontends skips {Kind} requests to model '{Model}' version {Version}: {Failure}")]
        public static partial void KindStopped(ILogger logger, string model, long version, string kind, string failure);
    }
}
