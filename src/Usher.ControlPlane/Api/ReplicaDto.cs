using Usher.ControlPlane.Cluster;

namespace Usher.ControlPlane.Api;

/// <summary>One replica in <c>GET /admin/replicas</c>, as of its last heartbeat.</summary>
/// <param name="Id">Its id in the registry (unique per process run): what a fault's <c>replica</c> names.</param>
/// <param name="HttpAddress">Base URL of its REST front end.</param>
/// <param name="GrpcAddress">Base URL of its gRPC front end, or null when it serves none.</param>
/// <param name="Region">Its region.</param>
/// <param name="Labels">Its labels (<c>hw</c> and others).</param>
/// <param name="Up">False once it was marked down (no heartbeat within the timeout, or a clean stop).</param>
/// <param name="Leader">Whether it leads the rollout controller now.</param>
/// <param name="StartedAt">When it registered.</param>
/// <param name="HeartbeatAt">Its last heartbeat.</param>
/// <param name="DownAt">When it was marked down; null while up.</param>
/// <param name="Models">Its model versions with their readiness.</param>
/// <param name="QueueDepth">Requests waiting in its batch queues.</param>
/// <param name="InFlight">Requests being answered.</param>
/// <param name="Capacity">Batches it can run at once.</param>
public sealed record ReplicaDto(
    string? Id,
    string? HttpAddress,
    string? GrpcAddress,
    string? Region,
    IReadOnlyDictionary<string, string>? Labels,
    bool Up,
    bool Leader,
    DateTimeOffset? StartedAt,
    DateTimeOffset? HeartbeatAt,
    DateTimeOffset? DownAt,
    IReadOnlyList<ReplicaModelDto>? Models,
    int QueueDepth,
    int InFlight,
    int Capacity)
{
    /// <summary>The wire form of the registry's row; <paramref name="leader"/> is the election lock's holder.</summary>
    internal static ReplicaDto From(ReplicaInfo replica, string? leader)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return new ReplicaDto(
            replica.Id,
            replica.HttpAddress,
            replica.GrpcAddress,
            replica.Region,
            replica.Labels,
            replica.IsUp,
            replica.IsUp && replica.Id == leader,
            replica.StartedAt,
            replica.HeartbeatAt,
            replica.DownAt,
            [.. replica.Models.Select(m => new ReplicaModelDto(m.Model, m.Version, m.Ready, m.Hardware))],
            replica.QueueDepth,
            replica.InFlight,
            replica.Capacity);
    }
}
