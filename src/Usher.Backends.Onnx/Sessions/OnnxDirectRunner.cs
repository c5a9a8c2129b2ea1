using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Usher.Backends.Onnx.Format;
using Usher.Core.Backends;
using Usher.Core.Tensors;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace Usher.Backends.Onnx.Sessions;

/// <summary>
/// One input and one output of a shared ONNX Runtime session bound, once, to pinned arrays through
/// an <see cref="OrtIoBinding"/>. <see cref="Run"/> is <c>RunWithBinding</c>: no names to marshal,
/// no values to create, nothing allocated.
/// </summary>
internal sealed class OnnxDirectRunner : IDirectRunner
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions;
    private readonly string _label;
    private readonly byte[] _input;
    private readonly byte[] _output;
    private readonly OrtValue _inputValue;
    private readonly OrtValue _outputValue;
    private readonly OrtIoBinding _binding;

    private OnnxDirectRunner(InferenceSession session, RunOptions runOptions, string label, byte[] input, byte[] output, OrtValue inputValue, OrtValue outputValue, OrtIoBinding binding)
    {
        _session = session;
        _runOptions = runOptions;
        _label = label;
        _input = input;
        _output = output;
        _inputValue = inputValue;
        _outputValue = outputValue;
        _binding = binding;
    }

    /// <inheritdoc />
    public Span<byte> Input => _input;

    /// <inheritdoc />
    public ReadOnlySpan<byte> Output => _output;

    /// <summary>Binds <paramref name="input"/> and <paramref name="output"/> of <paramref name="session"/> to pinned arrays.</summary>
    public static OnnxDirectRunner Create(InferenceSession session, RunOptions runOptions, string label, TensorBinding input, TensorBinding output)
    {
        // Pinned for the runner's life: ONNX Runtime keeps the addresses.
        var inputBuffer = GC.AllocateArray<byte>(ByteCount(input, label), pinned: true);
        var outputBuffer = GC.AllocateArray<byte>(ByteCount(output, label), pinned: true);
        OrtValue? inputValue = null;
        OrtValue? outputValue = null;
        OrtIoBinding? binding = null;
        try
        {
            inputValue = Over(inputBuffer, input);
            outputValue = Over(outputBuffer, output);
            binding = session.CreateIoBinding();
            binding.BindInput(input.Name, inputValue);
            binding.BindOutput(output.Name, outputValue);
            return new OnnxDirectRunner(session, runOptions, label, inputBuffer, outputBuffer, inputValue, outputValue, binding);
        }
        catch (OnnxRuntimeException ex)
        {
            binding?.Dispose();
            outputValue?.Dispose();
            inputValue?.Dispose();
            throw new InvalidOperationException($"{label}: ONNX Runtime cannot bind input '{input.Name}' and output '{output.Name}': {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public void Run()
    {
        try
        {
            _session.RunWithBinding(_runOptions, _binding);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidOperationException($"{_label}: ONNX Runtime failed to run: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _binding.Dispose();
        _outputValue.Dispose();
        _inputValue.Dispose();
    }

    private static int ByteCount(TensorBinding tensor, string label)
    {
        var size = tensor.DataType.ElementSize();
        if (size == 0)
        {
            throw new InvalidOperationException($"{label}: tensor '{tensor.Name}' is BYTES; only fixed-size element types can be bound to a buffer");
        }

        return checked((int)(TensorShape.ElementCount(tensor.Shape) * size));
    }

    private static OrtValue Over(byte[] pinned, TensorBinding tensor)
    {
        var elementType = (TensorElementType)OnnxElementTypes.ToOnnx(tensor.DataType);
        return OrtValue.CreateTensorValueWithData(
            OrtMemoryInfo.DefaultInstance, elementType, tensor.Shape, Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0), pinned.Length);
    }
}
