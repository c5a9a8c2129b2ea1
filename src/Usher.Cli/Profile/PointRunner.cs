using Usher.Cli.Bench;
using Usher.Core.Models;
using Usher.Core.Repository;
using Usher.Engine;

namespace Usher.Cli.Profile;

/// <summary>
/// Loads one point of the sweep in an <see cref="UsherEngine"/> (the server's pipeline: batcher,
/// instances, ONNX Runtime settings from <c>config.yaml</c>) and loads it with <c>usher bench</c>'s
/// closed loop (<see cref="LoadRunner"/>) in this process.
/// </summary>
internal sealed class PointRunner(ProfileSettings settings, ScratchRepository scratch, TimeProvider time)
{
    /// <summary>How often RSS is sampled under load for the peak.</summary>
    private static readonly TimeSpan MemorySampling = TimeSpan.FromMilliseconds(50);

    /// <summary>Loads <paramref name="point"/>; null with the problem when the version does not load.</summary>
    public async Task<LoadedPoint?> OpenAsync(PointConfig point, string versionDirectory, string? originalConfig, List<string> problems, CancellationToken cancellationToken)
    {
        var repository = scratch.Create(settings.Model, point.Version, versionDirectory, PointConfigYaml.For(originalConfig, point));
        var options = new UsherEngineOptions { Repository = new RepositoryOptions { Path = repository, LoadParallelism = 1 }, Models = [settings.Model] };
        var before = SettledRss();
        UsherEngine engine;
        try
        {
            engine = await UsherEngine.OpenAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (UsherEngineException ex)
        {
            problems.Add($"{point.Id}: {ex.Message}");
            return null;
        }

        var loaded = Environment.WorkingSet;
        var described = engine.Describe(settings.Model, point.Version);
        if (!described.IsSuccess)
        {
            problems.Add($"{point.Id}: {described.Error.Message}");
            await engine.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        var config = described.Value.Config;
        var resolved = point;
        if (point.IsDefault)
        {
            // What the model's own config.yaml runs with on this machine (ModelVersionLoader's rules).
            var instances = ModelVersionLoader.Instances(config);
            resolved = point with
            {
                Instances = instances,
                IntraOpThreads = ModelVersionLoader.IntraOpThreads(config, instances),
                BatchSize = BatchSize(config, described.Value.Signature),
            };
        }

        return new LoadedPoint(engine, resolved, described.Value.Signature, before, loaded);
    }

    /// <summary>Measures a loaded point; null with the problem when no input can be generated.</summary>
    public async Task<PointMeasurement?> MeasureAsync(LoadedPoint loaded, List<string> problems, CancellationToken cancellationToken)
    {
        var inputs = GeneratedInputs.Create(loaded.Signature, settings.Seed, out var problem);
        if (inputs is null)
        {
            problems.Add(problem!);
            return null;
        }

        var point = loaded.Config;
        var concurrency = settings.Concurrency ?? Concurrency(point);
        var runner = new LoadRunner(
            new BenchSettings(concurrency, null, settings.Warmup, settings.Duration, settings.Seed),
            () => new EngineSender(loaded.Engine, settings.Model, point.Version, inputs));
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var peak = SamplePeakAsync(loaded.RssLoaded, sampling.Token);
        BenchResult result;
        try
        {
            result = await runner.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await sampling.CancelAsync().ConfigureAwait(false);
        }

        var memory = MemoryFigures.From(loaded.RssBefore, loaded.RssLoaded, await peak.ConfigureAwait(false), point.Instances);
        return new PointMeasurement(point, concurrency, result.Throughput, result.LatencyMs.P50, result.LatencyMs.P99, result.Errors, memory);
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
