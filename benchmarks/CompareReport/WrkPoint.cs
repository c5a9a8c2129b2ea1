using System.Text.Json;

namespace CompareReport;

/// <summary>
/// One <c>wrk</c> point: a model on a server at a concurrency (connections), REST JSON, from the result line of
/// <c>benchmarks/compare/post.lua</c> (closed loop) or of <c>benchmarks/lib/paced.lua</c> (paced: <see cref="Rate"/>
/// is the requests/s it was to hold, <see cref="Late"/> the requests it started over 10 ms behind their slot).
/// <see cref="Round"/> is the target round it belongs to (null: the sweep).
/// </summary>
internal sealed record WrkPoint(string Model, string Server, int Concurrency, double Throughput, double P50, double P99, long Errors, double? Rate = null, long? Late = null, int? Round = null)
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
            wrk.GetProperty("errors").GetInt64(),
            root.TryGetProperty("rate", out var rate) ? rate.GetDouble() : null,
            wrk.TryGetProperty("late", out var late) ? late.GetInt64() : null,
            root.TryGetProperty("round", out var round) ? round.GetInt32() : null);
    }
}
