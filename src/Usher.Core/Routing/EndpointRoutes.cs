using System.Collections.Immutable;
using Usher.Core.Telemetry;

namespace Usher.Core.Routing;

/// <summary>
/// Every endpoint's current route table, as one immutable snapshot that the data plane reads
/// without locks and the control plane replaces whole.
/// </summary>
/// <param name="metrics">The metrics that count each endpoint's routed requests by variant (none: not counted).</param>
internal sealed class EndpointRoutes(UsherMetrics? metrics = null)
{
    private ImmutableDictionary<string, RouteTable> _tables = ImmutableDictionary.Create<string, RouteTable>(StringComparer.Ordinal);

    /// <summary>The current snapshot.</summary>
    public IReadOnlyDictionary<string, RouteTable> Tables => _tables;

    /// <summary>The endpoint's table, or null when it has none (it then serves its model's newest version).</summary>
    public RouteTable? Find(string endpoint) => _tables.GetValueOrDefault(endpoint);

    /// <summary>
    /// Publishes <paramref name="table"/>, replacing the endpoint's previous one atomically; with
    /// metrics, as a copy that holds each variant's routed-requests total (<see cref="RouteTable.CountedOn"/>).
    /// </summary>
    public void Publish(RouteTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        table = metrics is null ? table : table.CountedOn(metrics);
        ImmutableInterlocked.AddOrUpdate(ref _tables, table.Endpoint, table, (_, _) => table);
    }

    /// <summary>Removes the endpoint's table.</summary>
    public void Remove(string endpoint) => ImmutableInterlocked.TryRemove(ref _tables, endpoint, out _);
}
