using Npgsql;
using Usher.ControlPlane.Cluster;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Cluster;

/// <summary>A fresh database on the shared test PostgreSQL with the shared state's schema, and the waits the cluster tests share.</summary>
internal static class ClusterDatabase
{
    /// <summary>
    /// The session holding the controller's lock in the current database, read from pg_locks (keys
    /// (class, object): classid, objid, objsubid 2): its application_name and pid. Tests side by side
    /// hold the same lock in databases of their own on the shared server.
    /// </summary>
    public static readonly string HolderSql = $"""
        SELECT a.application_name, l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.classid = {LeaderElection.LockClass} AND l.objid = {LeaderElection.ControllerLock} AND l.objsubid = 2
        """;

    /// <summary>A data source over a fresh, prepared database.</summary>
    public static async Task<NpgsqlDataSource> CreateAsync()
    {
        var server = await PostgresServer.SharedAsync();
        var source = NpgsqlDataSource.Create(server.ConnectionString(await server.CreateDatabaseAsync()));
        await PostgresSchema.PrepareAsync(source, "test", CancellationToken.None);
        return source;
    }

    /// <summary>Runs a query of one number (a count, a term).</summary>
    public static async Task<long> CountAsync(this NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs SQL with no result.</summary>
    public static async Task ExecuteAsync(this NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Reads a setting of <paramref name="connection"/>'s session (<c>SHOW</c>).</summary>
    public static async Task<string?> ShowAsync(this NpgsqlConnection connection, string setting)
    {
        await using var show = new NpgsqlCommand($"SHOW {setting}", connection);
        return await show.ExecuteScalarAsync() as string;
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
    public static Task EventuallyAsync(Func<Task<bool>> condition, string what, Action? step = null)
        => Wait.EventuallyAsync(condition, what, step);

    /// <inheritdoc cref="EventuallyAsync(Func{Task{bool}}, string, Action?)"/>
    public static Task EventuallyAsync(Func<bool> condition, string what, Action? step = null)
        => EventuallyAsync(() => Task.FromResult(condition()), what, step);

    /// <summary>Terminates the backend that holds the controller's lock (pg_terminate_backend) and waits until it has exited, and its lock is gone.</summary>
    public static async Task TerminateHolderAsync(this NpgsqlDataSource source)
    {
        int pid;
        await using (var find = source.CreateCommand($"SELECT pid FROM ({HolderSql}) holder"))
        {
            pid = Assert.IsType<int>(await find.ExecuteScalarAsync());
        }

        await using (var terminate = source.CreateCommand($"SELECT pg_terminate_backend({pid})"))
        {
            Assert.Equal(true, await terminate.ExecuteScalarAsync());
        }

        await EventuallyAsync(
            async () =>
            {
                await using var alive = source.CreateCommand($"SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}");
                return (long)(await alive.ExecuteScalarAsync())! == 0;
            },
            $"backend {pid} exits");
    }
}
