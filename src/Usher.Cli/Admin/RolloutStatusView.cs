using System.Globalization;
using System.Text.Json;
using Usher.ControlPlane.Api;

namespace Usher.Cli.Admin;

/// <summary>
/// Prints a rollout status (a <see cref="RolloutDto"/>: the answer of <c>GET /admin/endpoints/{e}/rollout</c>,
/// of a rollout action and of a deployment): phase, versions, step and weight, the next decision, then
/// the last analysis with each check's outcome and detail.
/// </summary>
internal static class RolloutStatusView
{
    /// <summary>Writes <paramref name="body"/> as text; the next decision is also counted from <paramref name="now"/>.</summary>
    public static void Write(JsonElement body, TextWriter writer, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var status = AdminDto.Read(body, AdminJsonContext.Default.RolloutDto);
        if (status is null)
        {
            writer.WriteLine($"the server answered a rollout status this client cannot read: {body.GetRawText()}");
            return;
        }

        writer.WriteLine($"rollout {JsonFields.Text(status.Id)} on {JsonFields.Text(status.Endpoint)}: {JsonFields.Text(status.Strategy)}, {JsonFields.Text(status.Phase)}");

        var facts = new TextTable();
        facts.Add("versions", $"stable v{JsonFields.Text(status.StableVersion)} -> candidate v{JsonFields.Text(status.CandidateVersion)} (model {JsonFields.Text(status.Model)})");
        facts.Add(Step(status));
        if (status.NextDecisionAt is { } next)
        {
            facts.Add("next", $"decision at {JsonFields.Time(next)}{Countdown(next, now)}");
        }

        if (status.RollbackWindowEndsAt is { } ends)
        {
            facts.Add("window", $"rollback window ends at {JsonFields.Time(ends)}");
        }

        if (status.Reason is { } reason)
        {
            facts.Add("reason", reason);
        }

        facts.Add("updated", $"{JsonFields.Time(status.UpdatedAt)} (created {JsonFields.Time(status.CreatedAt)})");
        facts.WriteTo(writer, "  ");

        if (status.Shadow is { } shadow)
        {
            ShadowStatusView.Write(shadow, writer);
        }
        else if (status.Analysis is { ValueKind: JsonValueKind.Object } analysis)
        {
            WriteAnalysis(analysis, writer);
        }
        else
        {
            writer.WriteLine("analysis: none yet");
        }
    }

    // "step" is the index into "steps" of the weight now served (the contract's example: step 1 of
    // [5, 25, 50, 100] serves 25%); people count from 1.
    private static string[] Step(RolloutDto status)
    {
        var steps = (status.Steps ?? []).Select(s => JsonFields.Text(s)).ToList();
        var weight = $"candidate weight {JsonFields.Text(status.Weight)}%";
        if (status.Phase == "shadowing")
        {
            return ["weight", $"{weight}: it gets copies and answers no client; then canary steps {string.Join(", ", steps)}"];
        }

        if (steps.Count == 0 || status.Step is not { } index)
        {
            return ["weight", weight];
        }

        var interval = status.IntervalSeconds is { } seconds
            ? $", every {seconds.ToString("0.###", CultureInfo.InvariantCulture)}s"
            : "";
        var position = (index + 1).ToString(CultureInfo.InvariantCulture);
        return ["step", $"{position}/{steps.Count}, {weight} (steps {string.Join(", ", steps)}{interval})"];
    }

    // " (in 45s)", " (due)" once passed.
    private static string Countdown(DateTimeOffset at, DateTimeOffset now)
    {
        var left = at - now;
        if (left <= TimeSpan.Zero)
        {
            return " (due)";
        }

        var seconds = (long)Math.Ceiling(left.TotalSeconds);
        var text = seconds switch
        {
            < 60 => $"{seconds}s",
            < 3600 => $"{seconds / 60}m {seconds % 60}s",
            _ => $"{seconds / 3600}h {seconds % 3600 / 60}m",
        };
        return $" (in {text})";
    }

    // A window analysis (AnalysisDto); an experiment's report has the same verdict and summary, and no
    // window, counts or checks.
    private static void WriteAnalysis(JsonElement element, TextWriter writer)
    {
        var analysis = AdminDto.Read(element, AdminJsonContext.Default.AnalysisDto);
        if (analysis is null)
        {
            writer.WriteLine("analysis: -");
            return;
        }

        var summary = analysis.Summary is not null ? $" - {analysis.Summary}" : "";
        writer.WriteLine($"analysis: {analysis.Verdict}{summary}");
        writer.WriteLine($"  since {JsonFields.Time(analysis.WindowStart)}: stable {Counts(analysis.Stable)}; canary {Counts(analysis.Canary)}");

        var checks = new TextTable("CHECK", "OUTCOME", "DETAIL");
        foreach (var check in analysis.Checks ?? [])
        {
            checks.Add(check.Name, check.Outcome, check.Detail);
        }

        if (checks.Count > 0)
        {
            checks.WriteTo(writer, "  ");
        }
    }

    private static string Counts(CountsDto? counts)
        => counts is null ? JsonFields.Missing : $"requests {counts.Requests.ToString(CultureInfo.InvariantCulture)}, errors {counts.Errors.ToString(CultureInfo.InvariantCulture)}";
}
