using Npgsql;
using Usher.ControlPlane.Cluster;
using Usher.ControlPlane.Persistence.Postgres;

namespace Usher.Gateway.Tests.Functional;

/// <summary>
/// Writes the registry's <c>replicas</c> rows through the registry's own heartbeat (and clean-stop
/// mark), for replicas a test starts without registering them: one row per replica, upserted by id.
/// </summary>
internal sealed class ReplicaRows(string connectionString) : IAsyncDisposable
{
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(connectionString);

    public Task PrepareAsync() => PostgresSchema.PrepareAsync(_source, "test", CancellationToken.None);

    public async Task UpsertAsync(ReplicaRow row)
    {
        var registry = new ReplicaRegistry(_source);
        await registry.HeartbeatAsync(
            new ReplicaIdentity(row.Id, row.HttpAddress, row.GrpcAddress, row.Region, row.Labels ?? new Dictionary<string, string>()),
            new ReplicaLoad([.. row.Models.Select(m => new ReplicaModel(m.Model, m.Version, m.Ready))], row.QueueDepth, 0, row.Capacity),
            CancellationToken.None);
        if (row.Down)
        {
            await registry.MarkDownAsync(row.Id, CancellationToken.None);
        }
    }

    /// <summary>Every row, up and down, as the registry reads them.</summary>
    public Task<IReadOnlyList<ReplicaInfo>> ListAsync() => new ReplicaRegistry(_source).ListAsync(CancellationToken.None);

    public ValueTask DisposeAsync() => _source.DisposeAsync();
}

/// <summary>A row of the registry as a test writes it.</summary>
internal sealed record ReplicaRow(string Id, string HttpAddress, string? GrpcAddress, string Region, IReadOnlyList<(string Model, long Version, bool Ready)> Models)
{
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    public int QueueDepth { get; init; }

    public int Capacity { get; init; } = 4;

    public bool Down { get; init; }
}
