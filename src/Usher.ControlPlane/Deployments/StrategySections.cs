using System.Text.Json;

namespace Usher.ControlPlane.Deployments;

/// <summary>
/// The strategies' names in specs and which sections each reads. A section another strategy reads is
/// a mistake (a blue-green spec with canary steps would silently ignore them), so it is refused.
/// </summary>
internal static class StrategySections
{
    /// <summary>The strategies as specs spell them, in the order messages list them.</summary>
    public static readonly IReadOnlyList<string> Names = ["canary", "blue-green", "direct", "shadow", "ab", "bandit"];

    // A shadow becomes a canary when promoted, so it reads the canary schedule too.
    private static readonly (string Section, RolloutStrategy[] Strategies)[] Owners =
    [
        (CanarySectionReader.Key, [RolloutStrategy.Canary, RolloutStrategy.Shadow]),
        (BlueGreenSectionReader.Key, [RolloutStrategy.BlueGreen]),
        (ShadowSectionReader.Key, [RolloutStrategy.Shadow]),
        ("ab", [RolloutStrategy.Ab, RolloutStrategy.Bandit]),
    ];

    /// <summary>The strategy named exactly <paramref name="name"/>, or null.</summary>
    public static RolloutStrategy? Find(string name)
        => Enum.GetValues<RolloutStrategy>().Where(s => DeploymentSpecWriter.StrategyName(s) == name).Select(s => (RolloutStrategy?)s).FirstOrDefault();

    /// <summary>Whether <paramref name="strategy"/> reads the section <paramref name="section"/> (analysis: every strategy).</summary>
    public static bool Applies(string section, RolloutStrategy strategy)
        => Owners.FirstOrDefault(o => o.Section == section) is not { Section: not null } owner || owner.Strategies.Contains(strategy);

    /// <summary>Records a problem for each section <paramref name="root"/> gives that <paramref name="strategy"/> does not read.</summary>
    public static void Check(JsonElement root, RolloutStrategy strategy, SpecReader reader)
    {
        var name = DeploymentSpecWriter.StrategyName(strategy);
        foreach (var (section, strategies) in Owners)
        {
            if (root.TryGetProperty(section, out var node) && node.ValueKind != JsonValueKind.Null && !strategies.Contains(strategy))
            {
                var owners = string.Join(" or ", strategies.Select(DeploymentSpecWriter.StrategyName));
                reader.Add(section, $"applies only to strategy {owners}, not {name}; remove the section or set strategy: {DeploymentSpecWriter.StrategyName(strategies[0])}");
            }
        }
    }
}
