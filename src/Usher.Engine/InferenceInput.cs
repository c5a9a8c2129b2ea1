using Usher.Core.Tensors;

namespace Usher.Engine;

/// <summary>
/// One named input tensor of a request: row-major elements and a concrete shape (the batch
/// dimension first for a batched model, as the server takes it). The elements are copied, so the
/// caller may reuse its array at once.
/// </summary>
public sealed class InferenceInput
{
    private InferenceInput(Tensor tensor) => Tensor = tensor;

    /// <summary>An FP32 input.</summary>
    public InferenceInput(string name, ReadOnlySpan<float> data, ReadOnlySpan<long> shape)
        : this(Create(name, DataType.Fp32, data, shape))
    {
    }

    /// <summary>An FP64 input.</summary>
    public InferenceInput(string name, ReadOnlySpan<double> data, ReadOnlySpan<long> shape)
        : this(Create(name, DataType.Fp64, data, shape))
    {
    }

    /// <summary>An INT32 input.</summary>
    public InferenceInput(string name, ReadOnlySpan<int> data, ReadOnlySpan<long> shape)
        : this(Create(name, DataType.Int32, data, shape))
    {
    }

    /// <summary>An INT64 input.</summary>
    public InferenceInput(string name, ReadOnlySpan<long> data, ReadOnlySpan<long> shape)
        : this(Create(name, DataType.Int64, data, shape))
    {
    }

    /// <summary>A UINT8 input.</summary>
    public InferenceInput(string name, ReadOnlySpan<byte> data, ReadOnlySpan<long> shape)
        : this(Create(name, DataType.UInt8, data, shape))
    {
    }

    /// <summary>The input's name, as the model's metadata lists it.</summary>
    public string Name => Tensor.Name;

    /// <summary>The input's shape.</summary>
    public IReadOnlyList<long> Shape => Tensor.Shape;

    internal Tensor Tensor { get; }

    /// <summary>An input of any fixed-size element type (FP16 as <see cref="Half"/>, BOOL as <see cref="bool"/>, ...).</summary>
    /// <exception cref="ArgumentException">When no protocol datatype holds <typeparamref name="T"/>, or the element count disagrees with the shape.</exception>
    public static InferenceInput Of<T>(string name, ReadOnlySpan<T> data, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        var type = ElementTypes.Of<T>() ?? throw new ArgumentException($"no protocol datatype holds {typeof(T).Name} elements", nameof(data));
        return new InferenceInput(Create(name, type, data, shape));
    }

    private static Tensor Create<T>(string name, DataType type, ReadOnlySpan<T> data, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return Tensor.FromSpan(name, type, shape.ToArray(), data);
    }
}
