using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Experiments;
using Usher.ControlPlane.Shadow;

namespace Usher.ControlPlane.Rollouts;

/// <summary>One rollout's state: immutable, replaced whole at each transition and persisted.</summary>
internal sealed record Rollout
{
    /// <summary>Its id in the state store (0 before it is stored).</summary>
    public long Id { get; init; }

    /// <summary>What was asked for.</summary>
    public required DeploymentSpec Spec { get; init; }

    /// <summary>The version that served the endpoint before the rollout.</summary>
    public required long StableVersion { get; init; }

    /// <summary>The current phase.</summary>
    public required RolloutPhase Phase { get; init; }

    /// <summary>Canary: the index of the current step in <see cref="CanarySpec.Steps"/>.</summary>
    public int Step { get; init; }

    /// <summary>When the current step (or phase) started: the analysis window starts here.</summary>
    public required DateTimeOffset StepStartedAt { get; init; }

    /// <summary>Blue-green: when the rollback window ends.</summary>
    public DateTimeOffset? RollbackWindowEndsAt { get; init; }

    /// <summary>Why the rollout is where it is (pause reason, rollback trigger with its numbers, abort reason).</summary>
    public string? Reason { get; init; }

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last changed.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The last analysis of a canary or blue-green window, or null before the first (stored).</summary>
    public WindowAnalysis? LastAnalysis { get; init; }

    /// <summary>An experiment's last report, or null before the first look (not stored: recomputed from the assignments).</summary>
    public ExperimentReport? LastExperiment { get; init; }

    /// <summary>A shadow's live comparison (the admin API's <c>shadow</c> object) when read while shadowing; not stored.</summary>
    public ShadowStatus? Shadow { get; init; }

    /// <summary>The endpoint.</summary>
    public string Endpoint => Spec.Endpoint;

    /// <summary>The version being rolled out.</summary>
    public long CandidateVersion => Spec.Version;

    /// <summary>Whether the rollout still acts on traffic (not final).</summary>
    public bool IsActive => Phase is not (RolloutPhase.Succeeded or RolloutPhase.RolledBack or RolloutPhase.Aborted);

    /// <summary>The candidate's weight now, in percent.</summary>
    public int CandidateWeight => Phase switch
    {
        RolloutPhase.Validating or RolloutPhase.RolledBack or RolloutPhase.Aborted => 0,
        RolloutPhase.RollbackWindow or RolloutPhase.Succeeded => 100,
        _ => Spec.Strategy == RolloutStrategy.Canary ? Spec.Canary.Steps[Math.Min(Step, Spec.Canary.Steps.Count - 1)] : 0,
    };
}
