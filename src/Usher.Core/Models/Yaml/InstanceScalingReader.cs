using YamlDotNet.RepresentationModel;

namespace Usher.Core.Models.Yaml;

/// <summary>
/// Reads <c>instances</c> as a mapping: <c>{min: 1, max: 4, target_utilisation: 0.7, cool_down_seconds: 30}</c>.
/// <c>max</c> is required; every rule is checked and every broken one reported.
/// </summary>
internal static class InstanceScalingReader
{
    private static readonly string[] Keys = ["min", "max", "target_utilisation", "cool_down_seconds"];

    /// <summary>The range, or a fixed single instance after an error (errors go to <paramref name="reader"/>).</summary>
    public static InstanceCount Read(YamlReader reader, YamlNode node, string path)
    {
        if (reader.Map(node, path, Keys) is not { } map)
        {
            return InstanceCount.One;
        }

        var defaults = new InstanceScaling();
        var errors = reader.Errors.Count;
        var min = map.Int32("min", 1) ?? defaults.Min;
        int? max = map.Required("max", "the most instances (an integer >= min), e.g. 'max: 4'") is { } maxNode
            ? reader.Int32(maxNode, map.PathOf("max"), 1)
            : null;
        var target = map.Number("target_utilisation", positive: true);
        if (target > 1 && map.TryGet("target_utilisation", out var targetNode))
        {
            reader.Report(targetNode, map.PathOf("target_utilisation"), $"expected a share of busy time in (0, 1], e.g. 0.7, got {YamlReader.Describe(targetNode)}");
        }

        var coolDown = map.Number("cool_down_seconds", positive: false);
        if (coolDown < 0 && map.TryGet("cool_down_seconds", out var coolNode))
        {
            reader.Report(coolNode, map.PathOf("cool_down_seconds"), $"expected a number of seconds >= 0, got {YamlReader.Describe(coolNode)}");
        }

        if (max is int most && most < min && map.TryGet("max", out var maxValue))
        {
            reader.Report(maxValue, map.PathOf("max"), $"max ({most}) is less than min ({min}); the version scales between min and max instances");
        }

        if (reader.Errors.Count > errors || max is null)
        {
            return InstanceCount.One;
        }

        return new InstanceCount(null, new InstanceScaling
        {
            Min = min,
            Max = max.Value,
            TargetUtilisation = target ?? defaults.TargetUtilisation,
            CoolDown = coolDown is double seconds ? TimeSpan.FromSeconds(seconds) : defaults.CoolDown,
        });
    }
}
