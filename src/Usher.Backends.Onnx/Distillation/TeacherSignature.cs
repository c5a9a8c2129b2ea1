using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Usher.Backends.Onnx.Distillation;

/// <summary>
/// What a student must reproduce to be a drop-in version of a teacher: one FP32 input of
/// <see cref="Features"/> values per row, one FP32 output of <see cref="Classes"/> probabilities per
/// row, and any INT64 label outputs (the arg-max), all with the teacher's names and shapes.
/// </summary>
/// <param name="Input">The input's name.</param>
/// <param name="Features">Values per input row.</param>
/// <param name="Probabilities">The probabilities output's name.</param>
/// <param name="Classes">Classes per row.</param>
/// <param name="Outputs">Every output in the teacher's order: its name and, for a label, whether it keeps a trailing dimension of 1 (null for the probabilities).</param>
internal sealed record TeacherSignature(string Input, int Features, string Probabilities, int Classes, IReadOnlyList<(string Name, bool? LabelKeepsDim)> Outputs)
{
    private const string Expected = "a teacher for distillation has one FP32 input [-1,F], one FP32 probabilities output [-1,C] with C >= 2, and optionally INT64 label outputs [-1] or [-1,1]";

    /// <summary>Reads the signature from a loaded teacher; null with what was expected and what was found.</summary>
    public static TeacherSignature? Read(InferenceSession session, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(session);
        problem = null;
        var (input, inMeta) = session.InputMetadata.FirstOrDefault();
        if (session.InputMetadata.Count != 1 || !inMeta.IsTensor || inMeta.ElementDataType != TensorElementType.Float || inMeta.Dimensions is not [< 0, > 0])
        {
            problem = $"{Expected}; its inputs: {Describe(session.InputMetadata)}";
            return null;
        }

        string? probabilities = null;
        var classes = 0;
        var outputs = new List<(string, bool?)>();
        foreach (var (name, meta) in session.OutputMetadata)
        {
            if (meta.IsTensor && meta.ElementDataType == TensorElementType.Float && meta.Dimensions is [< 0, >= 2] && probabilities is null)
            {
                (probabilities, classes) = (name, meta.Dimensions[1]);
                outputs.Add((name, null));
            }
            else if (meta.IsTensor && meta.ElementDataType == TensorElementType.Int64 && meta.Dimensions is [< 0] or [< 0, 1])
            {
                outputs.Add((name, meta.Dimensions.Length == 2));
            }
            else
            {
                problem = $"{Expected}; output '{name}' is {Describe(meta)} (its outputs: {Describe(session.OutputMetadata)})";
                return null;
            }
        }

        if (probabilities is null)
        {
            problem = $"{Expected}; its outputs: {Describe(session.OutputMetadata)}";
            return null;
        }

        return new TeacherSignature(input, inMeta.Dimensions[1], probabilities, classes, outputs);
    }

    private static string Describe(IReadOnlyDictionary<string, NodeMetadata> tensors)
        => string.Join(", ", tensors.Select(t => $"'{t.Key}' {Describe(t.Value)}"));

    private static string Describe(NodeMetadata meta) => meta.IsTensor
        ? $"{meta.ElementDataType} [{string.Join(",", meta.Dimensions.Select(d => d.ToString(CultureInfo.InvariantCulture)))}]"
        : meta.OnnxValueType.ToString();
}
