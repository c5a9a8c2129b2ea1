using System.Text.Json;
using Npgsql;
using Usher.ControlPlane.Cluster;

namespace Usher.Gateway.Registry;

/// <summary>
/// Reads the registry in one round trip: the replicas not marked down (the <c>replicas</c> table,
/// migration 2) and the endpoints that have a route table.
/// </summary>
internal sealed class ReplicaTableReader(NpgsqlDataSource dataSource)
{
    private const string Sql = """
        SELECT id, http_address, grpc_address, region, labels_json, models_json, queue_depth, in_flight, capacity,
               started_at, heartbeat_at, down_at
        FROM replicas WHERE down_at IS NULL ORDER BY id;
        SELECT endpoint FROM route_tables;
        """;

    public async Task<RegistrySnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var replicas = new List<ReplicaInfo>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            replicas.Add(new ReplicaInfo(
                reader.GetString(0),
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetString(3),
                Parse(reader.GetString(4), RegistryJsonContext.Default.DictionaryStringString, "labels_json", reader.GetString(0)),
                Parse(reader.GetString(5), RegistryJsonContext.Default.ListReplicaModel, "models_json", reader.GetString(0)),
                reader.GetInt32(6),
                reader.GetInt32(7),
                reader.GetInt32(8),
                reader.GetFieldValue<DateTimeOffset>(9),
                reader.GetFieldValue<DateTimeOffset>(10),
                reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11)));
        }

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var endpoints = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            endpoints.Add(reader.GetString(0));
        }

        return new RegistrySnapshot(replicas, endpoints);
    }

    private static T Parse<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string column, string replica)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type)
                ?? throw new InvalidDataException($"replica '{replica}': {column} is null; expected {Expected(column)}");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"replica '{replica}': {column} is not {Expected(column)}: {ex.Message}", ex);
        }
    }

    private static string Expected(string column) => column == "labels_json"
        ? "a JSON object of strings such as {\"hw\":\"gpu\"}"
        : "a JSON array such as [{\"model\":\"fraud\",\"version\":2,\"ready\":true}]";
}
