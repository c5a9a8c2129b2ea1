using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.ControlPlane.Rollouts;

internal sealed partial class RepositorySync
{
    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.RolloutSectionInvalid, Level = LogLevel.Warning, Message = "{Model}: the rollout section of config.yaml is invalid, version {Version} takes no traffic: {Problems}")]
        public static partial void InvalidRolloutSection(ILogger logger, string model, long version, string problems);
    }
}
