using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Usher.Core.Models;
using Usher.Core.Repository;
using Usher.Server.Admin;
using Usher.Server.Hosting;

namespace Usher.Cli.Profile;

/// <summary>
/// Serves one point of the sweep from a server in this process (<see cref="UsherServer"/>: Kestrel
/// on loopback, the REST and gRPC frontends, the batcher, instances, ONNX Runtime settings from
/// <c>config.yaml</c>), and loads it with <c>usher bench</c> in a process of its own
/// (<see cref="BenchClient"/>), so that what this process spends is the server's alone.
/// </summary>
internal sealed class PointRunner(ProfileSettings settings, ScratchRepository scratch, TimeProvider time)
{
    /// <summary>How often RSS is sampled under load for the peak.</summary>
    private static readonly TimeSpan MemorySampling = TimeSpan.FromMilliseconds(50);

    /// <summary>How often the version's state is looked at while it loads.</summary>
    private static readonly TimeSpan LoadPolling = TimeSpan.FromMilliseconds(20);

    /// <summary>How long a version may take to load and warm up.</summary>
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Where the client runs: the machine's other cores when there are any (read once).</summary>
    private readonly string? _clientCores = ClientPlacement.OtherCores();

    /// <summary>Loads <paramref name="point"/>; null with the problem when the version does not load.</summary>
    public async Task<LoadedPoint?> OpenAsync(PointConfig point, string versionDirectory, string? originalConfig, List<string> problems, CancellationToken cancellationToken)
    {
        var repository = scratch.Create(settings.Model, point.Version, versionDirectory, PointConfigYaml.For(originalConfig, point));
        var before = SettledRss();
        var grpc = settings.Protocol == "grpc";
        var serverSettings = UsherSettings.Create(
            new ServerOptions { Host = "127.0.0.1", HttpPort = 0, GrpcPort = grpc ? 0 : -1 },
            new RepositoryOptions { Path = repository, LoadParallelism = 1 },
            admin: new AdminOptions { DataDir = repository + "-state" });

        // The server's log would interleave with the report; a version that fails to load says why below.
        var app = UsherServer.Build(serverSettings, b => b.Logging.ClearProviders());
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var loadedPoint = await WaitLoadedAsync(app, point, problems, cancellationToken).ConfigureAwait(false);

        // Measured from ready on, as a client would: after the warm-up through the frontends.
        await app.Services.GetRequiredService<Usher.Server.Frontends.FrontendWarmup>().Finished.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (loadedPoint is not { } version)
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        var loaded = Environment.WorkingSet;
        var (config, signature) = version;
        var resolved = point;
        if (point.IsDefault)
        {
            // What the model's own config.yaml runs with on this machine (ModelVersionLoader's rules).
            var instances = ModelVersionLoader.Instances(config);
            resolved = point with
            {
                Instances = instances,
                IntraOpThreads = ModelVersionLoader.IntraOpThreads(config, instances),
                BatchSize = BatchSize(config, signature),
            };
        }

        var endpoints = app.Services.GetRequiredService<ListenEndpoints>();
        var url = new Uri($"http://127.0.0.1:{endpoints.HttpPort}/");
        Uri? grpcUrl = endpoints.GrpcPort is { } g ? new Uri($"http://127.0.0.1:{g}/") : null;
        return new LoadedPoint(app, url, grpcUrl, resolved, signature, before, loaded);
    }

    /// <summary>Measures a loaded point; null with the problem when the client fails.</summary>
    public async Task<PointMeasurement?> MeasureAsync(LoadedPoint loaded, List<string> problems, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var point = loaded.Config;
        var concurrency = settings.Concurrency ?? Concurrency(point);
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var peak = SamplePeakAsync(loaded.RssLoaded, sampling.Token);
        var cpuBefore = Environment.CpuUsage.TotalTime;
        ClientRun? run;
        TimeSpan serverCpu;
        try
        {
            run = await BenchClient.RunAsync(settings, loaded, concurrency, _clientCores, problems, cancellationToken).ConfigureAwait(false);
            serverCpu = Environment.CpuUsage.TotalTime - cpuBefore;
        }
        finally
        {
            await sampling.CancelAsync().ConfigureAwait(false);
        }

        var memory = MemoryFigures.From(loaded.RssBefore, loaded.RssLoaded, await peak.ConfigureAwait(false), point.Instances);
        if (run is null)
        {
            return null;
        }

        var load = ServerLoad.From(settings.Grid.Cores, run.Throughput, serverCpu, run.Answered, run.ClientCpuUsPerRequest, _clientCores);
        return new PointMeasurement(point, concurrency, load.Predicted, run.P50Ms, run.P99Ms, run.Errors, memory, load);
    }

    /// <summary>Waits for the background loader to finish <paramref name="point"/>'s version: its configuration and signature, or null with the reason it failed.</summary>
    private async Task<(ModelConfig Config, ModelSignature Signature)?> WaitLoadedAsync(WebApplication app, PointConfig point, List<string> problems, CancellationToken cancellationToken)
    {
        var models = app.Services.GetRequiredService<ModelManager>();
        var started = time.GetTimestamp();
        while (true)
        {
            var entry = models.Find(settings.Model);
            var slot = entry?.Find(point.Version);
            if (slot?.State == ModelState.Ready)
            {
                var lease = models.Acquire(settings.Model, point.Version);
                if (lease.IsSuccess)
                {
                    try
                    {
                        return (lease.Value.Config, lease.Value.Signature);
                    }
                    finally
                    {
                        lease.Value.Release();
                    }
                }
            }

            if (entry is { IsLoading: false } && slot?.State is not ModelState.Loading and not ModelState.Ready)
            {
                problems.Add($"{point.Id}: {slot?.Reason ?? entry.Reason ?? "the version did not load"}");
                return null;
            }

            if (time.GetElapsedTime(started) > LoadTimeout)
            {
                problems.Add($"{point.Id}: the version did not load within {LoadTimeout.TotalSeconds:0} s");
                return null;
            }

            await Task.Delay(LoadPolling, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Closed-loop requests in flight that keep every instance busy with full batches and one more
    /// batch waiting each: 2 x batch size x instances.
    /// </summary>
    public static int Concurrency(PointConfig point) => Math.Max(2, 2 * point.BatchSize * point.Instances);

    /// <summary>The process's RSS with the garbage of earlier points collected, bytes.</summary>
    public static long SettledRss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Environment.WorkingSet;
    }

    private static int BatchSize(ModelConfig config, ModelSignature signature)
        => config.DynamicBatching is null || !signature.IsBatched ? 1 : Math.Max(1, config.DynamicBatching.MaxBatchSize ?? signature.MaxBatchSize);

    private async Task<long> SamplePeakAsync(long start, CancellationToken cancellationToken)
    {
        var peak = start;
        using var timer = new PeriodicTimer(MemorySampling, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                peak = Math.Max(peak, Environment.WorkingSet);
            }
        }
        catch (OperationCanceledException)
        {
            // Sampling stops with the load.
        }

        return Math.Max(peak, Environment.WorkingSet);
    }
}
