using Microsoft.Extensions.Logging;
using Npgsql;

namespace Usher.ControlPlane.Cluster;

/// <summary>
/// Elects one replica to lead the rollout controller: the holder of a PostgreSQL session advisory
/// lock (<c>pg_try_advisory_lock</c>) taken on a connection of its own, held for as long as it
/// leads. The lock goes with the session: when the leader's process dies, or the server terminates
/// its backend, another candidate takes it at its next poll (<see cref="ClusterOptions.LeaderPollInterval"/>).
/// </summary>
/// <remarks>
/// A leader can be cut off without having noticed (its backend terminated, or a network split the
/// server has already timed out). It notices at its next poll, when the check of its own session
/// fails or finds the lock gone; and the controller asks <see cref="ConfirmAsync"/> before each
/// step, which runs the same check on the lock's session, so a step never starts on a leadership
/// the database no longer grants. What is left is the time one step takes after its check.
/// </remarks>
internal sealed class LeaderElection : IAsyncDisposable
{
    /// <summary>The advisory lock's first key: Usher's cluster among the database's advisory locks ("Ushr").</summary>
    public const int LockClass = 0x5573_6872;

    /// <summary>The advisory lock's second key: the rollout controller.</summary>
    public const int ControllerLock = 1;

    private static readonly CancellationToken Ended = new(canceled: true);

    private readonly NpgsqlDataSource _source;
    private readonly string _candidate;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    // One command at a time on the session: the poll and ConfirmAsync share it.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private NpgsqlConnection? _session;
    private CancellationTokenSource? _term;
    private Task _loop = Task.CompletedTask;
    private int _stopped;

    /// <param name="source">The shared state's database.</param>
    /// <param name="candidate">This replica's id; it becomes the session's <c>application_name</c>, which is how <see cref="CurrentLeaderAsync"/> names the leader.</param>
    /// <param name="options">The poll interval and the session check's timeout.</param>
    /// <param name="time">The clock of the polls.</param>
    /// <param name="logger">The log.</param>
    public LeaderElection(NpgsqlDataSource source, string candidate, ClusterOptions options, TimeProvider time, ILogger logger)
    {
        _source = source;
        _candidate = candidate;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised with true when this replica takes the leadership and with false when it ends (on the election's own thread: hand long work off).</summary>
    public event Action<bool>? LeadershipChanged;

    /// <summary>Whether this replica leads, as of its last check (<see cref="ConfirmAsync"/> asks the database now).</summary>
    public bool IsLeader => Volatile.Read(ref _term) is { IsCancellationRequested: false };

    /// <summary>Cancelled when the current leadership ends; already cancelled while this replica does not lead. Pass it to the controller's work.</summary>
    public CancellationToken Leadership => Volatile.Read(ref _term)?.Token ?? Ended;

    /// <summary>Starts the election: the first attempt at once, then one every poll interval.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => LoopAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Whether this replica still leads, asked of the database on the lock's own session: call it
    /// before each controller step. False (and the leadership ended) when the session is gone, the
    /// lock is not held, or the check takes longer than <see cref="ClusterOptions.SessionCheckTimeout"/>.
    /// </summary>
    public async Task<bool> ConfirmAsync(CancellationToken cancellationToken)
    {
        if (!IsLeader)
        {
            return false;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return IsLeader && await CheckAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The id of the replica that holds the leadership now (its session's <c>application_name</c>), or null when none does.</summary>
    public static async Task<string?> CurrentLeaderAsync(NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        await using var command = source.CreateCommand("""
            SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid::bigint = @class AND l.objid::bigint = @object AND l.objsubid = 2
            """);
        command.Parameters.AddWithValue("class", (long)LockClass);
        command.Parameters.AddWithValue("object", (long)ControllerLock);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <summary>Stops the election; a leader releases the lock, so another candidate takes it at its next poll.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsLeader && _session is { } session)
            {
                try
                {
                    // Unlock before the connection closes: a pooled connection would keep the lock until its next use.
                    await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@class, @object)", session);
                    unlock.Parameters.AddWithValue("class", LockClass);
                    unlock.Parameters.AddWithValue("object", ControllerLock);
                    await unlock.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (NpgsqlException)
                {
                    // The session is gone, and the lock with it.
                }
            }

            await EndAsync("stopped").ConfigureAwait(false);
            await CloseSessionAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stop.Dispose();
        _gate.Dispose();
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _gate.WaitAsync(stop).ConfigureAwait(false);
                try
                {
                    if (IsLeader)
                    {
                        await CheckAsync(stop).ConfigureAwait(false);
                    }
                    else
                    {
                        await TryTakeAsync(stop).ConfigureAwait(false);
                    }
                }
                finally
                {
                    _gate.Release();
                }

                await Task.Delay(_options.LeaderPollInterval, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    // Under the gate.
    private async Task TryTakeAsync(CancellationToken stop)
    {
        try
        {
            _session ??= await OpenSessionAsync(stop).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@class, @object)", _session);
            command.Parameters.AddWithValue("class", LockClass);
            command.Parameters.AddWithValue("object", ControllerLock);
            if (await command.ExecuteScalarAsync(stop).ConfigureAwait(false) is true)
            {
                Volatile.Write(ref _term, new CancellationTokenSource());
                ClusterLog.LeadershipTaken(_logger, _candidate, _session.ProcessID);
                Raise(true);
            }
        }
        catch (Exception e) when (!stop.IsCancellationRequested && e is NpgsqlException or TimeoutException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            ClusterLog.ElectionFailed(_logger, _candidate, _options.LeaderPollInterval, e);
            await CloseSessionAsync().ConfigureAwait(false);
        }
    }

    // Under the gate, while leading.
    private async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        string reason;
        try
        {
            await using var command = new NpgsqlCommand("""
                SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()
                    AND classid::bigint = @class AND objid::bigint = @object AND objsubid = 2)
                """, _session);
            command.CommandTimeout = (int)_options.SessionCheckTimeout.TotalSeconds;
            command.Parameters.AddWithValue("class", (long)LockClass);
            command.Parameters.AddWithValue("object", (long)ControllerLock);
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
            {
                return true;
            }

            reason = "its session no longer holds the lock";
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is NpgsqlException or TimeoutException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            reason = $"its session failed ({e.Message})";
        }

        await EndAsync(reason).ConfigureAwait(false);
        await CloseSessionAsync().ConfigureAwait(false);
        return false;
    }

    private async Task<NpgsqlConnection> OpenSessionAsync(CancellationToken cancellationToken)
    {
        var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var name = new NpgsqlCommand("SELECT set_config('application_name', @name, false)", connection);
            name.Parameters.AddWithValue("name", _candidate);
            await name.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task CloseSessionAsync()
    {
        if (_session is { } session)
        {
            _session = null;
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task EndAsync(string reason)
    {
        if (Interlocked.Exchange(ref _term, null) is not { } term)
        {
            return;
        }

        // Not disposed: the controller may still hold its token, and a disposed source's token refuses registrations.
        await term.CancelAsync().ConfigureAwait(false);
        ClusterLog.LeadershipLost(_logger, _candidate, reason);
        Raise(false);
    }

    private void Raise(bool leads)
    {
        try
        {
            LeadershipChanged?.Invoke(leads);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ClusterLog.ElectionFailed(_logger, _candidate, _options.LeaderPollInterval, e);
        }
    }
}
