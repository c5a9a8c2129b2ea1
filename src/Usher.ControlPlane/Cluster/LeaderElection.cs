using Microsoft.Extensions.Logging;
using Npgsql;
using Usher.ControlPlane.Persistence.Postgres;

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
/// the database no longer grants. What is left is the time one step takes after its check, which
/// the term closes: on taking the lock the new leader increments the stored controller term on its
/// session (<see cref="Term"/>, entered in its <see cref="ControllerFence"/>), and every write of
/// the controller checks it (<see cref="PostgresRolloutStore.FencedBy"/>). The session asks the
/// server for TCP keepalives of its own (<see cref="HeldSession"/>), so that after a network split
/// the server frees the lock within seconds rather than hours.
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
    private readonly ControllerFence? _fence;
    // One command at a time on the session: the poll and ConfirmAsync share it.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private NpgsqlConnection? _session;
    private Lease? _lease;
    private Task _loop = Task.CompletedTask;
    private int _stopped;

    /// <param name="source">The shared state's database.</param>
    /// <param name="candidate">This replica's id; it becomes the session's <c>application_name</c>, which is how <see cref="CurrentLeaderAsync"/> names the leader.</param>
    /// <param name="options">The poll interval and the session check's timeout.</param>
    /// <param name="time">The clock of the polls.</param>
    /// <param name="logger">The log.</param>
    /// <param name="fence">Where the term of each leadership is entered, before <see cref="LeadershipChanged"/> says it started, and left when it ends: the fence of the store the controller writes through. None: the term is only kept here.</param>
    public LeaderElection(NpgsqlDataSource source, string candidate, ClusterOptions options, TimeProvider time, ILogger logger, ControllerFence? fence = null)
    {
        _source = source;
        _candidate = candidate;
        _options = options;
        _time = time;
        _logger = logger;
        _fence = fence;
    }

    /// <summary>Raised with true when this replica takes the leadership and with false when it ends (on the election's own thread: hand long work off).</summary>
    public event Action<bool>? LeadershipChanged;

    /// <summary>Whether this replica leads, as of its last check (<see cref="ConfirmAsync"/> asks the database now).</summary>
    public bool IsLeader => Volatile.Read(ref _lease) is { Ending.IsCancellationRequested: false };

    /// <summary>Cancelled when the current leadership ends; already cancelled while this replica does not lead. Pass it to the controller's work.</summary>
    public CancellationToken Leadership => Volatile.Read(ref _lease)?.Ending.Token ?? Ended;

    /// <summary>
    /// The current leadership's controller term (the fencing token: the stored <c>controller_term</c>
    /// this replica incremented on taking the lock; higher than every earlier leader's), or 0 while
    /// it does not lead.
    /// </summary>
    public long Term => Volatile.Read(ref _lease) is { Ending.IsCancellationRequested: false } lease ? lease.Term : 0;

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

    /// <summary>
    /// Opens the election's session: named <paramref name="candidate"/> (<c>application_name</c>),
    /// with TCP keepalives of its own on the server's side (<see cref="HeldSession"/>), so that after a
    /// network split the server drops it, and frees the lock, after <see cref="ClusterOptions.LeaderDropAfter"/>.
    /// </summary>
    public static Task<NpgsqlConnection> OpenSessionAsync(NpgsqlDataSource source, string candidate, ClusterOptions options, CancellationToken cancellationToken)
        => HeldSession.OpenAsync(source, candidate, options, cancellationToken);

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
            if (IsLeader)
            {
                await UnlockAsync(cancellationToken).ConfigureAwait(false);
            }

            await EndAsync("stopped").ConfigureAwait(false);
            await CloseSessionAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Ends the leadership of <paramref name="term"/> now, for a reason the controller found: a write
    /// of its was refused because another replica has led since (<see cref="LeadershipLostException"/>).
    /// Unlocks if the session still holds the lock, and closes the session; this replica stands again
    /// at its next poll, on a new session (and would lead on a new term). Nothing when that
    /// leadership has ended already.
    /// </summary>
    public async Task ResignAsync(long term, string reason, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Term != term || term == 0)
            {
                return;
            }

            await UnlockAsync(cancellationToken).ConfigureAwait(false);
            await EndAsync(reason).ConfigureAwait(false);
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
            _session ??= await OpenSessionAsync(_source, _candidate, _options, stop).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@class, @object)", _session);
            command.Parameters.AddWithValue("class", LockClass);
            command.Parameters.AddWithValue("object", ControllerLock);
            if (await command.ExecuteScalarAsync(stop).ConfigureAwait(false) is true)
            {
                var term = await NextTermAsync(stop).ConfigureAwait(false);
                _fence?.Enter(term);
                Volatile.Write(ref _lease, new Lease(new CancellationTokenSource(), term));
                ClusterLog.LeadershipTaken(_logger, _candidate, _session.ProcessID, term);
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

    // Under the gate, with the lock just taken: the new term, incremented on the lock's session. A
    // takeover's increment waits for the old leader's writes in flight (they hold the row FOR SHARE);
    // every write of the old leader after it finds the new term and is refused.
    private async Task<long> NextTermAsync(CancellationToken stop)
    {
        try
        {
            await using var next = new NpgsqlCommand("UPDATE controller_term SET term = term + 1 RETURNING term", _session);
            return (long)(await next.ExecuteScalarAsync(stop).ConfigureAwait(false))!;
        }
        catch
        {
            // No term, no leadership: the lock goes back before the session closes.
            await UnlockAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    // Under the gate. A pooled connection would keep the lock until its next use, so it is unlocked
    // before its session closes.
    private async Task UnlockAsync(CancellationToken cancellationToken)
    {
        if (_session is not { } session)
        {
            return;
        }

        try
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock(@class, @object)", session);
            unlock.Parameters.AddWithValue("class", LockClass);
            unlock.Parameters.AddWithValue("object", ControllerLock);
            await unlock.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // The session is gone (or broken), and the lock with it.
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
        if (Interlocked.Exchange(ref _lease, null) is not { } lease)
        {
            return;
        }

        // Before the token: no write of this term passes the fence once the work is told to stop.
        _fence?.Leave(lease.Term);

        // Not disposed: the controller may still hold its token, and a disposed source's token refuses registrations.
        await lease.Ending.CancelAsync().ConfigureAwait(false);
        ClusterLog.LeadershipLost(_logger, _candidate, lease.Term, reason);
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

    // One leadership: its term and the token cancelled when it ends.
    private sealed record Lease(CancellationTokenSource Ending, long Term);
}
