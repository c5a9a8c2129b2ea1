using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.ControlPlane.Cluster;

/// <summary>The cluster membership's log messages (event ids in <see cref="LogEvents"/>).</summary>
internal static partial class ClusterLog
{
    [LoggerMessage(EventId = LogEvents.ReplicaRegistered, Level = LogLevel.Information, Message = "Replica {Id} registered ({Address}, region {Region}); heartbeat every {Interval}, replicas quiet for {DownAfter} are marked down")]
    public static partial void Registered(ILogger logger, string id, string address, string region, TimeSpan interval, TimeSpan downAfter);

    [LoggerMessage(EventId = LogEvents.HeartbeatFailed, Level = LogLevel.Warning, Message = "Replica {Id}: heartbeat failed; trying again in {Interval}")]
    public static partial void HeartbeatFailed(ILogger logger, string id, TimeSpan interval, Exception exception);

    [LoggerMessage(EventId = LogEvents.ReplicasMarkedDown, Level = LogLevel.Warning, Message = "Marked down (no heartbeat for {DownAfter}): {Ids}")]
    public static partial void MarkedDown(ILogger logger, TimeSpan downAfter, string ids);

    [LoggerMessage(EventId = LogEvents.ReplicaStopped, Level = LogLevel.Information, Message = "Replica {Id} marked itself down (clean stop)")]
    public static partial void Stopped(ILogger logger, string id);

    [LoggerMessage(EventId = LogEvents.LeadershipTaken, Level = LogLevel.Information, Message = "Replica {Id} leads the rollout controller on term {Term} (advisory lock held by backend {Pid})")]
    public static partial void LeadershipTaken(ILogger logger, string id, int pid, long term);

    [LoggerMessage(EventId = LogEvents.LeadershipLost, Level = LogLevel.Warning, Message = "Replica {Id} no longer leads (term {Term}): {Reason}")]
    public static partial void LeadershipLost(ILogger logger, string id, long term, string reason);

    [LoggerMessage(EventId = LogEvents.LeaderElectionFailed, Level = LogLevel.Warning, Message = "Replica {Id}: trying to take the leadership failed; trying again in {Interval}")]
    public static partial void ElectionFailed(ILogger logger, string id, TimeSpan interval, Exception exception);

    [LoggerMessage(EventId = LogEvents.RouteListenerDisconnected, Level = LogLevel.Warning, Message = "Route-change listener lost its connection; reconnecting (route tables are re-read once it listens again)")]
    public static partial void ListenerDisconnected(ILogger logger, Exception exception);

    [LoggerMessage(EventId = LogEvents.RouteListenerReconnected, Level = LogLevel.Information, Message = "Route-change listener listens on {Channel} again after {Attempts} attempts; every route table was re-read")]
    public static partial void ListenerReconnected(ILogger logger, string channel, int attempts);

    [LoggerMessage(EventId = LogEvents.RouteReloadFailed, Level = LogLevel.Warning, Message = "Reloading route tables ({What}) failed; the periodic re-read tries again")]
    public static partial void ReloadFailed(ILogger logger, string what, Exception exception);

    [LoggerMessage(EventId = LogEvents.FaultReloadFailed, Level = LogLevel.Warning, Message = "Reloading the injected faults from the shared database failed; the periodic re-read tries again")]
    public static partial void FaultReloadFailed(ILogger logger, Exception exception);
}
