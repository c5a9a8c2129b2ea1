using Usher.Backends.Onnx.Format.Protos;

namespace Usher.Backends.Onnx.Quantization;

/// <summary>Hands out tensor and node names that no graph of the model uses yet (ONNX names are single-assignment).</summary>
internal sealed class UniqueNames
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public UniqueNames(IEnumerable<GraphScope> scopes)
    {
        foreach (var graph in scopes.Select(s => s.Graph))
        {
            _used.UnionWith(graph.Input.Select(i => i.Name));
            _used.UnionWith(graph.Output.Select(o => o.Name));
            _used.UnionWith(graph.Initializer.Select(i => i.Name));
            foreach (var node in graph.Node)
            {
                _used.Add(node.Name);
                _used.UnionWith(node.Output);
                _used.UnionWith(node.Input);
            }
        }
    }

    /// <summary><paramref name="hint"/>, or <c>hint_2</c>, <c>hint_3</c>... when it is taken.</summary>
    public string Next(string hint)
    {
        var name = hint;
        for (var i = 2; !_used.Add(name); i++)
        {
            name = $"{hint}_{i}";
        }

        return name;
    }

    /// <summary>Every name a node input or graph output of <paramref name="scopes"/> reads.</summary>
    public static HashSet<string> Referenced(IEnumerable<GraphScope> scopes)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var graph in scopes.Select(s => s.Graph))
        {
            names.UnionWith(graph.Output.Select(o => o.Name));
            foreach (NodeProto node in graph.Node)
            {
                names.UnionWith(node.Input);
            }
        }

        return names;
    }
}
