using System.Globalization;
using Usher.Cli.Admin;

namespace Usher.Cli.Optimize;

/// <summary>Prints a <see cref="QuantizationRecord"/> for people.</summary>
internal static class QuantizationReportView
{
    public static void Write(QuantizationRecord record, TextWriter writer)
    {
        var how = record.Mode == "int8" ? $"INT8, {record.Kernel} kernel, {record.WeightRange} weights" : "FP16 weights, FP32 inputs, outputs and arithmetic";
        writer.WriteLine($"{record.Model}: version {record.SourceVersion} -> {record.Version} ({how})");
        if (record.OpsChanged.Count > 0)
        {
            var groups = record.OpsChanged.GroupBy(c => (c.Op, c.Replacement)).Select(g => $"{g.Count()} {g.Key.Op} -> {g.Key.Replacement}");
            writer.WriteLine($"  changed:   {string.Join("; ", groups)}");
        }

        if (record.InitializersConverted > 0)
        {
            writer.WriteLine($"  converted: {record.InitializersConverted} FP32 weight tensors stored as FP16, each cast back to FP32 at load");
        }

        writer.WriteLine($"  kept FP32: {string.Join(", ", record.OpsKept.Select(k => $"{k.Key} {k.Value}"))}");
        foreach (var skipped in record.Skipped)
        {
            writer.WriteLine($"  skipped:   {skipped}");
        }

        writer.WriteLine($"  size:      {record.Bytes.Original:N0} -> {record.Bytes.Quantized:N0} bytes ({F(record.Bytes.Ratio, "0.00")}x)");
        var report = record.Report;
        writer.WriteLine();
        writer.WriteLine($"accuracy on {report.Rows} rows ({report.Inputs}):");
        var accuracy = new TextTable("output", "max abs err", "mean abs err", "relative L2", "top-1 agreement");
        foreach (var o in report.Outputs)
        {
            accuracy.Add(o.Name, F(o.MaxAbsError, "G4"), F(o.MeanAbsError, "G4"), F(o.RelativeL2 * 100, "0.000") + "%", o.Top1Agreement is { } a ? F(a * 100, "0.00") + "%" : "-");
        }

        accuracy.WriteTo(writer, "  ");
        writer.WriteLine();
        writer.WriteLine($"speed in process (one caller, {report.IntraOpThreads} intra-op thread(s)):");
        var speed = new TextTable("batch", "original rows/s", "p99 ms", "quantized rows/s", "p99 ms", "speed-up");
        foreach (var (original, quantized) in report.Speed.Original.Zip(report.Speed.Quantized))
        {
            speed.Add(
                original.Batch.ToString(CultureInfo.InvariantCulture),
                F(original.RowsPerSecond, "N0"),
                F(original.P99Ms, "0.000"),
                F(quantized.RowsPerSecond, "N0"),
                F(quantized.P99Ms, "0.000"),
                F(quantized.RowsPerSecond / original.RowsPerSecond, "0.00") + "x");
        }

        speed.WriteTo(writer, "  ");
        writer.WriteLine($"  best batch: original {report.Speed.OriginalBestBatch}, quantized {report.Speed.QuantizedBestBatch}");
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
