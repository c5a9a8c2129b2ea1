using System.Text.Json;
using Usher.ControlPlane.Analysis;

namespace Usher.ControlPlane.Api;

/// <summary>
/// A rollout's last analysis as the admin API writes it (the <c>analysis</c> object of a rollout, the
/// <c>data</c> of an analysis or rollback event) and the CLI reads it; the state store keeps it in the
/// same shape. The domain holds <see cref="WindowAnalysis"/>; this is its JSON edge
/// (<see cref="AdminJsonContext"/>, source-generated, snake_case).
/// </summary>
/// <param name="Verdict">pass, fail or wait (an experiment's analysis writes its decision here).</param>
/// <param name="Summary">One line naming the verdict and what decided it.</param>
/// <param name="WindowStart">Where the window started.</param>
/// <param name="Stable">Stable's counts.</param>
/// <param name="Canary">The candidate's counts.</param>
/// <param name="Checks">Every check.</param>
public sealed record AnalysisDto(
    string Verdict, string? Summary, DateTimeOffset? WindowStart, CountsDto? Stable, CountsDto? Canary, IReadOnlyList<CheckDto>? Checks)
{
    /// <summary>The wire form of <paramref name="analysis"/>.</summary>
    internal static AnalysisDto From(WindowAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        return new AnalysisDto(
            Lower(analysis.Report.Verdict),
            analysis.Report.Summary,
            analysis.WindowStart,
            new CountsDto(analysis.Stable.Requests, analysis.Stable.Errors),
            new CountsDto(analysis.Canary.Requests, analysis.Canary.Errors),
            [.. analysis.Report.Checks.Select(c => new CheckDto(
                c.Name,
                Lower(c.Outcome),
                c.Detail,
                c.Statistics.ToDictionary(s => s.Key, s => double.IsFinite(s.Value) ? s.Value : (double?)null, StringComparer.Ordinal)))]);
    }

    /// <summary>The JSON text of <paramref name="analysis"/>.</summary>
    internal static string ToJson(WindowAnalysis analysis) => JsonSerializer.Serialize(From(analysis), AdminJsonContext.Default.AnalysisDto);

    /// <summary>
    /// Reads JSON text back into the domain; null when it is not a window analysis (older state
    /// files kept an experiment's report in the same place: it is recomputed on the next look instead).
    /// </summary>
    internal static WindowAnalysis? Parse(string json)
    {
        AnalysisDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize(json, AdminJsonContext.Default.AnalysisDto);
        }
        catch (JsonException)
        {
            return null;
        }

        return dto?.ToDomain();
    }

    /// <summary>The domain record, or null when a field it needs is missing or unknown.</summary>
    internal WindowAnalysis? ToDomain()
    {
        if (!Enum.TryParse<AnalysisVerdict>(Verdict, ignoreCase: true, out var verdict) || WindowStart is not { } start || Stable is null || Canary is null)
        {
            return null;
        }

        var checks = new List<CheckResult>();
        foreach (var c in Checks ?? [])
        {
            if (!Enum.TryParse<CheckOutcome>(c.Outcome, ignoreCase: true, out var outcome))
            {
                return null;
            }

            var statistics = (c.Statistics ?? new Dictionary<string, double?>()).ToDictionary(s => s.Key, s => s.Value ?? double.NaN, StringComparer.Ordinal);
            checks.Add(new CheckResult(c.Name, outcome, c.Detail, statistics));
        }

        return new WindowAnalysis(start, new VariantCounts(Stable.Requests, Stable.Errors), new VariantCounts(Canary.Requests, Canary.Errors), new AnalysisReport(verdict, checks, Summary ?? ""));
    }

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
