namespace Usher.ControlPlane.Experiments;

/// <summary>One arm of an A/B test or bandit: a version of the endpoint's model and its share of traffic.</summary>
/// <param name="Version">The model version.</param>
/// <param name="Weight">Its share, in percent; the arms' weights add up to 100.</param>
internal sealed record ExperimentArm(long Version, double Weight);
