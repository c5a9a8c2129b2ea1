using YamlDotNet.RepresentationModel;

namespace Usher.Core.Models.Yaml;

/// <summary>Reads <c>warmup</c>: a list of named requests, each input filled with zeros, random values or literal values.</summary>
internal static class WarmupReader
{
    private static readonly string[] SampleKeys = ["name", "batch_size", "count", "inputs"];
    private static readonly string[] InputKeys = ["zeros", "random", "values", "dims"];

    /// <summary>The samples that could be read; errors go to <paramref name="reader"/>.</summary>
    public static List<WarmupSample> Read(YamlReader reader, YamlNode node, string path)
    {
        var samples = new List<WarmupSample>();
        if (reader.Sequence(node, path) is not { } items)
        {
            return samples;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            if (reader.Map(items[i], YamlReader.Item(path, i), SampleKeys) is not { } map)
            {
                // A placeholder keeps the later samples at their index for the validator's messages.
                samples.Add(new WarmupSample("", 1, 1, new Dictionary<string, WarmupInput>()));
                continue;
            }

            var name = map.Required("name", "a label for the sample, unique in warmup") is { } nameNode
                ? reader.String(nameNode, map.PathOf("name"))
                : null;
            if (name is not null && !names.Add(name))
            {
                map.TryGet("name", out var duplicate);
                reader.Report(duplicate, map.PathOf("name"), $"the name '{name}' is used by an earlier sample; give each sample its own name");
            }

            samples.Add(new WarmupSample(
                name ?? "",
                map.Int32("batch_size", 1) ?? 1,
                map.Int32("count", 1) ?? 1,
                map.TryGet("inputs", out var inputs) ? ReadInputs(reader, inputs, map.PathOf("inputs")) : new Dictionary<string, WarmupInput>()));
        }

        return samples;
    }

    private static Dictionary<string, WarmupInput> ReadInputs(YamlReader reader, YamlNode node, string path)
    {
        var inputs = new Dictionary<string, WarmupInput>(StringComparer.Ordinal);
        foreach (var (name, _, value) in reader.Entries(node, path) ?? [])
        {
            if (ReadInput(reader, value, YamlReader.Child(path, name)) is { } input)
            {
                inputs[name] = input;
            }
        }

        return inputs;
    }

    private static WarmupInput? ReadInput(YamlReader reader, YamlNode node, string path)
    {
        if (reader.Map(node, path, InputKeys) is not { } map)
        {
            return null;
        }

        var dims = ModelConfigReader.ReadDims(map, "dims", allowVariable: false);
        var zeros = map.Boolean("zeros");
        var random = map.Boolean("random");
        if ((map.Has("zeros") && zeros is null) || (map.Has("random") && random is null))
        {
            return null;
        }

        var kinds = new List<WarmupData>();
        if (zeros == true)
        {
            kinds.Add(WarmupData.Zeros);
        }

        if (random == true)
        {
            kinds.Add(WarmupData.Random);
        }

        IReadOnlyList<double>? values = null;
        if (map.TryGet("values", out var valuesNode))
        {
            kinds.Add(WarmupData.Values);
            values = ReadValues(reader, valuesNode, map.PathOf("values"));
        }

        if (kinds.Count != 1)
        {
            reader.Report(node, path, $"expected exactly one of 'zeros: true', 'random: true' or 'values: [...]', got {(kinds.Count == 0 ? "none" : string.Join(" and ", kinds).ToLowerInvariant())}");
            return null;
        }

        return new WarmupInput(kinds[0], dims, values);
    }

    private static List<double>? ReadValues(YamlReader reader, YamlNode node, string path)
    {
        if (reader.Sequence(node, path) is not { } items)
        {
            return null;
        }

        if (items.Count == 0)
        {
            reader.Report(node, path, "expected at least one value, got an empty list");
        }

        var values = new List<double>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            if (reader.Number(items[i], YamlReader.Item(path, i), positive: false) is { } value)
            {
                values.Add(value);
            }
        }

        return values;
    }
}
