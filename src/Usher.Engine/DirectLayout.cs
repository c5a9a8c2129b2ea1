using System.Globalization;
using Usher.Core.Backends;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;

namespace Usher.Engine;

/// <summary>
/// What the fast path needs of one version: its single input and the chosen output, by client and
/// file name, datatype and elements per row, and how many rows a call may carry. Computed when a
/// session binds a version; checking a call against it allocates nothing unless the call is wrong.
/// </summary>
internal sealed class DirectLayout
{
    private DirectLayout(string inputName, string outputName, TensorBinding input, TensorBinding output, bool batched, int inputRow, int outputRow, int maxRows)
    {
        InputName = inputName;
        OutputName = outputName;
        Input = input;
        Output = output;
        Batched = batched;
        InputRow = inputRow;
        OutputRow = outputRow;
        MaxRows = maxRows;
    }

    public string InputName { get; }

    public string OutputName { get; }

    /// <summary>The input as the file names it, with a batch dimension of 1 row.</summary>
    public TensorBinding Input { get; }

    /// <summary>The output as the file names it, with a batch dimension of 1 row.</summary>
    public TensorBinding Output { get; }

    /// <summary>True when the first dimension counts rows; otherwise every call is one fixed-shape row.</summary>
    public bool Batched { get; }

    public int InputRow { get; }

    public int OutputRow { get; }

    public int MaxRows { get; }

    /// <summary>The layout of <paramref name="version"/>, or why it does not fit the fast path.</summary>
    /// <exception cref="UsherEngineException">Unsupported (several inputs, BYTES, variable inner dimensions) or NotFound (no such output).</exception>
    public static DirectLayout Of(ModelVersion version, string? output)
    {
        var label = $"model '{version.ModelName}' version {version.Version.ToString(CultureInfo.InvariantCulture)}";
        if (version.Session is not IDirectRunSource)
        {
            throw Unsupported($"{label}: its backend has no direct path; use InferAsync");
        }

        var signature = version.Signature;
        if (signature.Inputs.Count != 1)
        {
            throw Unsupported($"{label} takes {signature.Inputs.Count} inputs; the fast path takes models of one input: use InferAsync");
        }

        var input = signature.Inputs[0];
        var outputName = output ?? signature.Outputs[0].Name;
        if (!signature.OutputsByName.ContainsKey(outputName))
        {
            throw new UsherEngineException(InferenceError.NotFound(
                $"{label} has no output '{outputName}'; it has {string.Join(", ", signature.Outputs.Select(o => $"'{o.Name}'"))}"));
        }

        var inputFile = FileSpec(version.Session.Inputs, signature.ToFileName(input.Name), label);
        var outputFile = FileSpec(version.Session.Outputs, signature.ToFileName(outputName), label);
        var batched = inputFile.Shape.Length > 0 && inputFile.Shape[0] < 0;
        if (batched != (outputFile.Shape.Length > 0 && outputFile.Shape[0] < 0))
        {
            throw Unsupported($"{label}: input '{input.Name}' and output '{outputName}' disagree on a batch dimension; use InferAsync");
        }

        var inputBinding = Bind(inputFile, input.Name, label);
        var outputBinding = Bind(outputFile, outputName, label);
        var maxRows = !batched ? 1 : signature.IsBatched ? signature.MaxBatchSize : int.MaxValue;
        return new DirectLayout(input.Name, outputName, inputBinding, outputBinding, batched, RowLength(inputBinding, batched), RowLength(outputBinding, batched), maxRows);
    }

    /// <summary>The rows of a call, or an <see cref="InferenceErrorKind.InvalidArgument"/> error when the buffers do not fit.</summary>
    public int RowsOf<TInput, TOutput>(int inputLength, int outputLength, ModelMetrics metrics)
        where TInput : unmanaged
        where TOutput : unmanaged
    {
        if (!ElementTypes.Holds<TInput>(Input.DataType))
        {
            throw Invalid(metrics, $"input '{InputName}' is {Input.DataType.ToProtocolName()}: pass {ElementTypes.ClrName(Input.DataType)} elements, not {typeof(TInput).Name}");
        }

        if (!ElementTypes.Holds<TOutput>(Output.DataType))
        {
            throw Invalid(metrics, $"output '{OutputName}' is {Output.DataType.ToProtocolName()}: pass a {ElementTypes.ClrName(Output.DataType)} buffer, not {typeof(TOutput).Name}");
        }

        var rows = inputLength / InputRow;
        if (inputLength == 0 || inputLength % InputRow != 0 || rows > MaxRows)
        {
            throw Invalid(metrics, Batched
                ? $"input '{InputName}': expected 1 to {MaxRows} rows of {InputRow} elements, got {inputLength} elements"
                : $"input '{InputName}': expected {InputRow} elements, got {inputLength}");
        }

        if (outputLength != rows * OutputRow)
        {
            throw Invalid(metrics, $"output '{OutputName}': {rows} rows need a buffer of {rows * OutputRow} elements ({OutputRow} per row), got {outputLength}");
        }

        return rows;
    }

    /// <summary>The binding of <paramref name="tensor"/> for <paramref name="rows"/> rows.</summary>
    public TensorBinding WithRows(TensorBinding tensor, int rows)
    {
        if (!Batched)
        {
            return tensor;
        }

        var shape = (long[])tensor.Shape.Clone();
        shape[0] = rows;
        return tensor with { Shape = shape };
    }

    private static Core.Models.TensorSpec FileSpec(IReadOnlyList<Core.Models.TensorSpec> specs, string fileName, string label)
        => specs.FirstOrDefault(s => s.Name == fileName) ?? throw Unsupported($"{label}: the model file has no tensor '{fileName}'");

    private static TensorBinding Bind(Core.Models.TensorSpec spec, string clientName, string label)
    {
        if (spec.DataType == DataType.Bytes)
        {
            throw Unsupported($"{label}: '{clientName}' is BYTES; the fast path takes fixed-size elements: use InferAsync");
        }

        var shape = (long[])spec.Shape.Clone();
        for (var i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0 && i > 0)
            {
                throw Unsupported($"{label}: '{clientName}' has the variable shape {TensorShape.Format(spec.Shape)}; the fast path needs fixed dimensions after the batch dimension: use InferAsync");
            }
        }

        if (shape.Length > 0 && shape[0] < 0)
        {
            shape[0] = 1;
        }

        return new TensorBinding(spec.Name, spec.DataType, shape);
    }

    private static int RowLength(TensorBinding binding, bool batched)
        => checked((int)(TensorShape.ElementCount(binding.Shape) / (batched ? binding.Shape[0] : 1)));

    private static UsherEngineException Unsupported(string message) => new(new InferenceError(InferenceErrorKind.Unsupported, message));

    private static UsherEngineException Invalid(ModelMetrics metrics, string message)
    {
        metrics.Record(RequestObservation.Failed(FailureReason.Invalid));
        return new UsherEngineException(InferenceError.Invalid(message));
    }
}
