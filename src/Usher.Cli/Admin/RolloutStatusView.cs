using System.Globalization;
using System.Text.Json;
using Usher.ControlPlane.Analysis.Json;

namespace Usher.Cli.Admin;

/// <summary>
/// Prints a rollout status (the answer of <c>GET /admin/endpoints/{e}/rollout</c>, of a rollout action
/// and of a deployment): phase, versions, step and weight, the next decision, then the last analysis
/// with each check's outcome and detail.
/// </summary>
internal static class RolloutStatusView
{
    /// <summary>Writes <paramref name="status"/> as text; the next decision is also counted from <paramref name="now"/>.</summary>
    public static void Write(JsonElement status, TextWriter writer, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteLine($"rollout {JsonFields.Text(status, "id")} on {JsonFields.Text(status, "endpoint")}: {JsonFields.Text(status, "strategy")}, {JsonFields.Text(status, "phase")}");

        var facts = new TextTable();
        facts.Add("versions", $"stable v{JsonFields.Text(status, "stable_version")} -> candidate v{JsonFields.Text(status, "candidate_version")} (model {JsonFields.Text(status, "model")})");
        facts.Add(Step(status));
        if (JsonFields.Get(status, "next_decision_at") is not null)
        {
            facts.Add("next", $"decision at {JsonFields.Time(status, "next_decision_at")}{Countdown(status, now)}");
        }

        if (JsonFields.Get(status, "rollback_window_ends_at") is not null)
        {
            facts.Add("window", $"rollback window ends at {JsonFields.Time(status, "rollback_window_ends_at")}");
        }

        if (JsonFields.Get(status, "reason") is not null)
        {
            facts.Add("reason", JsonFields.Text(status, "reason"));
        }

        facts.Add("updated", $"{JsonFields.Time(status, "updated_at")} (created {JsonFields.Time(status, "created_at")})");
        facts.WriteTo(writer, "  ");

        if (JsonFields.Get(status, "shadow") is { ValueKind: JsonValueKind.Object } shadow)
        {
            ShadowStatusView.Write(shadow, writer);
        }
        else if (JsonFields.Get(status, "analysis") is { ValueKind: JsonValueKind.Object } analysis)
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
    private static string[] Step(JsonElement status)
    {
        var steps = JsonFields.Items(status, "steps").Select(JsonFields.Format).ToList();
        var weight = $"candidate weight {JsonFields.Text(status, "weight")}%";
        if (JsonFields.Text(status, "phase") == "shadowing")
        {
            return ["weight", $"{weight}: it gets copies and answers no client; then canary steps {string.Join(", ", steps)}"];
        }

        if (steps.Count == 0 || JsonFields.Number(status, "step") is not { } index)
        {
            return ["weight", weight];
        }

        var interval = JsonFields.Number(status, "interval_seconds") is { } seconds
            ? $", every {seconds.ToString("0.###", CultureInfo.InvariantCulture)}s"
            : "";
        var position = (index + 1).ToString("0", CultureInfo.InvariantCulture);
        return ["step", $"{position}/{steps.Count}, {weight} (steps {string.Join(", ", steps)}{interval})"];
    }

    // " (in 45s)", " (due)" once passed; nothing when the server's time does not parse.
    private static string Countdown(JsonElement status, DateTimeOffset now)
    {
        if (!DateTimeOffset.TryParse(JsonFields.Text(status, "next_decision_at"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return "";
        }

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

    // The same DTO the server writes (AnalysisDto, source-generated); an answer it cannot read (a
    // server a version ahead) still prints its verdict.
    private static void WriteAnalysis(JsonElement element, TextWriter writer)
    {
        AnalysisDto? analysis;
        try
        {
            analysis = element.Deserialize(AnalysisJsonContext.Default.AnalysisDto);
        }
        catch (JsonException)
        {
            analysis = null;
        }

        if (analysis is null)
        {
            writer.WriteLine($"analysis: {JsonFields.Text(element, "verdict")}");
            return;
        }

        var summary = analysis.Summary is not null ? $" - {analysis.Summary}" : "";
        writer.WriteLine($"analysis: {analysis.Verdict}{summary}");
        var since = analysis.WindowStart is { } start ? start.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : JsonFields.Missing;
        writer.WriteLine($"  since {since}: stable {Counts(analysis.Stable)}; canary {Counts(analysis.Canary)}");

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
