using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Experiments;

namespace Usher.ControlPlane.Deployments;

/// <summary>What an operator asks for: put <see cref="Version"/> of <see cref="Model"/> behind <see cref="Endpoint"/> with a strategy.</summary>
internal sealed record DeploymentSpec
{
    /// <summary>The endpoint clients call.</summary>
    public required string Endpoint { get; init; }

    /// <summary>The model that serves it (default: the endpoint's name).</summary>
    public required string Model { get; init; }

    /// <summary>The version to deploy.</summary>
    public required long Version { get; init; }

    /// <summary>How traffic moves.</summary>
    public required RolloutStrategy Strategy { get; init; }

    /// <summary>The canary schedule (canary only).</summary>
    public CanarySpec Canary { get; init; } = CanarySpec.Default;

    /// <summary>The blue-green settings (blue-green only).</summary>
    public BlueGreenSpec BlueGreen { get; init; } = BlueGreenSpec.Default;

    /// <summary>The shadow settings (shadow only).</summary>
    public ShadowSpec Shadow { get; init; } = ShadowSpec.Default;
    /// <summary>The experiment's arms and statistics (ab and bandit only).</summary>
    public ExperimentSpec Ab { get; init; } = ExperimentSpec.Default;

    /// <summary>The analysis thresholds, which are also the rollback triggers of every strategy.</summary>
    public AnalysisSettings Analysis { get; init; } = new();

    /// <summary>How long a step may lack the minimum samples past its interval before the rollout pauses as inconclusive. Default 10 min.</summary>
    public TimeSpan InconclusiveAfter { get; init; } = TimeSpan.FromMinutes(10);
}
