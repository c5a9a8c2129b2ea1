using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Cli.Profile;

/// <summary>
/// One request's inputs made from a version's signature, as <c>usher bench</c> makes them from the
/// model's metadata (<see cref="Bench.InputGenerator"/>): one row (a variable first dimension of
/// a batched model is 1, as is any other variable dimension), seeded random values, floats in
/// [-1, 1) and integers in [0, 10).
/// </summary>
internal static class GeneratedInputs
{
    /// <summary>The tensors, or null with a problem naming the input that cannot be generated.</summary>
    public static IReadOnlyList<Tensor>? Create(ModelSignature signature, int seed, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(signature);
        problem = null;
        var random = new Random(seed);
        var tensors = new List<Tensor>(signature.Inputs.Count);
        foreach (var input in signature.Inputs)
        {
            var shape = input.Shape.Select(d => d < 0 ? 1 : d).ToArray();
            var count = checked((int)TensorShape.ElementCount(shape));
            Tensor? tensor = input.DataType switch
            {
                DataType.Fp32 => Tensor.FromSpan<float>(input.Name, input.DataType, shape, Fill(count, () => (float)((random.NextDouble() * 2) - 1))),
                DataType.Fp64 => Tensor.FromSpan<double>(input.Name, input.DataType, shape, Fill(count, () => (random.NextDouble() * 2) - 1)),
                DataType.Int8 => Tensor.FromSpan<sbyte>(input.Name, input.DataType, shape, Fill(count, () => (sbyte)random.Next(10))),
                DataType.UInt8 => Tensor.FromSpan<byte>(input.Name, input.DataType, shape, Fill(count, () => (byte)random.Next(10))),
                DataType.Int16 => Tensor.FromSpan<short>(input.Name, input.DataType, shape, Fill(count, () => (short)random.Next(10))),
                DataType.Int32 => Tensor.FromSpan<int>(input.Name, input.DataType, shape, Fill(count, () => random.Next(10))),
                DataType.Int64 => Tensor.FromSpan<long>(input.Name, input.DataType, shape, Fill(count, () => (long)random.Next(10))),
                DataType.Bool => Tensor.FromSpan<byte>(input.Name, input.DataType, shape, Fill(count, () => (byte)random.Next(2))),
                _ => null,
            };
            if (tensor is null)
            {
                problem = $"input '{input.Name}': cannot generate {input.DataType.ToProtocolName()} values (only FP32, FP64, INT8, UINT8, INT16, INT32, INT64, BOOL)";
                return null;
            }

            tensors.Add(tensor);
        }

        return tensors;
    }

    private static T[] Fill<T>(int count, Func<T> next)
    {
        var values = new T[count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = next();
        }

        return values;
    }
}
