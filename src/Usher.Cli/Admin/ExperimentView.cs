using System.Globalization;
using System.Text.Json;

namespace Usher.Cli.Admin;

/// <summary>Prints an experiment's results (<c>GET /admin/endpoints/{e}/experiment</c>): the decision and why, the SRM check, one row per arm.</summary>
internal static class ExperimentView
{
    /// <summary>Writes <paramref name="report"/> as text.</summary>
    public static void Write(JsonElement report, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var binary = JsonFields.Text(report, "kind") == "binary";
        writer.WriteLine($"experiment on {JsonFields.Text(report, "endpoint")} (rollout #{JsonFields.Text(report, "rollout_id")}, {JsonFields.Text(report, "strategy")}, {JsonFields.Text(report, "phase")}): metric {JsonFields.Text(report, "metric")} ({JsonFields.Text(report, "kind")}), alpha {JsonFields.Text(report, "alpha")}");
        var winner = JsonFields.Get(report, "winner") is { ValueKind: JsonValueKind.Number } w ? $", keep version {w.GetInt64()}" : "";
        writer.WriteLine($"decision: {JsonFields.Text(report, "decision")}{winner}");
        writer.WriteLine($"  {JsonFields.Text(report, "summary")}");
        if (JsonFields.Get(report, "srm") is { ValueKind: JsonValueKind.Object } srm)
        {
            var flagged = srm.GetProperty("flagged").GetBoolean();
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sample ratio: chi2 {Num(srm, "chi_square", "0.##")}, p {Num(srm, "p_value", "G3")} ({(flagged ? "MISMATCH, test halted" : "ok")}; flagged below {Num(srm, "threshold", "G3")})"));
        }
        else
        {
            writer.WriteLine("sample ratio: not checked (the weights moved: a bandit, or a guardrail stopped an arm)");
        }

        var table = new TextTable("VERSION", "WEIGHT", "ASSIGNED", "OUTCOMES", binary ? "RATE" : "MEAN", "LIFT", "RELATIVE", "ALWAYS-VALID CI", "P (ALWAYS-VALID)", "P (FIXED)", "VERDICT");
        foreach (var arm in JsonFields.Items(report, "arms"))
        {
            var mean = Num(arm, "mean", binary ? "0.####" : "G4");
            if (JsonFields.Get(arm, "vs_control") is { ValueKind: JsonValueKind.Object } c)
            {
                table.Add(
                    JsonFields.Text(arm, "version"), Num(arm, "weight", "0.##") + "%", JsonFields.Text(arm, "assigned"), JsonFields.Text(arm, "outcomes"), mean,
                    Num(c, "lift", "+0.####;-0.####;0"), Num(c, "relative_lift", "+0.#%;-0.#%;0%"),
                    $"[{Num(c, "sequential_lower", "0.####")}, {Num(c, "sequential_upper", "0.####")}]",
                    Num(c, "sequential_p_value", "G3"), Num(c, "p_value", "G3"), JsonFields.Text(arm, "verdict"));
            }
            else
            {
                table.Add(JsonFields.Text(arm, "version"), Num(arm, "weight", "0.##") + "%", JsonFields.Text(arm, "assigned"), JsonFields.Text(arm, "outcomes"), mean, "-", "-", "-", "-", "-", JsonFields.Text(arm, "verdict"));
            }
        }

        table.WriteTo(writer);
    }

    private static string Num(JsonElement obj, string name, string format)
        => JsonFields.Number(obj, name) is { } value ? value.ToString(format, CultureInfo.InvariantCulture) : JsonFields.Missing;
}
