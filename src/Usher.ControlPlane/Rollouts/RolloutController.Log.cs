using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.ControlPlane.Rollouts;

public sealed partial class RolloutController
{
    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.RolloutTransition, Level = LogLevel.Information, Message = "{Endpoint}: {Kind}: {Message}")]
        public static partial void Transition(ILogger logger, string endpoint, string kind, string message);

        [LoggerMessage(EventId = LogEvents.RolloutTickFailed, Level = LogLevel.Error, Message = "rollout controller tick failed")]
        public static partial void TickFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = LogEvents.RolloutSectionInvalid, Level = LogLevel.Warning, Message = "{Model}: the rollout section of config.yaml is invalid, version {Version} takes no traffic: {Problems}")]
        public static partial void InvalidRolloutSection(ILogger logger, string model, long version, string problems);
    }
}
