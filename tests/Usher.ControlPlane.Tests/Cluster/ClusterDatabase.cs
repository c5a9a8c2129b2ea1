using Npgsql;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Cluster;

/// <summary>A fresh database on the shared test PostgreSQL with the shared state's schema, and the waits the cluster tests share.</summary>
internal static class ClusterDatabase
{
    /// <summary>A data source over a fresh, prepared database.</summary>
    public static async Task<NpgsqlDataSource> CreateAsync()
    {
        var server = await PostgresServer.SharedAsync();
        var source = NpgsqlDataSource.Create(server.ConnectionString(await server.CreateDatabaseAsync()));
        await PostgresSchema.PrepareAsync(source, "test", CancellationToken.None);
        return source;
    }

    /// <summary>Runs SQL with no result.</summary>
    public static async Task ExecuteAsync(this NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Sends a signal to a server backend: <c>STOP</c> freezes it (its client's queries get no answer,
    /// as on a network that vanished, while the server keeps the session), <c>CONT</c> thaws it.
    /// </summary>
    public static void Signal(string signal, int pid)
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill!.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>
    /// Waits, with a generous real-time deadline, until <paramref name="condition"/> holds; between
    /// looks it lets the background loops run and, when given, moves the fake clock on by
    /// <paramref name="step"/> (a loop that had not reached its delay yet gets the next step).
    /// </summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, Action? step = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            step?.Invoke();
            await Task.Delay(20);
        }
    }

    /// <inheritdoc cref="EventuallyAsync(Func{Task{bool}}, string, Action?)"/>
    public static Task EventuallyAsync(Func<bool> condition, string what, Action? step = null)
        => EventuallyAsync(() => Task.FromResult(condition()), what, step);
}
