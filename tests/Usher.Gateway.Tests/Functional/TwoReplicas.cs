using Usher.Testing;

namespace Usher.Gateway.Tests.Functional;

/// <summary>
/// Two real Usher servers shared by a test class: <see cref="A"/> serves fraud version 1 only and
/// <see cref="B"/> fraud version 2 only, so that an answer's <c>model_version</c> says which replica
/// answered. Each test writes its own registry rows in its own database.
/// </summary>
public sealed class TwoReplicas : IAsyncLifetime
{
    internal InProcessReplica A { get; private set; } = null!;

    internal InProcessReplica B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        A = await InProcessReplica.StartAsync([1]);
        B = await InProcessReplica.StartAsync([2]);
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }

    /// <summary>A fresh database on the shared PostgreSQL, with the schema, and its rows writer.</summary>
    internal static async Task<(string Uri, ReplicaRows Rows)> StateAsync()
    {
        var server = await PostgresServer.SharedAsync();
        var database = await server.CreateDatabaseAsync();
        var rows = new ReplicaRows(server.ConnectionString(database));
        await rows.PrepareAsync();
        return (server.Uri(database), rows);
    }
}
