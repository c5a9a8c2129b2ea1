using YamlDotNet.RepresentationModel;

namespace Usher.Core.Models.Yaml;

/// <summary>
/// Reads <c>version_policy</c>: Triton's <c>{ latest: { num_versions: N } }</c>, <c>{ all: {} }</c> or
/// <c>{ specific: { versions: [..] } }</c>, or the shorthands <c>latest: N</c>, <c>all</c> and <c>specific: [..]</c>.
/// </summary>
internal static class VersionPolicyReader
{
    private static readonly string[] Keys = ["latest", "all", "specific"];
    private static readonly string[] LatestKeys = ["num_versions"];
    private static readonly string[] SpecificKeys = ["versions"];

    /// <summary>The policy, or null after an error.</summary>
    public static VersionPolicy? Read(YamlReader reader, YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: "all" })
        {
            return new VersionPolicy.All();
        }

        if (node is not YamlMappingNode)
        {
            reader.Report(node, path, $"expected all, or a mapping with one of latest, all or specific, got {YamlReader.Describe(node)}");
            return null;
        }

        if (reader.Map(node, path, Keys) is not { } map)
        {
            return null;
        }

        var present = Keys.Where(map.Has).ToList();
        if (present.Count == 0 && node is YamlMappingNode { Children.Count: > 0 })
        {
            // Only unknown keys, each reported already with a suggestion.
            return null;
        }

        if (present.Count != 1)
        {
            var found = present.Count == 0 ? "none" : string.Join(" and ", present);
            reader.Report(node, path, $"expected exactly one of latest, all or specific, got {found}");
            return null;
        }

        map.TryGet(present[0], out var value);
        return present[0] switch
        {
            "latest" => ReadLatest(reader, value, map.PathOf("latest")),
            "all" => ReadAll(reader, value, map.PathOf("all")),
            _ => ReadSpecific(reader, value, map.PathOf("specific")),
        };
    }

    private static VersionPolicy.Latest? ReadLatest(YamlReader reader, YamlNode node, string path)
    {
        if (node is YamlScalarNode)
        {
            return reader.Int32(node, path, 1) is { } shorthand ? new VersionPolicy.Latest(shorthand) : null;
        }

        if (reader.Map(node, path, LatestKeys) is not { } map)
        {
            return null;
        }

        // Triton's default: num_versions 1.
        return map.Int32("num_versions", 1) is { } count ? new VersionPolicy.Latest(count)
            : map.Has("num_versions") ? null : new VersionPolicy.Latest(1);
    }

    private static VersionPolicy.All? ReadAll(YamlReader reader, YamlNode node, string path)
    {
        if (YamlReader.IsNull(node) || node is YamlMappingNode { Children.Count: 0 })
        {
            return new VersionPolicy.All();
        }

        reader.Report(node, path, $"expected {{}} (all takes no settings), got {YamlReader.Describe(node)}");
        return null;
    }

    private static VersionPolicy.Specific? ReadSpecific(YamlReader reader, YamlNode node, string path)
    {
        var listNode = node;
        var listPath = path;
        if (node is YamlMappingNode)
        {
            if (reader.Map(node, path, SpecificKeys) is not { } map || map.Required("versions", "the list of versions to load") is not { } versions)
            {
                return null;
            }

            listNode = versions;
            listPath = map.PathOf("versions");
        }

        if (reader.Sequence(listNode, listPath) is not { } items)
        {
            return null;
        }

        if (items.Count == 0)
        {
            reader.Report(listNode, listPath, "expected at least one version, got an empty list");
            return null;
        }

        var result = new List<long>(items.Count);
        var valid = true;
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = YamlReader.Item(listPath, i);
            if (reader.Integer(items[i], itemPath, 1) is not { } version)
            {
                valid = false;
            }
            else if (result.Contains(version))
            {
                reader.Report(items[i], itemPath, $"version {version} is listed twice");
                valid = false;
            }
            else
            {
                result.Add(version);
            }
        }

        return valid ? new VersionPolicy.Specific(result) : null;
    }
}
