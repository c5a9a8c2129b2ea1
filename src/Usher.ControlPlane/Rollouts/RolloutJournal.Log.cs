using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.ControlPlane.Rollouts;

internal sealed partial class RolloutJournal
{
    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.RolloutTransition, Level = LogLevel.Information, Message = "{Endpoint}: {Kind}: {Message}")]
        public static partial void Transition(ILogger logger, string endpoint, string kind, string message);
    }
}
