using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.Server.Admin;

internal sealed partial class ControlPlaneService
{
    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.StateOpened, Level = LogLevel.Information, Message = "control plane state: {Path} (repository {Repository})")]
        public static partial void StateOpened(ILogger logger, string path, string repository);

        [LoggerMessage(EventId = LogEvents.StaleState, Level = LogLevel.Warning, Message = "{Endpoint}: stored state not resumed: {Message}")]
        public static partial void Stale(ILogger logger, string endpoint, string message);
    }
}
