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

        [LoggerMessage(EventId = LogEvents.StaleStateSkipped, Level = LogLevel.Warning, Message = "the repository {Repository} has no models: stored route tables and rollouts are kept as they are, not checked against it")]
        public static partial void EmptyRepository(ILogger logger, string repository);

        [LoggerMessage(EventId = LogEvents.FaultsRestored, Level = LogLevel.Warning, Message = "injected faults restored from the state store {Location} and in force ({Count}): {Faults}; clear one with `usher fault ENDPOINT --version V --clear`")]
        public static partial void FaultsRestored(ILogger logger, int count, string location, string faults);

        [LoggerMessage(EventId = LogEvents.ReplicaRegistrationFailed, Level = LogLevel.Critical, Message = "this replica could not join the replicas of {Database}; the server stops")]
        public static partial void RegistrationFailed(ILogger logger, string database, Exception exception);
    }
}
