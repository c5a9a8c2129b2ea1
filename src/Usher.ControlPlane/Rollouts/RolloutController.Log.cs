using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.ControlPlane.Rollouts;

internal sealed partial class RolloutController
{
    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.RolloutTickFailed, Level = LogLevel.Error, Message = "rollout controller tick failed")]
        public static partial void TickFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = LogEvents.RepositoryDeployFailed, Level = LogLevel.Error, Message = "{Endpoint}: the rollout of version {Version} that config.yaml asks for failed to start")]
        public static partial void RepositoryDeployFailed(ILogger logger, string endpoint, long version, Exception exception);
    }
}
