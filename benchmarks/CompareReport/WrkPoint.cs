using System.Text.Json;

namespace CompareReport;

/// <summary>One <c>wrk</c> point: a model on a server at a concurrency, REST JSON, from <c>benchmarks/compare/post.lua</c>'s result line.</summary>
internal sealed record WrkPoint(string Model, string Server, int Concurrency, double Throughput, double P50, double P99, long Errors)
{
    public static WrkPoint Read(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        var wrk = root.GetProperty("wrk");
        return new WrkPoint(
            root.GetProperty("model").GetString()!,
            root.GetProperty("server").GetString()!,
            root.GetProperty("concurrency").GetInt32(),
            wrk.GetProperty("throughput").GetDouble(),
            wrk.GetProperty("p50_ms").GetDouble(),
            wrk.GetProperty("p99_ms").GetDouble(),
            wrk.GetProperty("errors").GetInt64());
    }
}
