using System.Globalization;
using System.Text.Json;

namespace Usher.Cli.Admin;

/// <summary>
/// Prints the <c>shadow</c> object of a rollout status: what is mirrored, the agreement with its
/// interval, score differences and drift, both versions' latency, the gate, the confusion of the
/// two versions' labels, and the last disagreeing requests.
/// </summary>
internal static class ShadowStatusView
{
    /// <summary>Input and output values shown per tensor of a disagreement.</summary>
    public const int ValuesShown = 4;

    public static void Write(JsonElement shadow, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine(
            $"shadow: {JsonFields.Text(shadow, "shadow")} gets {JsonFields.Text(shadow, "percent")}% of {JsonFields.Text(shadow, "primary")}'s requests since {JsonFields.Time(shadow, "since")}: "
            + $"{JsonFields.Text(shadow, "pairs")} pairs compared, {JsonFields.Text(shadow, "failed")} failed, {JsonFields.Text(shadow, "dropped")} dropped (queue {JsonFields.Text(shadow, "queued")}/{JsonFields.Text(shadow, "queue_capacity")})");

        var facts = new TextTable();
        if (JsonFields.Get(shadow, "agreement") is { } a)
        {
            var rate = JsonFields.Number(a, "rate") ?? 0;
            facts.Add("agreement", $"{Basis(JsonFields.Text(a, "basis"))} {JsonFields.Text(a, "agreed")}/{JsonFields.Text(a, "compared")} = {JsonFields.Percent(Round(rate))} (95% CI {JsonFields.Percent(Round(JsonFields.Number(a, "ci_low") ?? 0))} to {JsonFields.Percent(Round(JsonFields.Number(a, "ci_high") ?? 1))})");
        }

        if (JsonFields.Get(shadow, "scores") is { } s && JsonFields.Number(s, "rows") is > 0)
        {
            var ks = JsonFields.Number(s, "ks_d") is { } d ? $", KS D {N(d)} (p {N(JsonFields.Number(s, "ks_p") ?? 1)})" : "";
            facts.Add("scores", $"mean |diff| {N(JsonFields.Number(s, "mean_abs_diff") ?? 0)}, max |diff| {N(JsonFields.Number(s, "max_abs_diff") ?? 0)} over {JsonFields.Text(s, "rows")} rows; PSI {N(JsonFields.Number(s, "psi") ?? 0)}{ks}");
        }

        if (JsonFields.Get(shadow, "latency_ms") is { } l)
        {
            facts.Add("latency", $"p50 {Ms(l, "shadow_p50")} vs {Ms(l, "primary_p50")} primary; p99 {Ms(l, "shadow_p99")} vs {Ms(l, "primary_p99")} primary ({JsonFields.Text(l, "samples")} pairs)");
        }

        if (JsonFields.Get(shadow, "gate") is { ValueKind: JsonValueKind.Object } g)
        {
            var passed = JsonFields.Get(g, "passed") is { ValueKind: JsonValueKind.True };
            facts.Add("gate", $"{(passed ? "passed" : "not yet")}: {JsonFields.Text(g, "detail")}");
        }
        else
        {
            facts.Add("gate", "none: `usher rollout promote` starts the canary, `usher rollout rollback` stops mirroring");
        }

        facts.WriteTo(writer, "  ");
        WriteConfusion(shadow, writer);
        WriteDisagreements(shadow, writer);
    }

    private static void WriteConfusion(JsonElement shadow, TextWriter writer)
    {
        var cells = JsonFields.Items(shadow, "confusion")
            .Select(c => (P: JsonFields.Text(c, "primary"), S: JsonFields.Text(c, "shadow"), Count: JsonFields.Text(c, "count")))
            .ToList();
        if (cells.Count == 0)
        {
            return;
        }

        var shadowLabels = cells.Select(c => c.S).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        writer.WriteLine("  labels (rows: primary, columns: shadow):");
        var table = new TextTable(["", .. shadowLabels]);
        foreach (var primary in cells.Select(c => c.P).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            table.Add([primary, .. shadowLabels.Select(s => cells.FirstOrDefault(c => c.P == primary && c.S == s).Count ?? "0")]);
        }

        table.WriteTo(writer, "    ");
    }

    private static void WriteDisagreements(JsonElement shadow, TextWriter writer)
    {
        var items = JsonFields.Items(shadow, "disagreements").ToList();
        if (items.Count == 0)
        {
            return;
        }

        writer.WriteLine($"  last {items.Count} disagreements (newest last; all values in the admin API's JSON):");
        foreach (var d in items)
        {
            var shadowSide = JsonFields.Get(d, "shadow_outputs") is { ValueKind: JsonValueKind.Array } ? Tensors(d, "shadow_outputs") : "error " + JsonFields.Text(d, "error");
            writer.WriteLine($"    {JsonFields.Time(d, "at")}  in {Tensors(d, "inputs")}  primary {Tensors(d, "primary_outputs")}  shadow {shadowSide}");
        }
    }

    private static string Tensors(JsonElement d, string name)
        => string.Join(" ", JsonFields.Items(d, name).Select(t =>
        {
            var values = JsonFields.Items(t, "data").Select(v => v.ValueKind == JsonValueKind.Number ? N(v.GetDouble()) : JsonFields.Format(v)).ToList();
            var more = values.Count > ValuesShown || JsonFields.Get(t, "truncated") is { ValueKind: JsonValueKind.True } ? ", ..." : "";
            return $"{JsonFields.Text(t, "name")}=[{string.Join(", ", values.Take(ValuesShown))}{more}]";
        }));

    private static string Basis(string basis) => basis switch
    {
        "label" => "top-1 label",
        "score" => "score within tolerance",
        "output" => "whole output",
        _ => basis,
    };

    private static double Round(double fraction) => Math.Round(fraction, 4);

    private static string N(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Ms(JsonElement latency, string name) => (JsonFields.Number(latency, name) ?? 0).ToString("0.###", CultureInfo.InvariantCulture) + " ms";
}
