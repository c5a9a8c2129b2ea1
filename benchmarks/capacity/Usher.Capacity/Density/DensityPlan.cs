using System.Text;
using Usher.Capacity.Reports;

namespace Usher.Capacity.Density;

/// <summary>
/// Three ways to put <see cref="DensitySettings.Models"/> models on <see cref="DensitySettings.Replicas"/>
/// replicas: every model loaded everywhere; a memory budget with lazy load and LRU eviction behind a
/// plain load balancer (every replica sees every model); and the budget behind a model-aware gateway
/// that routes each model to <see cref="DensitySettings.Copies"/> replicas (each sees a slice).
/// </summary>
internal static class DensityPlan
{
    public static string Describe(DensitySettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var popularity = LruHitRate.Zipf(s.Models, s.ZipfExponent);
        var slots = (int)Math.Floor(s.BudgetMiB / s.ModelMiB);
        var perReplicaRps = s.TotalRps / s.Replicas;

        // Plain load balancing: each replica sees the whole popularity curve.
        var spreadHit = LruHitRate.Che(popularity, slots);

        // Model-aware routing: replica 0 holds the models whose rank is a multiple of Replicas / Copies (a fair slice of the curve).
        var stride = Math.Max(1, s.Replicas / s.Copies);
        var slice = popularity.Where((_, i) => i % stride == 0).ToArray();
        var sliceShare = slice.Sum() / popularity.Sum();
        var sliceRps = s.TotalRps * sliceShare / s.Copies;
        var sliceHit = LruHitRate.Che(slice, slots);

        var text = new StringBuilder();
        text.AppendLine($"{s.Models} models of {ReportText.F(s.ModelMiB, "0.#")} MiB on {s.Replicas} replicas (base {ReportText.F(s.BaseMiB, "0")} MiB), "
            + $"{ReportText.F(s.TotalRps, "0")} req/s in all, Zipf s = {ReportText.F(s.ZipfExponent, "0.##")}, cold start {ReportText.F(s.ColdStartMs, "0")} ms, "
            + $"budget {ReportText.F(s.BudgetMiB, "0")} MiB = {slots} models per replica");
        text.AppendLine();
        text.AppendLine("| placement | models loaded per replica | memory per replica MiB | req/s per replica | hit rate | cold starts per replica per s | requests that wait for a load |");
        text.AppendLine("|---|---|---|---|---|---|---|");
        Row(text, "all loaded everywhere (no budget)", s.Models, s.BaseMiB + (s.Models * s.ModelMiB), perReplicaRps, 1);
        Row(text, "budget + LRU, plain load balancer", slots, s.BaseMiB + (slots * s.ModelMiB), perReplicaRps, spreadHit);
        Row(text, $"budget + LRU, gateway routes each model to {s.Copies} replicas ({slice.Length} models each; the replica with the most popular model)",
            Math.Min(slots, slice.Length), s.BaseMiB + (Math.Min(slots, slice.Length) * s.ModelMiB), sliceRps, sliceHit);
        return text.ToString();
    }

    private static void Row(StringBuilder text, string name, int loaded, double memory, double rps, double hit) =>
        text.AppendLine($"| {name} | {loaded} | {ReportText.F(memory, "0")} | {ReportText.F(rps, "0.#")} | {ReportText.F(hit * 100, "0.##")}% "
            + $"| {ReportText.F(rps * (1 - hit), "0.###")} | {ReportText.F((1 - hit) * 100, "0.###")}% |");
}
