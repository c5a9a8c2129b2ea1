using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Usher.Backends.Onnx.Format;
using Usher.Core.Tensors;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace Usher.Backends.Onnx.Sessions;

/// <summary>
/// One call signature of a session (the inputs' names, datatypes and shapes, the requested outputs)
/// bound once to pinned buffers through an <see cref="OrtIoBinding"/>. A run copies the inputs in,
/// calls <c>RunWithBinding</c> and copies the outputs out into new tensors: no names to marshal, no
/// ONNX Runtime values to create or outputs for it to allocate. The output shapes are the ones a
/// plain run returned for the same input shapes; should a model's output shape depend on the data
/// rather than on the input shapes, ONNX Runtime refuses the bound buffer and the run fails, and
/// the caller falls back to a plain run. One thread at a time.
/// </summary>
internal sealed class BoundRun : IDisposable
{
    private readonly Side[] _inputs;
    private readonly Side[] _outputs;
    private readonly OrtIoBinding _binding;

    private BoundRun(Side[] inputs, Side[] outputs, OrtIoBinding binding, long bytes)
    {
        _inputs = inputs;
        _outputs = outputs;
        _binding = binding;
        Bytes = bytes;
    }

    /// <summary>The pinned bytes this binding holds.</summary>
    public long Bytes { get; }

    /// <summary>
    /// Whether <paramref name="inputs"/> and <paramref name="outputs"/> (a plain run's) can be bound at all: fixed-size
    /// elements only, no empty tensor, and <paramref name="maxBytes"/> in all at most.
    /// </summary>
    public static bool CanBind(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs, long maxBytes)
    {
        long bytes = 0;
        foreach (var tensor in inputs)
        {
            if (tensor.DataType == DataType.Bytes || tensor.Data.IsEmpty)
            {
                return false;
            }

            bytes += tensor.Data.Length;
        }

        foreach (var tensor in outputs)
        {
            if (tensor.DataType == DataType.Bytes || tensor.Data.IsEmpty)
            {
                return false;
            }

            bytes += tensor.Data.Length;
        }

        return bytes <= maxBytes;
    }

    /// <summary>
    /// Binds a signature: the inputs' names, datatypes and shapes from <paramref name="inputs"/>, the
    /// outputs' from <paramref name="outputs"/> (what a plain run with these inputs returned).
    /// </summary>
    public static BoundRun Create(InferenceSession session, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var sides = new List<Side>(inputs.Count + outputs.Count);
        OrtIoBinding? binding = null;
        try
        {
            binding = session.CreateIoBinding();
            var boundInputs = new Side[inputs.Count];
            for (var i = 0; i < inputs.Count; i++)
            {
                boundInputs[i] = Side.Over(inputs[i]);
                sides.Add(boundInputs[i]);
                binding.BindInput(boundInputs[i].Name, boundInputs[i].Value);
            }

            var boundOutputs = new Side[outputs.Count];
            for (var i = 0; i < outputs.Count; i++)
            {
                boundOutputs[i] = Side.Over(outputs[i]);
                sides.Add(boundOutputs[i]);
                binding.BindOutput(boundOutputs[i].Name, boundOutputs[i].Value);
            }

            return new BoundRun(boundInputs, boundOutputs, binding, sides.Sum(s => (long)s.Buffer.Length));
        }
        catch
        {
            binding?.Dispose();
            foreach (var side in sides)
            {
                side.Value.Dispose();
            }

            throw;
        }
    }

    /// <summary>Whether a call with <paramref name="inputs"/> asking for <paramref name="outputNames"/> has this signature.</summary>
    public bool Matches(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
    {
        if (inputs.Count != _inputs.Length || outputNames.Count != _outputs.Length)
        {
            return false;
        }

        for (var i = 0; i < _inputs.Length; i++)
        {
            var side = _inputs[i];
            var input = inputs[i];
            if (input.DataType != side.DataType || !string.Equals(input.Name, side.Name, StringComparison.Ordinal)
                || !input.Shape.AsSpan().SequenceEqual(side.Shape))
            {
                return false;
            }
        }

        for (var i = 0; i < _outputs.Length; i++)
        {
            if (!string.Equals(outputNames[i], _outputs[i].Name, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Runs <paramref name="session"/> on <paramref name="inputs"/>, which <see cref="Matches"/> this signature.</summary>
    /// <exception cref="OnnxRuntimeException">When ONNX Runtime fails, for example on an output of another shape.</exception>
    public IReadOnlyList<Tensor> Run(InferenceSession session, RunOptions runOptions, IReadOnlyList<Tensor> inputs)
    {
        for (var i = 0; i < _inputs.Length; i++)
        {
            inputs[i].Data.Span.CopyTo(_inputs[i].Buffer);
        }

        session.RunWithBinding(runOptions, _binding);
        var outputs = new Tensor[_outputs.Length];
        for (var i = 0; i < outputs.Length; i++)
        {
            var side = _outputs[i];

            // Copied out: the buffer is overwritten by the next run, and a tensor's shape is handed to
            // callers. Span copies: an array's Clone allocates through the runtime's native helper,
            // 0.4% of the server's CPU on fraud at c=64.
            outputs[i] = Tensor.FromBytes(side.Name, side.DataType, side.Shape.AsSpan().ToArray(), side.Buffer.AsSpan().ToArray());
        }

        return outputs;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _binding.Dispose();
        foreach (var side in _inputs.Concat(_outputs))
        {
            side.Value.Dispose();
        }
    }

    // One bound tensor: pinned for the binding's life, since ONNX Runtime keeps the address.
    private sealed record Side(string Name, DataType DataType, long[] Shape, byte[] Buffer, OrtValue Value)
    {
        public static Side Over(Tensor tensor)
        {
            var buffer = GC.AllocateUninitializedArray<byte>(tensor.Data.Length, pinned: true);
            var shape = (long[])tensor.Shape.Clone();
            var elementType = (TensorElementType)OnnxElementTypes.ToOnnx(tensor.DataType);
            var value = OrtValue.CreateTensorValueWithData(
                OrtMemoryInfo.DefaultInstance, elementType, shape, Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0), buffer.Length);
            return new Side(tensor.Name, tensor.DataType, shape, buffer, value);
        }
    }
}
