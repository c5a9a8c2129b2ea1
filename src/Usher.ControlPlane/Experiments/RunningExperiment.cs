namespace Usher.ControlPlane.Experiments;

/// <summary>An experiment the tracker records for.</summary>
/// <param name="RolloutId">Its rollout.</param>
/// <param name="Spec">Its settings.</param>
internal sealed record RunningExperiment(long RolloutId, ExperimentSpec Spec);
