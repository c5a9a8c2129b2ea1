using System.Collections.Frozen;
using Usher.ControlPlane.Cluster;

namespace Usher.Gateway.Registry;

/// <summary>
/// The replicas that were up at one read of the registry, and the names of the endpoints with a
/// route table (names that route to versions, not models). Immutable: a refresh swaps the whole snapshot.
/// </summary>
internal sealed class RegistrySnapshot
{
    public static readonly RegistrySnapshot Empty = new([], []);

    public RegistrySnapshot(IEnumerable<ReplicaInfo> replicas, IEnumerable<string> endpoints)
    {
        Replicas = replicas.Where(r => r.IsUp).ToFrozenDictionary(r => r.Id, StringComparer.Ordinal);
        Endpoints = endpoints.ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>The replicas up, by id.</summary>
    public FrozenDictionary<string, ReplicaInfo> Replicas { get; }

    /// <summary>Endpoints with a route table in the shared state.</summary>
    public FrozenSet<string> Endpoints { get; }

    /// <summary>Whether <paramref name="other"/> has the same replicas at the same addresses (so YARP's destinations need no change).</summary>
    public bool SameDestinations(RegistrySnapshot other) =>
        Replicas.Count == other.Replicas.Count
        && Replicas.All(r => other.Replicas.TryGetValue(r.Key, out var o)
            && o.HttpAddress == r.Value.HttpAddress && o.GrpcAddress == r.Value.GrpcAddress);
}
