using System.Runtime.InteropServices;
using Usher.Core.Tensors;

namespace Usher.Server.RequestLogging;

/// <summary>One logged request as <see cref="RequestLogReader"/> reads it back: who answered, and the tensors.</summary>
/// <param name="Timestamp">When it was answered.</param>
/// <param name="Model">The model that answered.</param>
/// <param name="Version">The version that answered.</param>
/// <param name="Endpoint">The endpoint called.</param>
/// <param name="Variant">The variant that answered (<c>model:version</c>).</param>
/// <param name="RoutingKey">The sticky routing key, or null.</param>
/// <param name="RequestId">The client's request id, or null.</param>
/// <param name="LatencyMs">Server-side latency in milliseconds.</param>
/// <param name="Inputs">The inputs as the client sent them (names as the client saw them).</param>
/// <param name="Outputs">The outputs as the client got them.</param>
internal sealed record RequestLogEntry(
    DateTimeOffset Timestamp,
    string Model,
    long Version,
    string Endpoint,
    string Variant,
    string? RoutingKey,
    string? RequestId,
    double LatencyMs,
    IReadOnlyList<Tensor> Inputs,
    IReadOnlyList<Tensor> Outputs)
{
    /// <summary>The numeric inputs as FP32 values, row-major, by name (what distillation and calibration feed a model).</summary>
    public IReadOnlyDictionary<string, float[]> InputFloats() => Inputs.ToDictionary(t => t.Name, ToFloats, StringComparer.Ordinal);

    /// <summary>The numeric outputs as FP32 values, row-major, by name.</summary>
    public IReadOnlyDictionary<string, float[]> OutputFloats() => Outputs.ToDictionary(t => t.Name, ToFloats, StringComparer.Ordinal);

    /// <summary>A numeric tensor's elements as FP32 (integers and FP64 converted; BYTES refused).</summary>
    /// <exception cref="ArgumentException">A BYTES tensor.</exception>
    public static float[] ToFloats(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.DataType switch
        {
            DataType.Fp32 => tensor.AsSpan<float>().ToArray(),
            DataType.Fp64 => Convert(tensor.AsSpan<double>(), v => (float)v),
            DataType.Fp16 => Convert(tensor.AsSpan<Half>(), v => (float)v),
            DataType.Bf16 => Convert(tensor.AsSpan<ushort>(), v => BitConverter.UInt32BitsToSingle((uint)v << 16)),
            DataType.Bool or DataType.UInt8 => Convert(tensor.Data.Span, v => v),
            DataType.Int8 => Convert(MemoryMarshal.Cast<byte, sbyte>(tensor.Data.Span), v => v),
            DataType.UInt16 => Convert(tensor.AsSpan<ushort>(), v => v),
            DataType.Int16 => Convert(tensor.AsSpan<short>(), v => v),
            DataType.UInt32 => Convert(tensor.AsSpan<uint>(), v => v),
            DataType.Int32 => Convert(tensor.AsSpan<int>(), v => v),
            DataType.UInt64 => Convert(tensor.AsSpan<ulong>(), v => v),
            DataType.Int64 => Convert(tensor.AsSpan<long>(), v => v),
            _ => throw new ArgumentException($"tensor '{tensor.Name}': BYTES has no numeric value", nameof(tensor)),
        };
    }

    private static float[] Convert<T>(ReadOnlySpan<T> values, Func<T, float> convert)
    {
        var result = new float[values.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = convert(values[i]);
        }

        return result;
    }
}
