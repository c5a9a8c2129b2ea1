using System.Text.Json;
using Npgsql;
using Usher.ControlPlane.Persistence.Postgres;

namespace Usher.Gateway.Tests.Functional;

/// <summary>
/// Writes the registry's <c>replicas</c> rows as a replica's heartbeat would (until the replicas
/// register themselves): one row per replica, upserted by id.
/// </summary>
internal sealed class ReplicaRows(string connectionString) : IAsyncDisposable
{
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(connectionString);

    public Task PrepareAsync() => PostgresSchema.PrepareAsync(_source, "test", CancellationToken.None);

    public async Task UpsertAsync(ReplicaRow row)
    {
        await using var command = _source.CreateCommand("""
            INSERT INTO replicas(id, http_address, grpc_address, region, labels_json, models_json, queue_depth, in_flight, capacity, started_at, heartbeat_at, down_at)
            VALUES (@id, @http, @grpc, @region, @labels, @models, @queue, 0, @capacity, now(), now(), @down)
            ON CONFLICT (id) DO UPDATE SET http_address = @http, grpc_address = @grpc, region = @region, labels_json = @labels,
                models_json = @models, queue_depth = @queue, capacity = @capacity, heartbeat_at = now(), down_at = @down
            """);
        command.Parameters.AddWithValue("id", row.Id);
        command.Parameters.AddWithValue("http", row.HttpAddress);
        command.Parameters.AddWithValue("grpc", (object?)row.GrpcAddress ?? DBNull.Value);
        command.Parameters.AddWithValue("region", row.Region);
        command.Parameters.AddWithValue("labels", JsonSerializer.Serialize(row.Labels ?? new Dictionary<string, string>()));
        command.Parameters.AddWithValue("models", JsonSerializer.Serialize(row.Models.Select(m => new { model = m.Model, version = m.Version, ready = m.Ready })));
        command.Parameters.AddWithValue("queue", row.QueueDepth);
        command.Parameters.AddWithValue("capacity", row.Capacity);
        command.Parameters.AddWithValue("down", row.Down ? DateTimeOffset.UtcNow : DBNull.Value);
        await command.ExecuteNonQueryAsync();
    }

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
