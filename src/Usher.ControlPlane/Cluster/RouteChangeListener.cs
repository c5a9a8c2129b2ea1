using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Usher.ControlPlane.Cluster;

/// <summary>
/// Tells this replica when a route table or an injected fault changed anywhere in the cluster:
/// <c>LISTEN usher_routes</c> and <c>LISTEN usher_faults</c> on a connection of its own (triggers on
/// <c>route_tables</c> and <c>faults</c> send the endpoint's name, or the variant's, on every insert,
/// update and delete, whoever writes), and every <see cref="ClusterOptions.RouteRereadInterval"/> a
/// re-read of everything, for what a notification cannot carry: LISTEN dies with its session, so
/// notifications sent while the listener was disconnected are lost. After every (re)connection it
/// listens first and then re-reads everything, so nothing falls between the two. The reloads run
/// one at a time, in order, on one loop. Faults have a channel of their own, so that a payload is
/// always an endpoint's name on one channel and a variant on the other, never one to be told from
/// the other. Its session asks the server for keepalives of its own, as the election's does
/// (<see cref="HeldSession"/>); a quiet session is also probed from this side.
/// </summary>
internal sealed class RouteChangeListener : IAsyncDisposable
{
    /// <summary>The notification channel of route tables; the payload is the endpoint's name.</summary>
    public const string ChannelName = "usher_routes";

    /// <summary>The notification channel of injected faults; the payload is the variant (every fault is reloaded).</summary>
    public const string FaultsChannelName = "usher_faults";

    /// <summary>The listener session's <c>application_name</c>, by which an operator finds it in <c>pg_stat_activity</c>.</summary>
    public const string ApplicationName = "usher route listener";

    private readonly NpgsqlDataSource _source;
    private readonly ClusterOptions _options;
    private readonly Func<string, CancellationToken, Task> _endpointChanged;
    private readonly Func<CancellationToken, Task> _reloadAll;
    private readonly Func<CancellationToken, Task> _faultsChanged;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    // What to reload. Bounded: a notification that finds it full sets _missed instead, and the next
    // reload re-reads everything.
    private readonly Channel<Reload> _reloads = Channel.CreateBounded<Reload>(new BoundedChannelOptions(1024)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });
    private NpgsqlConnection? _connection;
    private Task _loops = Task.CompletedTask;
    private int _missed;
    private int _stopped;

    /// <param name="source">The shared state's database.</param>
    /// <param name="options">The re-read interval and the reconnection delay.</param>
    /// <param name="endpointChanged">Reloads one endpoint's route table from the store (the notification's payload).</param>
    /// <param name="reloadAll">Reloads everything from the store: every endpoint's route table and the faults.</param>
    /// <param name="faultsChanged">Reloads the faults from the store.</param>
    /// <param name="time">The clock of the re-reads and reconnection delays.</param>
    /// <param name="logger">The log.</param>
    public RouteChangeListener(NpgsqlDataSource source, ClusterOptions options, Func<string, CancellationToken, Task> endpointChanged, Func<CancellationToken, Task> reloadAll, Func<CancellationToken, Task> faultsChanged, TimeProvider time, ILogger logger)
    {
        _source = source;
        _options = options;
        _endpointChanged = endpointChanged;
        _reloadAll = reloadAll;
        _faultsChanged = faultsChanged;
        _time = time;
        _logger = logger;
    }

    /// <summary>Listens (a database that cannot be reached fails the start), then re-reads every table and starts the loops.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _connection = await ListenAsync(cancellationToken).ConfigureAwait(false);
        _reloads.Writer.TryWrite(Reload.Everything);
        var stop = _stop.Token;
        _loops = Task.WhenAll(
            Task.Run(() => ListenLoopAsync(stop), CancellationToken.None),
            Task.Run(() => ReloadLoopAsync(stop), CancellationToken.None),
            Task.Run(() => RereadLoopAsync(stop), CancellationToken.None));
    }

    /// <summary>Stops listening; a reload under way finishes first.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loops.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_connection is { } connection)
        {
            _connection = null;
            try
            {
                // A pooled connection would keep listening until its next use.
                await using var unlisten = new NpgsqlCommand("UNLISTEN *", connection);
                await unlisten.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The session is gone, and its LISTEN with it.
            }

            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>
    /// Opens the listener's session: named <see cref="ApplicationName"/>, with the server-side TCP
    /// keepalives of <see cref="HeldSession"/> (so the server drops a session cut off by a network
    /// split within <see cref="ClusterOptions.LeaderDropAfter"/>, not hours), <paramref name="notified"/>
    /// attached, then listening on <see cref="ChannelName"/> and <see cref="FaultsChannelName"/>.
    /// </summary>
    public static async Task<NpgsqlConnection> OpenSessionAsync(NpgsqlDataSource source, ClusterOptions options, NotificationEventHandler notified, CancellationToken cancellationToken)
    {
        var connection = await HeldSession.OpenAsync(source, ApplicationName, options, cancellationToken).ConfigureAwait(false);
        try
        {
            connection.Notification += notified;
            await using var listen = new NpgsqlCommand($"LISTEN {ChannelName}; LISTEN {FaultsChannelName}", connection);
            await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private Task<NpgsqlConnection> ListenAsync(CancellationToken cancellationToken)
        => OpenSessionAsync(_source, _options, OnNotification, cancellationToken);

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        Reload? reload = e.Channel switch
        {
            ChannelName => new Reload(e.Payload, Faults: false),
            FaultsChannelName => new Reload(null, Faults: true),
            _ => null,
        };
        if (reload is { } wanted && !_reloads.Writer.TryWrite(wanted))
        {
            Volatile.Write(ref _missed, 1);
        }
    }

    private async Task ListenLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                // An idle session on a network that vanished waits for ever on this side (no packet
                // says it is gone; the keepalives asked of the server only end it there): after a
                // quiet re-read interval, ask the session a question.
                if (!await _connection!.WaitAsync((int)_options.RouteRereadInterval.TotalMilliseconds, stop).ConfigureAwait(false))
                {
                    await ProbeAsync(_connection, stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
            {
                ClusterLog.ListenerDisconnected(_logger, e);
                var broken = _connection!;
                _connection = null;
                await broken.DisposeAsync().ConfigureAwait(false);
                if (!await ReconnectAsync(stop).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
    }

    private async Task ProbeAsync(NpgsqlConnection connection, CancellationToken stop)
    {
        await using var probe = new NpgsqlCommand("SELECT 1", connection);
        probe.CommandTimeout = (int)_options.SessionCheckTimeout.TotalSeconds;
        await probe.ExecuteScalarAsync(stop).ConfigureAwait(false);
    }

    // The first attempt at once (a terminated backend, a server restarted), then one per reconnection delay.
    private async Task<bool> ReconnectAsync(CancellationToken stop)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _connection = await ListenAsync(stop).ConfigureAwait(false);
                await _reloads.Writer.WriteAsync(Reload.Everything, stop).ConfigureAwait(false);
                ClusterLog.ListenerReconnected(_logger, ChannelName, attempt);
                return true;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException or TimeoutException or System.Net.Sockets.SocketException)
            {
                try
                {
                    await Task.Delay(_options.ReconnectDelay, _time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }
    }

    private async Task ReloadLoopAsync(CancellationToken stop)
    {
        try
        {
            await foreach (var reload in _reloads.Reader.ReadAllAsync(stop).ConfigureAwait(false))
            {
                var missed = Interlocked.Exchange(ref _missed, 0) != 0;
                var all = reload == Reload.Everything || missed;
                try
                {
                    if (all)
                    {
                        await _reloadAll(stop).ConfigureAwait(false);
                    }
                    else if (reload.Faults)
                    {
                        await _faultsChanged(stop).ConfigureAwait(false);
                    }
                    else
                    {
                        await _endpointChanged(reload.Endpoint!, stop).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    if (reload.Faults && !all)
                    {
                        ClusterLog.FaultReloadFailed(_logger, e);
                    }
                    else
                    {
                        ClusterLog.ReloadFailed(_logger, all ? "every endpoint, and the faults" : $"endpoint '{reload.Endpoint}'", e);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task RereadLoopAsync(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_options.RouteRereadInterval, _time, stop).ConfigureAwait(false);
                await _reloads.Writer.WriteAsync(Reload.Everything, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    // One endpoint's table (Endpoint), the faults (Faults), or everything (neither: Everything).
    private readonly record struct Reload(string? Endpoint, bool Faults)
    {
        public static Reload Everything => default;
    }
}
