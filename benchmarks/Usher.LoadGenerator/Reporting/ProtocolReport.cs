using System.Globalization;
using System.Text;

namespace Usher.LoadGenerator.Reporting;

/// <summary>
/// The transport comparison (<c>benchmarks/run-protocols.sh</c>): the same tensors over REST JSON,
/// REST binary and gRPC raw, per model and concurrency, with throughput ratios to JSON and the
/// target for 1 MB inputs.
/// </summary>
internal sealed class ProtocolReport(IReadOnlyList<BenchmarkRecord> records, MachineInfo machine, ReportContext context)
{
    /// <summary>Binary and gRPC raw must carry a 1 MB input at least this many times faster than JSON.</summary>
    public const double WideTarget = 5.0;

    private static readonly string[] Protocols = ["rest", "rest-binary", "grpc-raw"];

    public string Render()
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("## Transports: REST JSON, REST binary, gRPC raw");
        md.AppendLine();
        md.AppendLine("The same tensors sent three ways to one Usher (batching off): JSON (`data` arrays), the binary");
        md.AppendLine("tensor data extension (JSON header + raw little-endian blobs, outputs asked for as binary), and");
        md.AppendLine("gRPC `ModelInfer` with `raw_input_contents` over h2c. `mlp-large`: one row of 1024 FP32 (4 KB),");
        md.AppendLine("3×1024 MatMuls; `wide-input`: one row of 262,144 FP32 (1 MiB) reduced to its mean (almost no compute).");
        md.AppendLine("Written by `benchmarks/run-protocols.sh`; rerun it rather than editing this section.");
        md.AppendLine();
        md.AppendLine("Reading it: the load generator runs on the same 2 cores as the server, so a protocol whose client");
        md.AppendLine("costs more leaves less CPU to the server. REST binary sends and receives bytes with no number");
        md.AppendLine("formatting on either side and no copy on the server. gRPC raw decodes almost as cheaply (one copy,");
        md.AppendLine("the protobuf parser's; see the decode benchmark above) but Grpc.Net.Client and HTTP/2 framing cost");
        md.AppendLine("more per call than HTTP/1.1, on both ends of the same 2 cores, so it trails REST binary here.");
        md.AppendLine();
        md.AppendLine(string.Create(c, $"- Machine: {machine.CpuModel}, {machine.LogicalCores} logical cores (shared with the load generator); {machine.Os}; {machine.Runtime}{(context.Sdk is null ? string.Empty : ", SDK " + context.Sdk)}"));
        md.AppendLine(string.Create(c, $"- Date: {context.Date:yyyy-MM-dd HH:mm} UTC; command: `{context.Command}`"));
        var first = records[0].Result;
        md.AppendLine(string.Create(c, $"- Each point: {first.DurationSeconds} s measured after {first.WarmupSeconds} s of warm-up, {records.Max(r => r.Round)} round(s), protocols interleaved; medians over rounds"));
        if (context.Quick)
        {
            md.AppendLine("- **Smoke run (`--quick`): too short to quote.**");
        }

        md.AppendLine();
        md.AppendLine("| Model | Concurrency | Protocol | Requests/s | vs JSON | p50 ms | p99 ms | Errors |");
        md.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|");
        var points = records.GroupBy(r => (r.Model, r.Config, r.Concurrency)).ToDictionary(g => g.Key, g => new Point([.. g]));
        foreach (var model in records.Select(r => r.Model).Distinct(StringComparer.Ordinal))
        {
            foreach (var concurrency in records.Where(r => r.Model == model).Select(r => r.Concurrency).Distinct().Order())
            {
                points.TryGetValue((model, "rest", concurrency), out var json);
                foreach (var protocol in Protocols)
                {
                    if (!points.TryGetValue((model, protocol, concurrency), out var point))
                    {
                        continue;
                    }

                    var ratio = json is null || json.RequestsPerSecond == 0 ? "–" : string.Create(c, $"{point.RequestsPerSecond / json.RequestsPerSecond:F2}x");
                    md.AppendLine(string.Create(c, $"| `{model}` | {concurrency} | {protocol} | {point.RequestsPerSecond:F1} | {ratio} | {point.P50:F2} | {point.P99:F2} | {point.Errors} |"));
                }
            }
        }

        md.AppendLine();
        md.AppendLine("### Target");
        md.AppendLine();
        md.AppendLine("| Target | Measured | Verdict |");
        md.AppendLine("|---|---|---|");
        foreach (var concurrency in records.Where(r => r.Model == "wide-input").Select(r => r.Concurrency).Distinct().Order())
        {
            if (!points.TryGetValue(("wide-input", "rest", concurrency), out var json) || json.RequestsPerSecond == 0)
            {
                continue;
            }

            foreach (var protocol in Protocols.Skip(1))
            {
                if (points.TryGetValue(("wide-input", protocol, concurrency), out var point))
                {
                    var ratio = point.RequestsPerSecond / json.RequestsPerSecond;
                    md.AppendLine(string.Create(c, $"| `wide-input` (1 MiB in), concurrency {concurrency}: {protocol} / JSON throughput ≥ {WideTarget:F0}x | {ratio:F2}x | {(ratio >= WideTarget ? "MET" : "MISSED")} |"));
                }
            }
        }

        return md.ToString();
    }
}
