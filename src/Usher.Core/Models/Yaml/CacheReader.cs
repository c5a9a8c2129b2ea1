using YamlDotNet.RepresentationModel;

namespace Usher.Core.Models.Yaml;

/// <summary>Reads <c>cache</c>; <c>cache: { enabled: true }</c> turns the prediction cache on with defaults.</summary>
internal static class CacheReader
{
    private static readonly string[] Keys = ["enabled", "max_bytes", "ttl_seconds", "key_inputs", "round_decimals"];

    /// <summary>The section, with defaults for what it does not set; errors go to <paramref name="reader"/>.</summary>
    public static CacheConfig Read(YamlReader reader, YamlNode node, string path)
    {
        var config = new CacheConfig();
        if (reader.Map(node, path, Keys) is not { } map)
        {
            return config;
        }

        return config with
        {
            Enabled = map.Boolean("enabled") ?? config.Enabled,
            MaxBytes = map.Integer("max_bytes", 1) ?? config.MaxBytes,
            TtlSeconds = map.Number("ttl_seconds", positive: true),
            KeyInputs = map.TryGet("key_inputs", out var keys) ? ReadKeyInputs(reader, keys, map.PathOf("key_inputs")) : config.KeyInputs,
            RoundDecimals = map.Int32("round_decimals", 0, 15),
        };
    }

    private static List<string> ReadKeyInputs(YamlReader reader, YamlNode node, string path)
    {
        var names = new List<string>();
        var items = reader.Sequence(node, path) ?? [];
        for (var i = 0; i < items.Count; i++)
        {
            if (reader.String(items[i], YamlReader.Item(path, i)) is not { } name)
            {
                continue;
            }

            if (names.Contains(name))
            {
                reader.Report(items[i], YamlReader.Item(path, i), $"the input '{name}' is listed twice");
            }
            else
            {
                names.Add(name);
            }
        }

        return names;
    }
}
