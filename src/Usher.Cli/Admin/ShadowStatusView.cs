using System.Globalization;
using System.Text.Json;
using Usher.ControlPlane.Api;

namespace Usher.Cli.Admin;

/// <summary>
/// Prints the <c>shadow</c> object of a rollout status (a <see cref="ShadowReportDto"/>): what is
/// mirrored, the agreement with its interval, score differences and drift, both versions' latency, the
/// gate, the confusion of the two versions' labels, and the last disagreeing requests.
/// </summary>
internal static class ShadowStatusView
{
    /// <summary>Input and output values shown per tensor of a disagreement.</summary>
    public const int ValuesShown = 4;

    public static void Write(ShadowReportDto shadow, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(shadow);
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine(
            $"shadow: {JsonFields.Text(shadow.Shadow)} gets {JsonFields.Text(shadow.Percent)}% of {JsonFields.Text(shadow.Primary)}'s requests since {JsonFields.Time(shadow.Since)}: "
            + $"{JsonFields.Text(shadow.Pairs)} pairs compared, {JsonFields.Text(shadow.Failed)} failed, {JsonFields.Text(shadow.Dropped)} dropped (queue {JsonFields.Text(shadow.Queued)}/{JsonFields.Text(shadow.QueueCapacity)})");

        var facts = new TextTable();
        if (shadow.Agreement is { } a)
        {
            facts.Add("agreement", $"{Basis(JsonFields.Text(a.Basis))} {JsonFields.Text(a.Agreed)}/{JsonFields.Text(a.Compared)} = {JsonFields.Percent(Round(a.Rate))} (95% CI {JsonFields.Percent(Round(a.CiLow))} to {JsonFields.Percent(Round(a.CiHigh))})");
        }

        if (shadow.Scores is { Rows: > 0 } s)
        {
            var ks = s.KsD is { } d ? $", KS D {N(d)} (p {N(s.KsP ?? 1)})" : "";
            facts.Add("scores", $"mean |diff| {N(s.MeanAbsDiff)}, max |diff| {N(s.MaxAbsDiff)} over {JsonFields.Text(s.Rows)} rows; PSI {N(s.Psi ?? 0)}{ks}");
        }

        if (shadow.LatencyMs is { } l)
        {
            facts.Add("latency", $"p50 {Ms(l.ShadowP50)} vs {Ms(l.PrimaryP50)} primary; p99 {Ms(l.ShadowP99)} vs {Ms(l.PrimaryP99)} primary ({JsonFields.Text(l.Samples)} pairs)");
        }

        facts.Add("gate", shadow.Gate is { } g
            ? $"{(g.Passed ? "passed" : "not yet")}: {JsonFields.Text(g.Detail)}"
            : "none: `usher rollout promote` starts the canary, `usher rollout rollback` stops mirroring");
        facts.WriteTo(writer, "  ");
        WriteConfusion(shadow.Confusion ?? [], writer);
        WriteDisagreements(shadow.Disagreements ?? [], writer);
    }

    private static void WriteConfusion(IReadOnlyList<ConfusionCellDto> cells, TextWriter writer)
    {
        if (cells.Count == 0)
        {
            return;
        }

        var shadowLabels = cells.Select(c => JsonFields.Text(c.Shadow)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        writer.WriteLine("  labels (rows: primary, columns: shadow):");
        var table = new TextTable(["", .. shadowLabels]);
        foreach (var primary in cells.Select(c => JsonFields.Text(c.Primary)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            table.Add([primary, .. shadowLabels.Select(s => cells.FirstOrDefault(c => JsonFields.Text(c.Primary) == primary && JsonFields.Text(c.Shadow) == s)?.Count.ToString(CultureInfo.InvariantCulture) ?? "0")]);
        }

        table.WriteTo(writer, "    ");
    }

    private static void WriteDisagreements(IReadOnlyList<DisagreementDto> items, TextWriter writer)
    {
        if (items.Count == 0)
        {
            return;
        }

        writer.WriteLine($"  last {items.Count} disagreements (newest last; all values in the admin API's JSON):");
        foreach (var d in items)
        {
            var shadowSide = d.ShadowOutputs is { } outputs ? Tensors(outputs) : "error " + JsonFields.Text(d.Error);
            writer.WriteLine($"    {JsonFields.Time(d.At)}  in {Tensors(d.Inputs)}  primary {Tensors(d.PrimaryOutputs)}  shadow {shadowSide}");
        }
    }

    private static string Tensors(IReadOnlyList<TensorDto>? tensors)
        => string.Join(" ", (tensors ?? []).Select(t =>
        {
            var values = (t.Data ?? []).Select(Value).ToList();
            var more = values.Count > ValuesShown || t.Truncated ? ", ..." : "";
            return $"{JsonFields.Text(t.Name)}=[{string.Join(", ", values.Take(ValuesShown))}{more}]";
        }));

    // Read back, a tensor's values are JSON: numbers, strings, or null where not finite.
    private static string Value(object? value) => value switch
    {
        JsonElement { ValueKind: JsonValueKind.Number } n => N(n.GetDouble()),
        JsonElement { ValueKind: JsonValueKind.String } s => s.GetString()!,
        JsonElement e => e.ValueKind == JsonValueKind.Null ? JsonFields.Missing : e.GetRawText(),
        double d => N(d),
        _ => JsonFields.Text(value),
    };

    private static string Basis(string basis) => basis switch
    {
        "label" => "top-1 label",
        "score" => "score within tolerance",
        "output" => "whole output",
        _ => basis,
    };

    private static double Round(double fraction) => Math.Round(fraction, 4);

    private static string N(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Ms(double ms) => ms.ToString("0.###", CultureInfo.InvariantCulture) + " ms";
}
