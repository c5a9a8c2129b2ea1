using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Usher.Backends.Onnx.Quantization;
using Usher.Core.Tensors;
using Usher.Server.RequestLogging;

namespace Usher.Cli.Optimize;

/// <summary>
/// Reads <c>--from-log DIR</c>: the requests a model's request log wrote (<c>logging:</c> in
/// <c>config.yaml</c>), each logged request one input batch, as <c>--calibration</c> gives them.
/// </summary>
internal static class RequestLogCalibration
{
    /// <summary>Logged requests read at most: enough to compare two versions, bounded so a large log cannot exhaust memory.</summary>
    public const int MaxRequests = 1024;

    /// <summary>The logged requests of <paramref name="model"/> as input batches; null with the problem.</summary>
    public static async Task<(List<InputBatch>? Batches, string? Problem)> ReadAsync(string directory, string model, CancellationToken cancellationToken)
    {
        if (!RequestLogReader.TryOpen(directory, model, out var reader, out var problem))
        {
            return (null, $"--from-log: {problem}");
        }

        IReadOnlyList<RequestLogEntry> entries;
        try
        {
            entries = await reader.ReadAllAsync(MaxRequests, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            return (null, $"--from-log: {ex.Message}");
        }

        var batches = new List<InputBatch>(entries.Count);
        foreach (var entry in entries)
        {
            var values = new List<NamedOnnxValue>(entry.Inputs.Count);
            foreach (var input in entry.Inputs)
            {
                if (ToValue(input) is not { } value)
                {
                    return (null, $"--from-log: {entry.Variant} request at {entry.Timestamp:O}: input '{input.Name}' is {input.DataType.ToProtocolName()}; expected one of FP32, FP64, INT64, INT32, UINT8, INT8, BOOL");
                }

                values.Add(value);
            }

            var rows = entry.Inputs.Count > 0 && entry.Inputs[0].Shape.Length > 0 ? (int)entry.Inputs[0].Shape[0] : 1;
            batches.Add(new InputBatch(values, Math.Max(1, rows)));
        }

        return (batches, null);
    }

    private static NamedOnnxValue? ToValue(Usher.Core.Tensors.Tensor tensor)
    {
        var dims = tensor.Shape.Select(d => checked((int)d)).ToArray();
        return tensor.DataType switch
        {
            DataType.Fp32 => NamedOnnxValue.CreateFromTensor(tensor.Name, new DenseTensor<float>(tensor.AsSpan<float>().ToArray(), dims)),
            DataType.Fp64 => NamedOnnxValue.CreateFromTensor(tensor.Name, new DenseTensor<double>(tensor.AsSpan<double>().ToArray(), dims)),
            DataType.Int64 => NamedOnnxValue.CreateFromTensor(tensor.Name, new DenseTensor<long>(tensor.AsSpan<long>().ToArray(), dims)),
            DataType.Int32 => NamedOnnxValue.CreateFromTensor(tensor.Name, new DenseTensor<int>(tensor.AsSpan<int>().ToArray(), dims)),
            DataType.UInt8 => NamedOnnxValue.CreateFromTensor(tensor.Name, new DenseTensor<byte>(tensor.Data.ToArray(), dims)),
            DataType.Int8 => NamedOnnxValue.CreateFromTensor(tensor.Name, new DenseTensor<sbyte>(tensor.AsSpan<sbyte>().ToArray(), dims)),
            DataType.Bool => NamedOnnxValue.CreateFromTensor(tensor.Name, new DenseTensor<bool>(tensor.AsSpan<bool>().ToArray(), dims)),
            _ => null,
        };
    }
}
