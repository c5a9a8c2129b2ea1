using System.Collections.Frozen;
using Usher.ControlPlane.Deployments;

namespace Usher.ControlPlane.Rollouts.Strategies;

/// <summary>The registered strategies, picked by name (as YARP picks a load-balancing policy).</summary>
internal sealed class RolloutStrategies
{
    private readonly FrozenDictionary<string, IRolloutStrategy> _byName;

    public RolloutStrategies(IEnumerable<IRolloutStrategy> strategies)
    {
        ArgumentNullException.ThrowIfNull(strategies);
        _byName = strategies.ToFrozenDictionary(s => s.Name, StringComparer.Ordinal);
    }

    /// <summary>The strategy a spec names.</summary>
    /// <exception cref="InvalidOperationException">No strategy of that name is registered (a wiring bug).</exception>
    public IRolloutStrategy For(DeploymentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var name = DeploymentSpecWriter.StrategyName(spec.Strategy);
        return _byName.TryGetValue(name, out var strategy)
            ? strategy
            : throw new InvalidOperationException($"no rollout strategy named '{name}' is registered (registered: {string.Join(", ", _byName.Keys)})");
    }

    /// <summary>The strategy of a rollout (a promoted shadow is a canary).</summary>
    public IRolloutStrategy For(Rollout rollout)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        return For(rollout.Spec);
    }
}
