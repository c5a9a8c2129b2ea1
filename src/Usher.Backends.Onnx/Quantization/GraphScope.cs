using Usher.Backends.Onnx.Format.Protos;

namespace Usher.Backends.Onnx.Quantization;

/// <summary>
/// One graph of a model (the main graph or an If/Loop/Scan body) with the initializers it can see:
/// its own, then those of the graphs around it.
/// </summary>
internal sealed class GraphScope
{
    private readonly Dictionary<string, TensorProto> _initializers;
    private readonly HashSet<string> _inputs;

    public GraphScope(GraphProto graph, GraphScope? parent)
    {
        Graph = graph;
        Parent = parent;
        _initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var initializer in graph.Initializer)
        {
            _initializers.TryAdd(initializer.Name, initializer);
        }

        _inputs = new HashSet<string>(graph.Input.Select(i => i.Name), StringComparer.Ordinal);
    }

    public GraphProto Graph { get; }

    public GraphScope? Parent { get; }

    /// <summary>
    /// The constant initializer <paramref name="name"/> refers to here, and the scope that owns it.
    /// Null for a graph input (an initializer listed as an input can be overridden at run time, so it
    /// is not a constant) or a value computed by a node.
    /// </summary>
    public TensorProto? FindConstant(string name, out GraphScope? owner)
    {
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (scope._inputs.Contains(name))
            {
                break;
            }

            if (scope._initializers.TryGetValue(name, out var tensor))
            {
                owner = scope;
                return tensor;
            }

            if (scope.Graph.Node.FirstOrDefault(n => n.Output.Contains(name)) is { } producer)
            {
                // Exporters (PyTorch's in If branches) often write weights as Constant nodes.
                if (ConstantValue(producer) is { } value)
                {
                    owner = scope;
                    return value;
                }

                break;
            }
        }

        owner = null;
        return null;
    }

    /// <summary>The tensor of a standard <c>Constant</c> node's <c>value</c> attribute; null for any other node.</summary>
    public static TensorProto? ConstantValue(NodeProto node)
        => node.OpType == "Constant" && (!node.HasDomain || node.Domain.Length == 0) && node.Attribute.FirstOrDefault(a => a.Name == "value") is { T: { } tensor }
            ? tensor
            : null;

    /// <summary>Adds an initializer to this graph.</summary>
    public void AddInitializer(TensorProto tensor)
    {
        Graph.Initializer.Add(tensor);
        _initializers[tensor.Name] = tensor;
    }

    /// <summary>Every graph of <paramref name="model"/>, outer graphs before the bodies inside them.</summary>
    public static List<GraphScope> All(ModelProto model)
    {
        var scopes = new List<GraphScope>();
        Walk(new GraphScope(model.Graph, null), scopes);
        return scopes;
    }

    private static void Walk(GraphScope scope, List<GraphScope> scopes)
    {
        scopes.Add(scope);
        foreach (var node in scope.Graph.Node)
        {
            foreach (var attribute in node.Attribute)
            {
                if (attribute.G is { } body)
                {
                    Walk(new GraphScope(body, scope), scopes);
                }

                foreach (var graph in attribute.Graphs)
                {
                    Walk(new GraphScope(graph, scope), scopes);
                }
            }
        }
    }
}
