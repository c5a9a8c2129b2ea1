using Npgsql;
using Usher.ControlPlane.Cluster;
using SharedRegistry = Usher.ControlPlane.Cluster.ReplicaRegistry;

namespace Usher.Gateway.Registry;

/// <summary>
/// Reads the registry in one round trip: the replicas not marked down (the <c>replicas</c> table,
/// migration 2) and the endpoints that have a route table.
/// </summary>
internal sealed class ReplicaTableReader(NpgsqlDataSource dataSource)
{
    private const string Sql = $"""
        SELECT {SharedRegistry.Columns} FROM replicas WHERE down_at IS NULL ORDER BY id;
        SELECT endpoint FROM route_tables;
        """;

    public async Task<RegistrySnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var replicas = new List<ReplicaInfo>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            replicas.Add(SharedRegistry.ReadRow(reader));
        }

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var endpoints = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            endpoints.Add(reader.GetString(0));
        }

        return new RegistrySnapshot(replicas, endpoints);
    }
}
