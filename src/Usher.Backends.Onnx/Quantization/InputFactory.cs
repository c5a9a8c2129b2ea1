using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Usher.Backends.Onnx.Quantization;

/// <summary>
/// Generates seeded model inputs from a session's input metadata: a variable first dimension is the
/// batch, any other variable dimension is 1; floats uniform in [-1, 1), integers in [0, 10). An input
/// given in <c>fixedValues</c> (a scalar such as a sample rate) is used as it is.
/// </summary>
internal static class InputFactory
{
    /// <summary>True when every generated input has a variable first dimension, so batches of any size can be made.</summary>
    public static bool HasDynamicBatch(IReadOnlyDictionary<string, NodeMetadata> inputs, IReadOnlyDictionary<string, NamedOnnxValue> fixedValues)
        => inputs.Where(i => !fixedValues.ContainsKey(i.Key)).All(i => i.Value.Dimensions.Length > 0 && i.Value.Dimensions[0] < 0);

    /// <summary>A batch of <paramref name="rows"/> rows, or null with the input that cannot be generated.</summary>
    public static InputBatch? Generate(
        IReadOnlyDictionary<string, NodeMetadata> inputs, int rows, Random random, IReadOnlyDictionary<string, NamedOnnxValue> fixedValues, out string? problem)
    {
        problem = null;
        var values = new List<NamedOnnxValue>();
        foreach (var (name, metadata) in inputs)
        {
            if (fixedValues.TryGetValue(name, out var given))
            {
                values.Add(given);
                continue;
            }

            if (!metadata.IsTensor)
            {
                problem = $"input '{name}' is not a tensor; pass inputs with --calibration FILE";
                return null;
            }

            var dims = metadata.Dimensions.Select((d, i) => d >= 0 ? d : i == 0 ? rows : 1).ToArray();
            var count = dims.Aggregate(1L, (a, d) => a * d);
            NamedOnnxValue? value = metadata.ElementDataType switch
            {
                TensorElementType.Float => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(Fill(count, () => (float)((random.NextDouble() * 2) - 1)), dims)),
                TensorElementType.Double => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<double>(Fill(count, () => (random.NextDouble() * 2) - 1), dims)),
                TensorElementType.Int64 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(Fill(count, () => (long)random.Next(10)), dims)),
                TensorElementType.Int32 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<int>(Fill(count, () => random.Next(10)), dims)),
                TensorElementType.UInt8 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<byte>(Fill(count, () => (byte)random.Next(10)), dims)),
                TensorElementType.Int8 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<sbyte>(Fill(count, () => (sbyte)random.Next(10)), dims)),
                TensorElementType.Bool => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(Fill(count, () => random.Next(2) == 1), dims)),
                _ => null,
            };
            if (value is null)
            {
                problem = $"input '{name}': cannot generate {metadata.ElementDataType} values; pass inputs with --calibration FILE";
                return null;
            }

            values.Add(value);
        }

        return new InputBatch(values, rows);
    }

    private static T[] Fill<T>(long count, Func<T> next)
    {
        var values = new T[count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = next();
        }

        return values;
    }
}
