using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Usher.Backends.Onnx.Format;
using Usher.Core.Backends;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Backends.Onnx.Sessions;

/// <summary>One loaded model version: an ONNX Runtime session shared by concurrent callers.</summary>
internal sealed class OnnxSession : IBackendSession, IDirectRunSource
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string _label;

    private OnnxSession(string label, InferenceSession session, TensorSpec[] inputs, TensorSpec[] outputs)
    {
        _label = label;
        _session = session;
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <inheritdoc />
    public IReadOnlyList<TensorSpec> Inputs { get; }

    /// <inheritdoc />
    public IReadOnlyList<TensorSpec> Outputs { get; }

    /// <summary>How messages name a version: <c>model 'fraud' version 2</c>.</summary>
    public static string Label(BackendLoadContext context) => $"model '{context.ModelName}' version {context.Version}";

    /// <summary>Loads <see cref="BackendLoadContext.ModelPath"/> with the version's settings.</summary>
    /// <exception cref="ModelLoadException">When the file is missing or unusable, or the settings cannot be met.</exception>
    public static OnnxSession Load(BackendLoadContext context) => Load(context, OrtEnv.Instance().GetAvailableProviders());

    /// <summary>Loads with an explicit list of available execution providers (tests pass their own).</summary>
    internal static OnnxSession Load(BackendLoadContext context, IReadOnlyCollection<string> availableProviders)
    {
        ArgumentNullException.ThrowIfNull(context);
        var label = Label(context);
        var path = context.ModelPath;
        if (!File.Exists(path))
        {
            throw new ModelLoadException($"{label}: model file '{path}' does not exist; put the ONNX model there or remove the version directory");
        }

        using var options = SessionOptionsFactory.Create(context, availableProviders);
        InferenceSession session;
        try
        {
            session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException ex)
        {
            if (OnnxFileInspector.TryFindUnservableTensor(path, out var kind, out var name, out var elementType))
            {
                throw new ModelLoadException(TensorSpecs.UnservableMessage(label, kind, name, elementType), ex);
            }

            throw new ModelLoadException($"{label}: ONNX Runtime cannot load '{path}': {ex.Message}; check that the file is a complete, valid ONNX model", ex);
        }

        try
        {
            var inputs = TensorSpecs.Read(session.InputNames, session.InputMetadata, "input", label);
            var outputs = TensorSpecs.Read(session.OutputNames, session.OutputMetadata, "output", label);
            return new OnnxSession(label, session, inputs, outputs);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputNames);
        CheckEveryInputIsGiven(inputs);

        var names = new string[inputs.Count];
        var values = new OrtValue[inputs.Count];
        var pins = new MemoryHandle[inputs.Count];
        try
        {
            for (var i = 0; i < inputs.Count; i++)
            {
                names[i] = inputs[i].Name;
                values[i] = OrtInputs.Create(inputs[i], out pins[i]);
            }

            using var results = RunSession(names, values, outputNames);
            var outputs = new Tensor[outputNames.Count];
            for (var i = 0; i < outputs.Length; i++)
            {
                outputs[i] = OrtOutputs.Read(outputNames[i], results[i]);
            }

            return outputs;
        }
        finally
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i]?.Dispose();
                pins[i].Dispose();
            }
        }
    }

    /// <inheritdoc />
    public IDirectRunner CreateDirectRunner(TensorBinding input, TensorBinding output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        return OnnxDirectRunner.Create(_session, _runOptions, _label, input, output);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }

    // ONNX Runtime runs a graph with an input left out and fails deep inside a kernel, if at all.
    private void CheckEveryInputIsGiven(IReadOnlyList<Tensor> inputs)
    {
        foreach (var spec in Inputs)
        {
            var given = false;
            for (var i = 0; i < inputs.Count && !given; i++)
            {
                given = inputs[i].Name == spec.Name;
            }

            if (!given)
            {
                throw new InvalidOperationException(
                    $"{_label}: input '{spec.Name}' was not given; the model takes {string.Join(", ", Inputs.Select(s => $"'{s.Name}'"))}");
            }
        }
    }

    private IDisposableReadOnlyCollection<OrtValue> RunSession(string[] names, OrtValue[] values, IReadOnlyList<string> outputNames)
    {
        try
        {
            return _session.Run(_runOptions, names, values, outputNames);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidOperationException($"{_label}: ONNX Runtime failed to run: {ex.Message}", ex);
        }
    }
}
