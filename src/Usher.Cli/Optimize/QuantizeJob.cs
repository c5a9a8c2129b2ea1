using System.Globalization;
using System.Text.Json;
using Usher.Backends.Onnx.Quantization;

namespace Usher.Cli.Optimize;

/// <summary>
/// Quantizes one version of a model into a new version directory of the same model: the new
/// <c>model.onnx</c> and <c>quantization.json</c> (what changed, sizes, and the accuracy-and-speed
/// report of both versions measured in one run). The directory is assembled aside and moved into
/// place, so a server watching the repository never sees half a version.
/// </summary>
internal static class QuantizeJob
{
    /// <summary>The report's file name beside <c>model.onnx</c>.</summary>
    public const string ReportFileName = "quantization.json";

    private const string ModelFileName = "model.onnx";

    /// <summary>
    /// Quantizes and measures; the record, or null with the problem. The version is written only when
    /// <paramref name="accept"/> (given the record) says so; <paramref name="written"/> tells which.
    /// <paramref name="logged"/> are the requests read from <see cref="QuantizeSettings.FromLog"/> (<see cref="RequestLogCalibration"/>).
    /// </summary>
    public static QuantizationRecord? Run(QuantizeSettings settings, Func<QuantizationRecord, bool> accept, out bool written, out string? problem, IReadOnlyList<InputBatch>? logged = null)
    {
        written = false;
        problem = null;
        var modelDirectory = Path.Combine(settings.Repository, settings.Model);
        if (!Directory.Exists(modelDirectory))
        {
            problem = $"model '{settings.Model}' not found in {settings.Repository}";
            return null;
        }

        var versions = Versions(modelDirectory);
        var source = Path.Combine(modelDirectory, Number(settings.Version), ModelFileName);
        if (!File.Exists(source))
        {
            problem = $"--version {settings.Version}: '{settings.Model}' has no {Number(settings.Version)}/{ModelFileName} (versions: {(versions.Count == 0 ? "none" : string.Join(", ", versions))})";
            return null;
        }

        var target = settings.ToVersion ?? (versions.Count == 0 ? 1 : versions.Max() + 1);
        var targetDirectory = Path.Combine(modelDirectory, Number(target));
        if (Directory.Exists(targetDirectory))
        {
            problem = $"--to-version {target}: {targetDirectory} exists; pick a free version number or leave --to-version out (the next free one)";
            return null;
        }

        var calibration = settings.Calibration is null ? logged : CalibrationFile.Read(settings.Calibration, out problem);
        if (settings.Calibration is not null && calibration is null)
        {
            return null;
        }

        if (!ModelQuantizer.TryQuantize(source, settings.Options, out var quantized, out problem))
        {
            problem = $"{settings.Model} version {settings.Version}: {problem}";
            return null;
        }

        var staging = Path.Combine(modelDirectory, $".{Number(target)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(staging);
        try
        {
            var stagedModel = Path.Combine(staging, ModelFileName);
            File.WriteAllBytes(stagedModel, quantized!.Bytes);
            if (!ModelComparison.TryCompare(source, stagedModel, settings.Comparison, calibration, null, out var report, out problem))
            {
                return null;
            }

            if (settings.FromLog is not null && logged is not null)
            {
                report = report! with { Inputs = $"request log {settings.FromLog} ({logged.Count} requests)" };
            }

            var record = ToRecord(settings, target, quantized, new FileInfo(source).Length, report!);
            if (accept(record))
            {
                File.WriteAllText(Path.Combine(staging, ReportFileName), JsonSerializer.Serialize(record, OptimizeJsonContext.Default.QuantizationRecord));
                Directory.Move(staging, targetDirectory);
                written = true;
            }

            return record;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    private static QuantizationRecord ToRecord(QuantizeSettings settings, long target, QuantizedModel quantized, long originalBytes, ComparisonReport report)
    {
        var options = settings.Options;
        var int8 = options.Mode == QuantizationMode.Int8;
        static SpeedPointRecord Point(SpeedPoint p) => new(p.Batch, Math.Round(p.RowsPerSecond, 1), Math.Round(p.P50Ms, 4), Math.Round(p.P99Ms, 4), p.Runs);
        return new QuantizationRecord(
            settings.Model,
            settings.Version,
            target,
            int8 ? "int8" : "fp16",
            int8 ? (options.Kernel == Int8Kernel.Fused ? "fused" : "portable") : null,
            int8 ? (options.ReduceRange ? "reduced (7-bit)" : "full (8-bit)") : null,
            [.. quantized.Changed.Select(c => new OpChangeRecord(c.Node, c.OpType, c.Replacement))],
            quantized.Kept,
            quantized.Skipped,
            quantized.ConvertedInitializers,
            new SizeRecord(originalBytes, quantized.Bytes.Length, Math.Round((double)quantized.Bytes.Length / originalBytes, 4)),
            new ReportRecord(
                report.Inputs,
                report.Rows,
                settings.Comparison.IntraOpThreads,
                report.Top1Agreement,
                [.. report.Outputs.Select(o => new OutputRecord(o.Output, o.MaxAbsError, o.MeanAbsError, o.RelativeL2, o.Top1Agreement))],
                new SpeedRecord(
                    [.. report.Original.Select(Point)],
                    [.. report.Quantized.Select(Point)],
                    ComparisonReport.Best(report.Original).Batch,
                    ComparisonReport.Best(report.Quantized).Batch)));
    }

    internal static List<long> Versions(string modelDirectory)
        => [.. Directory.EnumerateDirectories(modelDirectory)
            .Select(Path.GetFileName)
            .Select(name => long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : 0)
            .Where(v => v > 0)
            .Order()];

    private static string Number(long version) => version.ToString(CultureInfo.InvariantCulture);
}
