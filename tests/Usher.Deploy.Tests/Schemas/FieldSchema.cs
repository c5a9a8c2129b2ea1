using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Usher.Deploy.Tests.Schemas;

/// <summary>
/// A small structural schema for custom resources that have no typed model in KubernetesClient
/// (ServiceMonitor, ScaledObject): the fields each object may have and the kind of each value.
/// Like the typed models in strict mode, an unknown field is an error; unlike them, required
/// fields are checked too.
/// </summary>
internal abstract class FieldSchema
{
    /// <summary>
    /// A string: quoted, or plain and not something YAML reads as a number, boolean or null (a
    /// <c>threshold: 5</c> in a ScaledObject's metadata, a map of strings, is refused by its CRD).
    /// </summary>
    public static FieldSchema Text { get; } = new ScalarSchema("a string (quote numbers, booleans and null)", s => s.Style != ScalarStyle.Plain || !IsNonString(s.Value!));

    public static FieldSchema Int { get; } = new ScalarSchema("an integer", s => s.Style == ScalarStyle.Plain && long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _));

    public static FieldSchema Bool { get; } = new ScalarSchema("a boolean", s => s.Style == ScalarStyle.Plain && s.Value is "true" or "false");

    /// <summary>A Prometheus duration (<c>15s</c>, <c>1m30s</c>).</summary>
    public static FieldSchema Duration { get; } = new ScalarSchema("a duration such as 30s", s => Regex.IsMatch(s.Value!, "^([0-9]+(ms|s|m|h|d|w|y))+$"));

    public static FieldSchema IntOrString { get; } = new ScalarSchema("an integer or a string", _ => true);

    public static FieldSchema OneOf(params string[] values) => new ScalarSchema("one of " + string.Join(", ", values), s => values.Contains(s.Value));

    /// <summary>A mapping from any name to a string (labels, annotations, trigger metadata).</summary>
    public static FieldSchema StringMap { get; } = new MapSchema(Text);

    public static FieldSchema ListOf(FieldSchema item) => new ListSchema(item);

    public static ObjectSchema Object(params (string Name, FieldSchema Schema)[] fields) => new(fields, new HashSet<string>());

    /// <summary>The problems of <paramref name="node"/> at <paramref name="path"/>.</summary>
    public abstract IEnumerable<string> Check(YamlNode node, string path);

    /// <summary>What YAML 1.2's core schema (and 1.1's booleans) resolves to a number, boolean or null.</summary>
    private static bool IsNonString(string value)
        => value.Length == 0 || value is "~" or "null" or "Null" or "NULL"
            || Regex.IsMatch(value, "^(true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$")
            || Regex.IsMatch(value, @"^[-+]?([0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN)$");

    private sealed class ScalarSchema(string expected, Func<YamlScalarNode, bool> accepts) : FieldSchema
    {
        public override IEnumerable<string> Check(YamlNode node, string path)
        {
            if (node is not YamlScalarNode { Value: not null } scalar || !accepts(scalar))
            {
                yield return $"{path}: expected {expected}, got {Describe(node)}";
            }
        }
    }

    private sealed class MapSchema(FieldSchema value) : FieldSchema
    {
        public override IEnumerable<string> Check(YamlNode node, string path)
        {
            if (node is not YamlMappingNode map)
            {
                return [$"{path}: expected a mapping, got {Describe(node)}"];
            }

            return map.Children.SelectMany(c => value.Check(c.Value, $"{path}.{c.Key}"));
        }
    }

    private sealed class ListSchema(FieldSchema item) : FieldSchema
    {
        public override IEnumerable<string> Check(YamlNode node, string path)
        {
            if (node is not YamlSequenceNode list)
            {
                return [$"{path}: expected a list, got {Describe(node)}"];
            }

            return list.Children.SelectMany((c, i) => item.Check(c, $"{path}[{i}]"));
        }
    }

    private protected static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => $"'{s.Value}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => node.NodeType.ToString(),
    };
}
