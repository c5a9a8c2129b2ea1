using System.Globalization;
using System.Text.Json;

namespace Usher.Cli.Profile;

/// <summary>
/// <c>usher profile</c>: loads a model version in process once per point of the sweep (the
/// model's own configuration first), measures each under closed-loop load, measures the contenders
/// for the recommendation again in interleaved rounds (<see cref="ProfileSettings.Repeats"/>), and
/// concludes on each point's median (<see cref="ProfileReport.Conclude"/>). Progress goes to
/// <c>progress</c>, the plan first with the sweep's expected duration.
/// </summary>
internal static class ProfileJob
{
    /// <summary>
    /// How many times a contender is measured by default. The quiet rightsize run of 2026-12-04
    /// measured one mlp-large 2-core point at 432 req/s in one profile that served 634, and the
    /// points' differences were smaller than such swings: three runs give a median that one outlier
    /// does not move, and a range to tell a real difference from noise.
    /// </summary>
    public const int DefaultRepeats = 3;

    /// <summary>How many of the fastest points (within the SLO less headroom, and within the SLO) are measured again besides the default.</summary>
    public const int Contenders = 3;

    private const string ModelFileName = "model.onnx";

    /// <summary>A rough allowance per point for loading and warming up the version, in the duration printed up front.</summary>
    private static readonly TimeSpan LoadAllowance = TimeSpan.FromSeconds(1);

    /// <summary>The report, or null with the problems (each naming what was expected).</summary>
    public static async Task<ProfileReport?> RunAsync(ProfileSettings settings, TextWriter progress, TimeProvider time, List<string> problems, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(problems);
        var modelDirectory = Path.Combine(settings.Repository, settings.Model);
        if (!Directory.Exists(modelDirectory))
        {
            problems.Add($"model '{settings.Model}' not found in {settings.Repository} (models: {List(Directory.EnumerateDirectories(settings.Repository).Select(Path.GetFileName).Where(n => n is { Length: > 0 } && n[0] != '.').Order(StringComparer.Ordinal)!)})");
            return null;
        }

        var versions = Versions(modelDirectory);
        if (versions.Count == 0)
        {
            problems.Add($"model '{settings.Model}' has no versions (expected {Path.Combine(modelDirectory, "<version>", ModelFileName)})");
            return null;
        }

        var version = settings.Version ?? versions[^1];
        if (!versions.Contains(version))
        {
            problems.Add($"--version {N(version)}: '{settings.Model}' has no {N(version)}/{ModelFileName} (versions: {List(versions.Select(N))})");
            return null;
        }

        var quantized = settings.IncludeQuantized ? QuantizedFrom(modelDirectory, versions, version) : [];
        var configPath = Path.Combine(modelDirectory, "config.yaml");
        var original = File.Exists(configPath) ? await File.ReadAllTextAsync(configPath, cancellationToken).ConfigureAwait(false) : null;
        using var scratch = new ScratchRepository();
        var runner = new PointRunner(settings, scratch, time);
        var defaultConfig = new PointConfig(version, null, 1, 1, 1, IsDefault: true);

        // The first server pays for ONNX Runtime's native library and for compiling Kestrel's, the
        // frontend's and the pipeline's code, which a long-running server has paid for before it is
        // measured: the process base includes them, a point does not. So it is loaded once, unmeasured.
        var primer = await runner.OpenAsync(defaultConfig, Dir(modelDirectory, version), original, problems, cancellationToken).ConfigureAwait(false);
        if (primer is null)
        {
            return null;
        }

        await using (primer.ConfigureAwait(false))
        {
            if (await runner.MeasureAsync(primer, problems, cancellationToken).ConfigureAwait(false) is null)
            {
                return null;
            }
        }

        var baseMiB = PointRunner.SettledRss() / (1024.0 * 1024.0);
        var loaded = await runner.OpenAsync(defaultConfig, Dir(modelDirectory, version), original, problems, cancellationToken).ConfigureAwait(false);
        if (loaded is null)
        {
            return null;
        }

        PointMeasurement? defaultPoint;
        ProfileGrid? grid;
        List<PointConfig> sweep;
        await using (loaded.ConfigureAwait(false))
        {
            grid = settings.Grid.FitModel(loaded.Signature.MaxBatchSize, problems);
            if (grid is null)
            {
                return null;
            }

            sweep = [.. new[] { version }.Concat(quantized).SelectMany(v => grid.BatchSizes.SelectMany(b => grid.Pairs.Select(p => new PointConfig(v, v == version ? null : version, b, p.Instances, p.Threads))))];
            WritePlan(progress, settings, version, quantized, grid, sweep.Count + 1);
            defaultPoint = await runner.MeasureAsync(loaded, problems, cancellationToken).ConfigureAwait(false);
            if (defaultPoint is null)
            {
                return null;
            }
        }

        var points = new List<PointMeasurement> { defaultPoint };
        WriteProgress(progress, 1, sweep.Count + 1, defaultPoint, "point");
        foreach (var point in sweep)
        {
            if (await MeasureAsync(runner, point, modelDirectory, original, problems, cancellationToken).ConfigureAwait(false) is not { } measured)
            {
                return null;
            }

            points.Add(measured);
            WriteProgress(progress, points.Count, sweep.Count + 1, measured, "point");
        }

        var runs = points.Select(p => new List<PointMeasurement> { p }).ToList();
        var contenders = Recommender.Contenders(points, settings.SloP99Ms, settings.SloHeadroom, Contenders).Select(p => points.IndexOf(p)).ToList();
        if (settings.Repeats > 1)
        {
            progress.WriteLine(
                $"  measuring {N(contenders.Count)} contender(s) {N(settings.Repeats - 1)} more time(s), interleaved, to take each one's median and spread "
                + $"({string.Join(", ", contenders.Select(i => points[i].Config.Id))}): about {S(Expected(settings, contenders.Count * (settings.Repeats - 1)))} s");
        }

        for (var round = 2; round <= settings.Repeats; round++)
        {
            // Alternate the order, so that drift over the rounds does not always favour the same points.
            foreach (var index in round % 2 == 0 ? Enumerable.Reverse(contenders) : contenders)
            {
                var point = points[index].Config.IsDefault ? defaultConfig : points[index].Config;
                if (await MeasureAsync(runner, point, modelDirectory, original, problems, cancellationToken).ConfigureAwait(false) is not { } measured)
                {
                    return null;
                }

                runs[index].Add(measured);
                WriteProgress(progress, round, settings.Repeats, measured, "run");
            }
        }

        var medians = runs.Select(PointMeasurement.Median).ToList();
        return ProfileReport.Conclude(settings, version, quantized, grid, baseMiB, medians[0], medians);
    }

    // Loads the point's server, measures it and stops it; null with the problem when either fails.
    private static async Task<PointMeasurement?> MeasureAsync(PointRunner runner, PointConfig point, string modelDirectory, string? original, List<string> problems, CancellationToken cancellationToken)
    {
        var opened = await runner.OpenAsync(point, Dir(modelDirectory, point.Version), original, problems, cancellationToken).ConfigureAwait(false);
        if (opened is null)
        {
            return null;
        }

        await using (opened.ConfigureAwait(false))
        {
            return await runner.MeasureAsync(opened, problems, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The sweep's expected duration: per point the warm-up, the measured window and a load allowance.</summary>
    public static TimeSpan Expected(ProfileSettings settings, int points)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return (settings.Warmup + settings.Duration + LoadAllowance) * points;
    }

    private static void WritePlan(TextWriter progress, ProfileSettings settings, long version, IReadOnlyList<long> quantized, ProfileGrid grid, int points)
    {
        var versions = quantized.Count == 0 ? $"version {N(version)}" : $"versions {N(version)} and {List(quantized.Select(N))} (quantized from {N(version)})";
        progress.WriteLine(
            $"usher profile: {settings.Model} {versions} on {N(grid.Cores)} core(s): {N(points)} points (the model's own config.yaml, then batch sizes {string.Join(",", grid.BatchSizes.Select(b => N(b)))} "
            + $"x instances/threads {string.Join(' ', grid.Pairs.Select(p => $"{N(p.Instances)}x{N(p.Threads)}"))}), "
            + $"each a server in this process loaded by usher bench ({settings.Protocol}), {S(settings.Warmup)} s warm-up + {S(settings.Duration)} s measured, "
            + $"after one unmeasured run that warms the process up: about {S(Expected(settings, points + 1))} s"
            + (settings.Repeats > 1 ? $", then the default and up to {N(2 * Contenders)} contenders measured {N(settings.Repeats)} times in all (--repeats)" : ""));
    }

    private static void WriteProgress(TextWriter progress, int index, int count, PointMeasurement p, string what)
        => progress.WriteLine(
            $"  [{what} {N(index)}/{N(count)}] {p.Config.Id}: {p.Throughput.ToString("N0", CultureInfo.InvariantCulture)} req/s, p50 {p.P50Ms.ToString("0.###", CultureInfo.InvariantCulture)} ms, "
            + $"p99 {p.P99Ms.ToString("0.###", CultureInfo.InvariantCulture)} ms, +{p.Memory.PeakMiB.ToString("0.#", CultureInfo.InvariantCulture)} MiB"
            + (p.Errors > 0 ? $", {N(p.Errors)} errors" : ""));

    /// <summary>Versions (ascending) with a model file.</summary>
    private static List<long> Versions(string modelDirectory)
        => [.. Directory.EnumerateDirectories(modelDirectory)
            .Where(d => File.Exists(Path.Combine(d, ModelFileName)))
            .Select(Path.GetFileName)
            .Select(name => long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : 0)
            .Where(v => v > 0)
            .Order()];

    /// <summary>The versions whose <c>quantization.json</c> names <paramref name="source"/> as their source version.</summary>
    private static List<long> QuantizedFrom(string modelDirectory, IReadOnlyList<long> versions, long source)
    {
        var found = new List<long>();
        foreach (var v in versions.Where(v => v != source))
        {
            var report = Path.Combine(Dir(modelDirectory, v), Optimize.QuantizeJob.ReportFileName);
            if (!File.Exists(report))
            {
                continue;
            }

            try
            {
                using var json = JsonDocument.Parse(File.ReadAllBytes(report));
                if (json.RootElement.TryGetProperty("source_version", out var from) && from.TryGetInt64(out var s) && s == source)
                {
                    found.Add(v);
                }
            }
            catch (JsonException)
            {
                // A report that does not parse says nothing about where the version came from.
            }
        }

        return found;
    }

    private static string Dir(string modelDirectory, long version) => Path.Combine(modelDirectory, N(version));

    private static string List(IEnumerable<string> items) => items.ToList() is { Count: > 0 } l ? string.Join(", ", l) : "none";

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string S(TimeSpan span) => span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
}
