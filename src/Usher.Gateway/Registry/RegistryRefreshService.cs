using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Usher.Gateway.Configuration;
using Usher.Gateway.Hosting;

namespace Usher.Gateway.Registry;

/// <summary>
/// Reads the replica registry every <see cref="GatewayOptions.RefreshInterval"/> (on the injected
/// <see cref="TimeProvider"/>), publishes the snapshot for the per-request choice and, when replicas
/// came, went or moved, gives YARP new destinations. A failed read keeps the last snapshot.
/// </summary>
internal sealed partial class RegistryRefreshService(
    ReplicaTableReader reader,
    ReplicaRegistry registry,
    ReplicaProxyConfigProvider config,
    GatewayOptions options,
    TimeProvider time,
    ILogger<RegistryRefreshService> logger) : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Reads the registry once now (start-up, and tests that changed the table).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var next = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var previous = registry.Current;
            registry.Publish(next);
            if (!next.SameDestinations(previous))
            {
                config.Update(next);
                LogReplicasChanged(logger, next.Replicas.Count, string.Join(", ", next.Replicas.Keys));
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidDataException or TimeoutException)
            {
                LogReadFailed(logger, ex.Message);
            }

            try
            {
                await Task.Delay(options.RefreshInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = Core.Telemetry.LogEvents.GatewayRegistryReadFailed, Level = LogLevel.Warning, Message = "cannot read the replica registry: {Reason}; routing by the last snapshot read")]
    private static partial void LogReadFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = Core.Telemetry.LogEvents.GatewayReplicasChanged, Level = LogLevel.Information, Message = "replicas up: {Count} ({Ids})")]
    private static partial void LogReplicasChanged(ILogger logger, int count, string ids);
}
