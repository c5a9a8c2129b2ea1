using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace Usher.Backends.Onnx.Quantization;

/// <summary>
/// Runs an original model and a candidate (its quantized version, or a distilled student) in ONNX Runtime on the same inputs: compares
/// every output, then measures both at each batch size, alternating, in one process.
/// </summary>
internal static class ModelComparison
{
    private const int WarmupRuns = 3;
    private const int MinRuns = 10;
    private const int MaxAccuracyRuns = 256;

    /// <summary>
    /// Compares the models; false with the reason when one does not load or run. With
    /// <paramref name="calibration"/> the outputs are compared on those inputs; otherwise on generated ones.
    /// </summary>
    public static bool TryCompare(
        string originalPath,
        string quantizedPath,
        ComparisonSettings settings,
        IReadOnlyList<InputBatch>? calibration,
        IReadOnlyDictionary<string, NamedOnnxValue>? fixedValues,
        out ComparisonReport? report,
        out string? error)
    {
        report = null;
        fixedValues ??= new Dictionary<string, NamedOnnxValue>();
        using var options = new SessionOptions { IntraOpNumThreads = settings.IntraOpThreads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var original = Load(originalPath, options, "the original model", out error);
        using var quantized = original is null ? null : Load(quantizedPath, options, settings.Candidate, out error);
        if (original is null || quantized is null)
        {
            return false;
        }

        var random = new Random(settings.Seed);
        var dynamicBatch = InputFactory.HasDynamicBatch(original.InputMetadata, fixedValues);
        var batches = new List<InputBatch>();
        if (calibration is { Count: > 0 })
        {
            batches.AddRange(calibration);
        }
        else
        {
            var rowsPerRun = dynamicBatch ? 64 : 1;
            for (var rows = 0; rows < settings.AccuracyRows && batches.Count < MaxAccuracyRuns; rows += rowsPerRun)
            {
                var batch = InputFactory.Generate(original.InputMetadata, Math.Min(rowsPerRun, settings.AccuracyRows - rows), random, fixedValues, out error);
                if (batch is null)
                {
                    return false;
                }

                batches.Add(batch);
            }
        }

        var errors = original.OutputMetadata.Keys.ToDictionary(k => k, k => new OutputErrors(k), StringComparer.Ordinal);
        foreach (var batch in batches)
        {
            if (!TryRun(original, batch, "the original model", out var a, out error) || !TryRun(quantized, batch, settings.Candidate, out var b, out error))
            {
                return false;
            }

            using (a)
            using (b)
            {
                foreach (var value in a!)
                {
                    var other = b!.FirstOrDefault(v => v.Name == value.Name);
                    if (other is null || !errors[value.Name].Add(value, other))
                    {
                        error = $"output '{value.Name}': {settings.Candidate}'s differs in type or shape from the original's";
                        return false;
                    }
                }
            }
        }

        var originalSpeed = new List<SpeedPoint>();
        var quantizedSpeed = new List<SpeedPoint>();
        IEnumerable<InputBatch> speedInputs = dynamicBatch
            ? settings.BatchSizes.Select(size => InputFactory.Generate(original.InputMetadata, size, random, fixedValues, out _)!)
            : [batches[0]];
        foreach (var batch in speedInputs)
        {
            originalSpeed.Add(Measure(original, batch, settings.Time));
            quantizedSpeed.Add(Measure(quantized, batch, settings.Time));
        }

        var source = calibration is { Count: > 0 } ? "calibration file" : $"generated (seed {settings.Seed})";
        report = new ComparisonReport([.. errors.Values.Select(e => e.Result())], originalSpeed, quantizedSpeed, batches.Sum(b => b.Rows), source);
        return true;
    }

    private static InferenceSession? Load(string path, SessionOptions options, string what, out string? error)
    {
        try
        {
            error = null;
            return new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException ex)
        {
            error = $"{what} ({path}) does not load in ONNX Runtime: {ex.Message}";
            return null;
        }
    }

    private static bool TryRun(InferenceSession session, InputBatch batch, string what, out IDisposableReadOnlyCollection<DisposableNamedOnnxValue>? outputs, out string? error)
    {
        try
        {
            outputs = session.Run(batch.Values);
            error = null;
            return true;
        }
        catch (OnnxRuntimeException ex)
        {
            outputs = null;
            error = $"{what} failed to run on inputs of {batch.Rows} row(s): {ex.Message}";
            return false;
        }
    }

    // Back-to-back runs from one caller, for at least `time` and MinRuns runs.
    private static SpeedPoint Measure(InferenceSession session, InputBatch batch, TimeSpan time)
    {
        for (var i = 0; i < WarmupRuns; i++)
        {
            session.Run(batch.Values).Dispose();
        }

        var latencies = new List<double>();
        var start = Stopwatch.GetTimestamp();
        while (latencies.Count < MinRuns || Stopwatch.GetElapsedTime(start) < time)
        {
            var before = Stopwatch.GetTimestamp();
            session.Run(batch.Values).Dispose();
            latencies.Add(Stopwatch.GetElapsedTime(before).TotalMilliseconds);
        }

        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        latencies.Sort();
        return new SpeedPoint(batch.Rows, latencies.Count * batch.Rows / elapsed, Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.Count);
    }

    // Nearest rank on sorted values.
    private static double Percentile(List<double> sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}
