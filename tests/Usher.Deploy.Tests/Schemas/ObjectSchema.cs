using YamlDotNet.RepresentationModel;

namespace Usher.Deploy.Tests.Schemas;

/// <summary>An object: its known fields, each with its schema, and which of them are required.</summary>
internal sealed class ObjectSchema(IReadOnlyList<(string Name, FieldSchema Schema)> fields, IReadOnlySet<string> required) : FieldSchema
{
    /// <summary>The same fields, with <paramref name="names"/> required.</summary>
    public ObjectSchema Requiring(params string[] names)
    {
        var unknown = names.Where(n => fields.All(f => f.Name != n)).ToList();
        return unknown.Count == 0
            ? new ObjectSchema(fields, required.Union(names).ToHashSet())
            : throw new ArgumentException("required fields not in the schema: " + string.Join(", ", unknown));
    }

    public override IEnumerable<string> Check(YamlNode node, string path)
    {
        if (node is not YamlMappingNode map)
        {
            yield return $"{path}: expected a mapping, got {Describe(node)}";
            yield break;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in map.Children)
        {
            var name = ((YamlScalarNode)key).Value ?? string.Empty;
            var field = fields.FirstOrDefault(f => f.Name == name);
            if (field.Schema is null)
            {
                yield return $"{path}: unknown field '{name}' (known: {string.Join(", ", fields.Select(f => f.Name))})";
                continue;
            }

            seen.Add(name);
            foreach (var problem in field.Schema.Check(value, path.Length == 0 ? name : $"{path}.{name}"))
            {
                yield return problem;
            }
        }

        foreach (var missing in required.Where(r => !seen.Contains(r)).Order(StringComparer.Ordinal))
        {
            yield return $"{(path.Length == 0 ? "(top)" : path)}: required field '{missing}' is missing";
        }
    }
}
