using Google.Protobuf;
using Usher.Backends.Onnx.Format.Protos;

namespace Usher.Backends.Onnx.Quantization;

/// <summary>
/// Quantizes an ONNX model read with the project's own protobuf code (<c>Format/onnx.proto</c>):
/// dynamic INT8 of MatMul, Gemm and Conv weights, or FP16 storage of FP32 weights. Fields outside
/// the proto subset pass through unchanged.
/// </summary>
internal static class ModelQuantizer
{
    /// <summary>The lowest standard opset INT8 can target: <c>DynamicQuantizeLinear</c> is opset 11.</summary>
    public const int MinInt8Opset = 11;

    /// <summary>The lowest standard opset FP16 can target (<c>Cast</c> with an integer <c>to</c>).</summary>
    public const int MinFp16Opset = 6;

    /// <summary>The newest standard opset whose MatMul, Gemm, Conv and Cast the quantizer was written against.</summary>
    public const int MaxOpset = 22;

    // Protobuf cannot parse a message above 2 GiB; such models keep their weights in external files.
    private const long MaxModelBytes = int.MaxValue;

    /// <summary>Quantizes the model file at <paramref name="path"/>; false with a message naming what was expected.</summary>
    public static bool TryQuantize(string path, QuantizationOptions options, out QuantizedModel? result, out string? error)
    {
        result = null;
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            error = $"{path}: no such model file";
            return false;
        }

        if (info.Length > MaxModelBytes)
        {
            error = $"{path}: {info.Length} bytes; models over 2 GiB keep their weights in external data, which the quantizer does not read";
            return false;
        }

        return TryQuantize(File.ReadAllBytes(path), options, out result, out error);
    }

    /// <summary>Quantizes a model's bytes; false with a message naming what was expected.</summary>
    public static bool TryQuantize(byte[] model, QuantizationOptions options, out QuantizedModel? result, out string? error)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        result = null;
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException ex)
        {
            error = $"not an ONNX model: {ex.Message}";
            return false;
        }

        if (proto.Graph is null || proto.Graph.Node.Count == 0)
        {
            error = "not an ONNX model: it has no graph or no nodes";
            return false;
        }

        var opset = proto.OpsetImport.FirstOrDefault(o => !o.HasDomain || o.Domain.Length == 0 || o.Domain == "ai.onnx");
        var min = options.Mode == QuantizationMode.Int8 ? MinInt8Opset : MinFp16Opset;
        if (opset is null || opset.Version < min || opset.Version > MaxOpset)
        {
            var found = opset is null ? "no ai.onnx opset" : $"ai.onnx opset {opset.Version}";
            error = $"the model imports {found}; {options.Mode.ToString().ToUpperInvariant()} quantization knows opsets {min} to {MaxOpset}";
            return false;
        }

        var scopes = GraphScope.All(proto);
        var names = new UniqueNames(scopes);
        var kept = CountOps(scopes);
        IReadOnlyList<OpChange> changed = [];
        IReadOnlyList<string> skipped = [];
        var converted = 0;
        if (options.Mode == QuantizationMode.Int8)
        {
            var rewriter = new Int8Rewriter(options, names);
            foreach (var scope in scopes)
            {
                rewriter.Rewrite(scope);
            }

            if (rewriter.Changed.Count == 0)
            {
                var candidates = rewriter.Skipped.Count == 0 ? "it has no MatMul, Gemm or Conv node" : "none qualifies: " + string.Join("; ", rewriter.Skipped);
                error = $"no quantizable operators: INT8 needs MatMul, Gemm or Conv nodes with constant FP32 weights (initializers), and {candidates}";
                return false;
            }

            RemoveUnused(scopes, rewriter.ReplacedWeights);
            if (rewriter.UsesMicrosoftDomain && !proto.OpsetImport.Any(o => o.Domain == Int8Rewriter.MicrosoftDomain))
            {
                proto.OpsetImport.Add(new OperatorSetIdProto { Domain = Int8Rewriter.MicrosoftDomain, Version = 1 });
            }

            (changed, skipped) = (rewriter.Changed, rewriter.Skipped);
            foreach (var change in changed)
            {
                if (--kept[change.OpType] == 0)
                {
                    kept.Remove(change.OpType);
                }
            }
        }
        else
        {
            var rewriter = new Fp16Rewriter(options, names);
            foreach (var scope in scopes)
            {
                rewriter.Rewrite(scope);
            }

            if (rewriter.Converted == 0)
            {
                error = $"nothing to convert: FP16 stores FP32 initializers of at least {options.MinFp16Elements} elements, and the model has none";
                return false;
            }

            converted = rewriter.Converted;
        }

        proto.ProducerName = string.IsNullOrEmpty(proto.ProducerName) ? "usher" : proto.ProducerName + "+usher";
        result = new QuantizedModel(proto.ToByteArray(), changed, kept, skipped, converted);
        error = null;
        return true;
    }

    private static void RemoveUnused(List<GraphScope> scopes, IReadOnlySet<string> replaced)
    {
        var referenced = UniqueNames.Referenced(scopes);
        foreach (var graph in scopes.Select(s => s.Graph))
        {
            for (var i = graph.Node.Count - 1; i >= 0; i--)
            {
                var node = graph.Node[i];
                if (GraphScope.ConstantValue(node) is not null && node.Output.Count == 1 && replaced.Contains(node.Output[0]) && !referenced.Contains(node.Output[0]))
                {
                    graph.Node.RemoveAt(i);
                }
            }

            for (var i = graph.Initializer.Count - 1; i >= 0; i--)
            {
                var name = graph.Initializer[i].Name;
                if (replaced.Contains(name) && !referenced.Contains(name))
                {
                    graph.Initializer.RemoveAt(i);
                }
            }
        }
    }

    // The operators of the original graphs, by type; the rewritten ones are taken off afterwards.
    private static SortedDictionary<string, int> CountOps(List<GraphScope> scopes)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in scopes.SelectMany(s => s.Graph.Node))
        {
            counts[node.OpType] = counts.GetValueOrDefault(node.OpType) + 1;
        }

        return counts;
    }
}
