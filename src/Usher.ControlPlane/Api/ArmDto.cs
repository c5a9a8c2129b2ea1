using Usher.ControlPlane.Experiments;

namespace Usher.ControlPlane.Api;

/// <summary>One arm of an experiment.</summary>
/// <param name="Version">Its version.</param>
/// <param name="Weight">Its weight, in percent.</param>
/// <param name="Assigned">Requests assigned.</param>
/// <param name="Units">Distinct units (routing keys) assigned.</param>
/// <param name="Outcomes">Outcomes reported.</param>
/// <param name="Mean">The metric's mean (null before an outcome).</param>
/// <param name="Verdict">control, winner, loser or not yet.</param>
/// <param name="Why">The sentence behind the verdict.</param>
/// <param name="VsControl">Its comparison with the control; absent for the control.</param>
public sealed record ArmDto(
    long Version,
    double Weight,
    long Assigned,
    long Units,
    long Outcomes,
    double? Mean,
    string? Verdict,
    string? Why,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] ArmComparisonDto? VsControl)
{
    /// <summary>The wire form of <paramref name="arm"/>.</summary>
    internal static ArmDto From(ArmResult arm)
    {
        ArgumentNullException.ThrowIfNull(arm);
        var verdict = arm.Verdict switch
        {
            ArmVerdict.Control => "control",
            ArmVerdict.Winner => "winner",
            ArmVerdict.Loser => "loser",
            _ => "not yet",
        };
        return new ArmDto(
            arm.Version, arm.Weight, arm.Assigned, arm.Units, arm.Outcomes, ExperimentReportDto.Finite(arm.Mean), verdict, arm.Why,
            arm.Comparison is { } c ? ArmComparisonDto.From(c) : null);
    }
}
