using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Usher.Server.Hosting;

/// <summary>
/// Reads settings as flat <c>section:key</c> pairs from <c>usher.yaml</c> and from environment
/// variables (<c>USHER_SECTION__KEY</c>). Keys are normalised (lower case, no underscores) so that
/// <c>http_port</c>, <c>HTTP_PORT</c> and <c>HttpPort</c> name the same setting.
/// </summary>
internal static class SettingsSources
{
    public const string EnvironmentPrefix = "USHER_";

    /// <summary>The <c>streams:</c> section, which <c>usher serve</c> hands to Usher.Streaming.</summary>
    public const string StreamsSection = "streams";

    public static string Normalize(string key) => key.Replace("_", string.Empty, StringComparison.Ordinal).ToLowerInvariant();

    public static Dictionary<string, (string Value, string Source, string Written)> FromYamlFile(string path, List<string> errors)
    {
        var result = new Dictionary<string, (string, string, string)>(StringComparer.Ordinal);
        var name = Path.GetFileName(path);
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException ex)
        {
            errors.Add($"{name} line {ex.Start.Line}: invalid YAML: {ex.Message}");
            return result;
        }
        catch (IOException ex)
        {
            errors.Add($"{name}: cannot read: {ex.Message}");
            return result;
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return result;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            errors.Add($"{name}: expected sections such as 'server:' and 'repository:' at the top level");
            return result;
        }

        foreach (var (sectionNode, body) in root.Children)
        {
            var section = ((YamlScalarNode)sectionNode).Value ?? string.Empty;
            if (Normalize(section) == StreamsSection)
            {
                // A list of stream consumers, read and validated by Usher.Streaming (docs/streaming.md).
                continue;
            }

            if (body is not YamlMappingNode mapping)
            {
                errors.Add($"{name} line {sectionNode.Start.Line}: '{section}' must hold keys, e.g. '{section}:\\n  key: value'");
                continue;
            }

            foreach (var (keyNode, valueNode) in mapping.Children)
            {
                var key = ((YamlScalarNode)keyNode).Value ?? string.Empty;
                if (valueNode is not YamlScalarNode scalar)
                {
                    errors.Add($"{name} line {keyNode.Start.Line}: {section}.{key}: expected a single value");
                    continue;
                }

                result[Normalize(section) + ":" + Normalize(key)] = (scalar.Value ?? string.Empty, $"{name} line {keyNode.Start.Line.ToString(CultureInfo.InvariantCulture)}", $"{section}.{key}");
            }
        }

        return result;
    }

    public static Dictionary<string, (string Value, string Source, string Written)> FromEnvironment(System.Collections.IDictionary environment)
    {
        var result = new Dictionary<string, (string, string, string)>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in environment)
        {
            var name = entry.Key as string;
            if (name is null || !name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var parts = name[EnvironmentPrefix.Length..].Split("__", 2);
            var key = parts.Length == 2 ? Normalize(parts[0]) + ":" + Normalize(parts[1]) : Normalize(parts[0]);
            result[key] = (entry.Value as string ?? string.Empty, $"environment variable {name}", name);
        }

        return result;
    }
}
