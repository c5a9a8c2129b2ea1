using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Usher.Server.Hosting;

/// <summary>
/// <c>usher.yaml</c> as configuration: mappings become sections, lists become indexed keys
/// (<c>streams:0:name</c>), a plain <c>null</c>, <c>~</c> or empty value is no value (the default
/// stays). Each key remembers its line, so that a problem says where to look.
/// </summary>
internal sealed class YamlSettingsProvider(string path) : SettingsProvider
{
    public override void Load()
    {
        var name = Path.GetFileName(path);
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException ex)
        {
            Problems.Add($"{name} line {ex.Start.Line}: invalid YAML: {ex.Message}");
            return;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Problems.Add($"{name}: cannot read: {ex.Message}");
            return;
        }

        if (stream.Documents.Count == 0 || IsNull(stream.Documents[0].RootNode))
        {
            return;
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            Problems.Add($"{name}: expected sections such as 'server:' and 'repository:' at the top level");
            return;
        }

        Walk(name, root, [], string.Empty, root.Start.Line);
    }

    private void Walk(string file, YamlNode node, List<string> segments, string written, long line)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (keyNode, value) in mapping.Children)
                {
                    var key = keyNode is YamlScalarNode scalar ? scalar.Value ?? string.Empty : keyNode.ToString();
                    Walk(file, value, [.. segments, key], written.Length == 0 ? key : $"{written}.{key}", keyNode.Start.Line);
                }

                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    var item = sequence.Children[i];
                    Walk(file, item, [.. segments, i.ToString(CultureInfo.InvariantCulture)], $"{written}[{i}]", item.Start.Line);
                }

                break;
            case YamlScalarNode scalar:
                Set(segments, IsNull(scalar) ? null : scalar.Value ?? string.Empty, new SettingOrigin($"{file} line {line.ToString(CultureInfo.InvariantCulture)}", written));
                break;
            default:
                Problems.Add($"{file} line {line.ToString(CultureInfo.InvariantCulture)}: {written}: aliases are not supported");
                break;
        }
    }

    private static bool IsNull(YamlNode node)
        => node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };
}
