using System.Collections.Immutable;
using Usher.Core.Repository;
using Usher.Core.Telemetry;

namespace Usher.Core.Routing;

/// <summary>
/// Every endpoint's current route table, as one immutable snapshot that the data plane reads
/// without locks and the control plane replaces whole.
/// </summary>
internal sealed class EndpointRoutes
{
    private readonly UsherMetrics? _metrics;
    private readonly ModelManager? _models;

    // Publishing and refitting a table read the models and the tables and write a table: one at a time,
    // so that the last to write has seen the newest of both.
    private readonly Lock _writing = new();
    private ImmutableDictionary<string, RouteTable> _tables = ImmutableDictionary.Create<string, RouteTable>(StringComparer.Ordinal);

    /// <summary>Creates an empty set of route tables.</summary>
    /// <param name="metrics">The metrics that count each endpoint's routed requests by variant and its fallbacks (none: not counted).</param>
    /// <param name="models">
    /// The loaded models whose signatures decide feature-availability routing (<see cref="RouteTable.Inputs"/>):
    /// a table is fitted when it is published and again whenever one of its variants' models changes. None: no such routing.
    /// </param>
    public EndpointRoutes(UsherMetrics? metrics = null, ModelManager? models = null)
    {
        _metrics = metrics;
        _models = models;
        if (models is not null)
        {
            models.EntryChanged += Refit;
        }
    }

    /// <summary>The current snapshot.</summary>
    public IReadOnlyDictionary<string, RouteTable> Tables => _tables;

    /// <summary>The endpoint's table, or null when it has none (it then serves its model's newest version).</summary>
    public RouteTable? Find(string endpoint) => _tables.GetValueOrDefault(endpoint);

    /// <summary>
    /// Publishes <paramref name="table"/>, replacing the endpoint's previous one atomically; with
    /// metrics, as a copy that holds each variant's routed-requests total (<see cref="RouteTable.CountedOn"/>);
    /// with models, fitted to its variants' signatures (<see cref="RouteTable.FittedTo"/>).
    /// </summary>
    public void Publish(RouteTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        table = _metrics is null ? table : table.CountedOn(_metrics);
        lock (_writing)
        {
            var published = _models is null ? table : table.FittedTo(_models, Find(table.Endpoint), _metrics);
            ImmutableInterlocked.AddOrUpdate(ref _tables, published.Endpoint, published, (_, _) => published);
        }
    }

    /// <summary>Removes the endpoint's table.</summary>
    public void Remove(string endpoint)
    {
        lock (_writing)
        {
            ImmutableInterlocked.TryRemove(ref _tables, endpoint, out _);
        }
    }

    // A model's versions changed (loaded, reloaded, evicted, removed): the tables that route to it are fitted again.
    private void Refit(string model)
    {
        lock (_writing)
        {
            foreach (var table in _tables.Values)
            {
                if (table.Variants.Any(v => string.Equals(v.Model, model, StringComparison.Ordinal)))
                {
                    var fitted = table.FittedTo(_models!, table, _metrics);
                    if (!ReferenceEquals(fitted, table))
                    {
                        Volatile.Write(ref _tables, _tables.SetItem(table.Endpoint, fitted));
                    }
                }
            }
        }
    }
}
