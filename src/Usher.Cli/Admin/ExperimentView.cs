using System.Globalization;
using System.Text.Json;
using Usher.ControlPlane.Api;

namespace Usher.Cli.Admin;

/// <summary>Prints an experiment's results (an <see cref="ExperimentReportDto"/>, <c>GET /admin/endpoints/{e}/experiment</c>): the decision and why, the SRM check, one row per arm.</summary>
internal static class ExperimentView
{
    /// <summary>Writes <paramref name="body"/> as text.</summary>
    public static void Write(JsonElement body, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var report = AdminDto.Read(body, AdminJsonContext.Default.ExperimentReportDto) ?? new ExperimentReportDto(null, 0, null, null, null, null, null, null, null, null, null, null, null, null);
        var binary = report.Kind == "binary";
        writer.WriteLine($"experiment on {JsonFields.Text(report.Endpoint)} (rollout #{JsonFields.Text(report.RolloutId)}, {JsonFields.Text(report.Strategy)}, {JsonFields.Text(report.Phase)}): metric {JsonFields.Text(report.Metric)} ({JsonFields.Text(report.Kind)}), alpha {JsonFields.Text(report.Alpha)}");
        var winner = report.Winner is { } w ? $", keep version {w}" : "";
        writer.WriteLine($"decision: {JsonFields.Text(report.Decision)}{winner}");
        writer.WriteLine($"  {JsonFields.Text(report.Summary)}");
        if (report.Srm is { } srm)
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sample ratio: chi2 {Num(srm.ChiSquare, "0.##")}, p {Num(srm.PValue, "G3")} ({(srm.Flagged ? "MISMATCH, test halted" : "ok")}; flagged below {Num(srm.Threshold, "G3")})"));
        }
        else
        {
            writer.WriteLine("sample ratio: not checked (the weights moved: a bandit, or a guardrail stopped an arm)");
        }

        var table = new TextTable("VERSION", "WEIGHT", "ASSIGNED", "OUTCOMES", binary ? "RATE" : "MEAN", "LIFT", "RELATIVE", "ALWAYS-VALID CI", "P (ALWAYS-VALID)", "P (FIXED)", "VERDICT");
        foreach (var arm in report.Arms ?? [])
        {
            var mean = Num(arm.Mean, binary ? "0.####" : "G4");
            var first = new[] { JsonFields.Text(arm.Version), Num(arm.Weight, "0.##") + "%", JsonFields.Text(arm.Assigned), JsonFields.Text(arm.Outcomes), mean };
            if (arm.VsControl is { } c)
            {
                table.Add([
                    .. first,
                    Num(c.Lift, "+0.####;-0.####;0"), Num(c.RelativeLift, "+0.#%;-0.#%;0%"),
                    $"[{Num(c.SequentialLower, "0.####")}, {Num(c.SequentialUpper, "0.####")}]",
                    Num(c.SequentialPValue, "G3"), Num(c.PValue, "G3"), JsonFields.Text(arm.Verdict)]);
            }
            else
            {
                table.Add([.. first, "-", "-", "-", "-", "-", JsonFields.Text(arm.Verdict)]);
            }
        }

        table.WriteTo(writer);
    }

    private static string Num(double? value, string format)
        => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : JsonFields.Missing;
}
