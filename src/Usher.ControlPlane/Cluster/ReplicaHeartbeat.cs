using Microsoft.Extensions.Logging;

namespace Usher.ControlPlane.Cluster;

/// <summary>
/// Keeps this replica's row in the registry alive: registers at start (a failure there fails the
/// start), then every <see cref="ClusterOptions.HeartbeatInterval"/> writes the load the server
/// reports and marks down the replicas that went quiet; on a clean stop marks itself down. A failed
/// heartbeat is logged and tried again at the next interval (the others mark this replica down if
/// it stays quiet past <see cref="ClusterOptions.DownAfter"/>). A model version it reports whose
/// <c>hardware:</c> its own <c>hw</c> label does not meet is warned of once (<see cref="HardwareRequirementCheck"/>).
/// </summary>
internal sealed class ReplicaHeartbeat : IAsyncDisposable
{
    private readonly ReplicaRegistry _registry;
    private readonly ReplicaIdentity _identity;
    private readonly Func<ReplicaLoad> _load;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HardwareRequirementCheck _hardware;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private int _rounds;
    private int _stopped;

    /// <param name="registry">The registry.</param>
    /// <param name="identity">Who this replica is.</param>
    /// <param name="load">Its current load, read at each heartbeat (<see cref="ReplicaLoad.Measure"/> over the model manager).</param>
    /// <param name="options">The intervals.</param>
    /// <param name="time">The clock of the intervals (the ages are the database's).</param>
    /// <param name="logger">The log.</param>
    public ReplicaHeartbeat(ReplicaRegistry registry, ReplicaIdentity identity, Func<ReplicaLoad> load, ClusterOptions options, TimeProvider time, ILogger logger)
    {
        _registry = registry;
        _identity = identity;
        _load = load;
        _options = options;
        _time = time;
        _logger = logger;
        _hardware = new HardwareRequirementCheck(identity.Labels, logger);
    }

    /// <summary>Rounds done since the start (the registration, then a heartbeat and a sweep each); a failed round does not count.</summary>
    public int Rounds => Volatile.Read(ref _rounds);

    /// <summary>Registers the replica and starts the heartbeat.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _registry.HeartbeatAsync(_identity, Measure(), cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _rounds);
        ClusterLog.Registered(_logger, _identity.Id, _identity.HttpAddress, _identity.Region, _options.HeartbeatInterval, _options.DownAfter);
        _loop = Task.Run(() => LoopAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Stops the heartbeat and marks the replica down (a clean stop: no one waits for the timeout).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        if (await _registry.MarkDownAsync(_identity.Id, cancellationToken).ConfigureAwait(false))
        {
            ClusterLog.Stopped(_logger, _identity.Id);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Without a clean stop the row stays up until the others' timeout, as after a crash.
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private ReplicaLoad Measure()
    {
        var load = _load();
        _hardware.Check(load);
        return load;
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HeartbeatInterval, _time, stop).ConfigureAwait(false);
                await _registry.HeartbeatAsync(_identity, Measure(), stop).ConfigureAwait(false);
                var down = await _registry.SweepAsync(_options.DownAfter, _options.ForgetAfter, stop).ConfigureAwait(false);
                if (down.Count > 0)
                {
                    ClusterLog.MarkedDown(_logger, _options.DownAfter, string.Join(", ", down));
                }

                Interlocked.Increment(ref _rounds);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                ClusterLog.HeartbeatFailed(_logger, _identity.Id, _options.HeartbeatInterval, e);
            }
        }
    }
}
