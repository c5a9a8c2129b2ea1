using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Usher.ControlPlane.Cluster;

/// <summary>
/// The <c>replicas</c> table of the shared state: each replica writes its own row (register and
/// heartbeat are one upsert), any replica marks down the rows that went quiet, and anyone (the
/// gateway, <c>usher</c> admin) reads the list. Every time in the table comes from the database's
/// clock (<c>now()</c>), and every age is compared there too, so replicas' clock skew never decides
/// whether a replica is down.
/// </summary>
internal sealed class ReplicaRegistry(NpgsqlDataSource source)
{
    /// <summary>The table's columns, in the order <see cref="ReadRow"/> reads them: what every reader of the table selects.</summary>
    public const string Columns = "id, http_address, grpc_address, region, labels_json, models_json, queue_depth, in_flight, capacity, started_at, heartbeat_at, down_at";

    /// <summary>
    /// Registers the replica or renews its heartbeat with its current load: the row's
    /// <c>heartbeat_at</c> becomes the database's <c>now()</c>, and a replica that was marked down
    /// (it paused past the timeout) is up again. <c>started_at</c> is kept from the first call.
    /// </summary>
    public async Task HeartbeatAsync(ReplicaIdentity identity, ReplicaLoad load, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(load);
        await using var command = source.CreateCommand($"""
            INSERT INTO replicas({Columns})
            VALUES (@id, @http, @grpc, @region, @labels, @models, @queue, @in_flight, @capacity, now(), now(), NULL)
            ON CONFLICT (id) DO UPDATE SET
                http_address = excluded.http_address, grpc_address = excluded.grpc_address, region = excluded.region,
                labels_json = excluded.labels_json, models_json = excluded.models_json, queue_depth = excluded.queue_depth,
                in_flight = excluded.in_flight, capacity = excluded.capacity, heartbeat_at = now(), down_at = NULL
            """);
        command.Parameters.AddWithValue("id", identity.Id);
        command.Parameters.AddWithValue("http", identity.HttpAddress);
        command.Parameters.AddWithValue("grpc", NpgsqlDbType.Text, (object?)identity.GrpcAddress ?? DBNull.Value);
        command.Parameters.AddWithValue("region", identity.Region);
        command.Parameters.AddWithValue("labels", JsonSerializer.Serialize(identity.Labels, ClusterJsonContext.Default.IReadOnlyDictionaryStringString));
        command.Parameters.AddWithValue("models", JsonSerializer.Serialize(load.Models, ClusterJsonContext.Default.IReadOnlyListReplicaModel));
        command.Parameters.AddWithValue("queue", load.QueueDepth);
        command.Parameters.AddWithValue("in_flight", load.InFlight);
        command.Parameters.AddWithValue("capacity", load.Capacity);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks the replica down now (its clean stop); false when it was already down or is unknown.</summary>
    public async Task<bool> MarkDownAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = source.CreateCommand("UPDATE replicas SET down_at = now() WHERE id = @id AND down_at IS NULL");
        command.Parameters.AddWithValue("id", id);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// Marks down every replica whose last heartbeat is older than <paramref name="downAfter"/> by
    /// the database's clock, and deletes those down for longer than <paramref name="forgetAfter"/>.
    /// Replicas sweep side by side: a row is marked by whichever gets there first.
    /// </summary>
    /// <returns>The ids this call marked down.</returns>
    public async Task<IReadOnlyList<string>> SweepAsync(TimeSpan downAfter, TimeSpan forgetAfter, CancellationToken cancellationToken)
    {
        await using var command = source.CreateCommand("""
            WITH forgotten AS (DELETE FROM replicas WHERE down_at < now() - @forget_after)
            UPDATE replicas SET down_at = now()
            WHERE down_at IS NULL AND heartbeat_at < now() - @down_after
            RETURNING id
            """);
        command.Parameters.AddWithValue("down_after", downAfter);
        command.Parameters.AddWithValue("forget_after", forgetAfter);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>Every registered replica, up and down, by region then id.</summary>
    public async Task<IReadOnlyList<ReplicaInfo>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = source.CreateCommand($"SELECT {Columns} FROM replicas ORDER BY region, id");
        var replicas = new List<ReplicaInfo>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            replicas.Add(ReadRow(reader));
        }

        return replicas;
    }

    /// <summary>The row under <paramref name="reader"/>, selected as <see cref="Columns"/>.</summary>
    /// <exception cref="InvalidDataException">A JSON column does not hold what the registry writes; the message names the replica and the column.</exception>
    public static ReplicaInfo ReadRow(NpgsqlDataReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var id = reader.GetString(0);
        return new ReplicaInfo(
            id,
            reader.GetString(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.GetString(3),
            Parse(reader.GetString(4), ClusterJsonContext.Default.IReadOnlyDictionaryStringString, id, "labels_json", "a JSON object of strings such as {\"hw\":\"gpu\"}"),
            Parse(reader.GetString(5), ClusterJsonContext.Default.IReadOnlyListReplicaModel, id, "models_json", "a JSON array such as [{\"model\":\"fraud\",\"version\":2,\"ready\":true}]"),
            reader.GetInt32(6),
            reader.GetInt32(7),
            reader.GetInt32(8),
            reader.GetFieldValue<DateTimeOffset>(9),
            reader.GetFieldValue<DateTimeOffset>(10),
            reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11));
    }

    private static T Parse<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string replica, string column, string expected)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type)
                ?? throw new InvalidDataException($"replica '{replica}': {column} is null; expected {expected}");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"replica '{replica}': {column} is not {expected}: {e.Message}", e);
        }
    }
}
