using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.Server.Cluster;

internal sealed partial class ReplicaCluster
{
    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.ControllerResumedAsLeader, Level = LogLevel.Information, Message = "replica {Replica} leads the rollout controller: {Count} active rollouts re-read from the store and resumed at their steps")]
        public static partial void Resumed(ILogger logger, string replica, int count);

        [LoggerMessage(EventId = LogEvents.LeaderControllerFailed, Level = LogLevel.Error, Message = "replica {Replica}: the rollout controller's work as the leader failed")]
        public static partial void ControllerFailed(ILogger logger, string replica, Exception exception);

        [LoggerMessage(EventId = LogEvents.ControllerStoppedAsFollower, Level = LogLevel.Information, Message = "replica {Replica} no longer leads: its rollout controller stopped; it follows the store")]
        public static partial void Follows(ILogger logger, string replica);

        [LoggerMessage(EventId = LogEvents.WindowFlushFailed, Level = LogLevel.Warning, Message = "replica {Replica}: flushing its window summaries failed; the next flush carries them")]
        public static partial void FlushFailed(ILogger logger, string replica, Exception exception);

        [LoggerMessage(EventId = LogEvents.GoneReplicaFaultRemoved, Level = LogLevel.Information, Message = "replica {Replica}, the leader, removed the fault on {Variant} for replica {Gone}, which is gone ({Why})")]
        public static partial void GoneReplicaFaultRemoved(ILogger logger, string replica, string variant, string gone, string why);

        [LoggerMessage(EventId = LogEvents.GoneReplicaFaultsRemovalFailed, Level = LogLevel.Warning, Message = "replica {Replica}, the leader: removing the faults of replicas that are gone failed; its next tick tries again")]
        public static partial void GoneReplicaFaultsRemovalFailed(ILogger logger, string replica, Exception exception);
    }
}
