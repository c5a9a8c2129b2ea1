using System.Text.Json;
using System.Text.Json.Serialization;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Rollouts;

namespace Usher.ControlPlane.Api;

/// <summary>
/// A rollout's status (<c>GET /admin/endpoints/{e}/rollout</c>, the answer of a deployment and of a
/// rollout action). Nullable where the CLI reads leniently: a server a version apart still prints.
/// </summary>
/// <param name="Id">The rollout's id.</param>
/// <param name="Endpoint">The endpoint.</param>
/// <param name="Model">The model whose versions roll out.</param>
/// <param name="Strategy">canary, blue-green, direct, shadow, ab or bandit.</param>
/// <param name="Phase">The phase in snake_case (<c>rollback_window</c>).</param>
/// <param name="StableVersion">The version that served before.</param>
/// <param name="CandidateVersion">The version rolled out.</param>
/// <param name="Step">The index into <paramref name="Steps"/> of the weight served.</param>
/// <param name="Steps">The canary's weights (a shadow's once promoted; <c>[100]</c> for the others).</param>
/// <param name="Weight">The candidate's share of traffic, in percent.</param>
/// <param name="IntervalSeconds">The canary's step interval.</param>
/// <param name="StepStartedAt">When the step (or phase) started.</param>
/// <param name="NextDecisionAt">When the controller decides next, or null.</param>
/// <param name="RollbackWindowEndsAt">Blue-green: when the rollback window ends, or null.</param>
/// <param name="Reason">Why the rollout is where it is, or null.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="Analysis">The last analysis: an <see cref="AnalysisDto"/>, or for an experiment an <see cref="ExperimentReportDto"/>; null before the first.</param>
/// <param name="Shadow">The live comparison while shadowing; absent otherwise.</param>
/// <param name="Spec">The spec as the server runs it (<see cref="DeploymentSpecWriter"/>).</param>
public sealed record RolloutDto(
    long Id,
    string? Endpoint,
    string? Model,
    string? Strategy,
    string? Phase,
    long? StableVersion,
    long? CandidateVersion,
    int? Step,
    IReadOnlyList<int>? Steps,
    int? Weight,
    double? IntervalSeconds,
    DateTimeOffset? StepStartedAt,
    DateTimeOffset? NextDecisionAt,
    DateTimeOffset? RollbackWindowEndsAt,
    string? Reason,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? UpdatedAt,
    JsonElement? Analysis,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ShadowReportDto? Shadow,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Spec)
{
    /// <summary>The wire form of <paramref name="r"/>.</summary>
    internal static RolloutDto From(Rollout r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var spec = r.Spec;
        var strategy = DeploymentSpecWriter.StrategyName(spec.Strategy);
        var phase = RolloutText.Phase(r.Phase);
        DateTimeOffset? next = r.Phase switch
        {
            RolloutPhase.Progressing => r.StepStartedAt + spec.Canary.Interval,
            RolloutPhase.RollbackWindow => r.RollbackWindowEndsAt,
            _ => null,
        };
        JsonElement? analysis = r.LastAnalysis is { } a
            ? JsonSerializer.SerializeToElement(AnalysisDto.From(a), AdminJsonContext.Default.AnalysisDto)
            : r.LastExperiment is { } e
                ? JsonSerializer.SerializeToElement(ExperimentReportDto.From(r.Endpoint, r.Id, strategy, phase, e), AdminJsonContext.Default.ExperimentReportDto)
                : null;
        using var specJson = JsonDocument.Parse(DeploymentSpecWriter.ToJson(spec));
        return new RolloutDto(
            r.Id,
            r.Endpoint,
            spec.Model,
            strategy,
            phase,
            r.StableVersion,
            r.CandidateVersion,
            r.Step,
            // A shadow lists the canary steps it runs once promoted.
            spec.Strategy is RolloutStrategy.Canary or RolloutStrategy.Shadow ? spec.Canary.Steps : [100],
            r.CandidateWeight,
            spec.Canary.Interval.TotalSeconds,
            r.StepStartedAt,
            next,
            r.RollbackWindowEndsAt,
            r.Reason,
            r.CreatedAt,
            r.UpdatedAt,
            analysis,
            r.Shadow is { } shadow ? ShadowReportDto.From(shadow) : null,
            specJson.RootElement.Clone());
    }
}
