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
    // A bound run holds at most this many pinned bytes: beyond it, copying the tensors in and out
    // costs more than the per-call overhead a binding saves, and the pinned memory adds up.
    private const long MaxBoundBytes = 1 << 20;

    private readonly RunOptions _runOptions = new();
    private readonly BoundRunPool _boundRuns = new(Environment.ProcessorCount);
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
    /// <remarks>
    /// A call whose signature (input names, datatypes and shapes, requested outputs) repeats runs over
    /// a binding of the caller's slot (<see cref="BoundRun"/>): a lone request of one row, or full
    /// batches, skip ONNX Runtime's per-call setup. Other calls, and any call while every slot is in
    /// use, take the plain <c>Run</c>.
    /// </remarks>
    public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputNames);
        CheckEveryInputIsGiven(inputs);

        var slot = _boundRuns.Rent();
        if (slot is null)
        {
            return RunPlain(inputs, outputNames);
        }

        try
        {
            var bound = slot.Find(inputs, outputNames);
            if (bound is not null)
            {
                try
                {
                    return bound.Run(_session, _runOptions, inputs);
                }
                catch (OnnxRuntimeException)
                {
                    // An output of another shape than last time (data-dependent), or a failure that the
                    // plain run below reports in its own words: stop binding this session.
                    slot.Remove(bound);
                    _boundRuns.Disable();
                    return RunPlain(inputs, outputNames);
                }
            }

            var outputs = RunPlain(inputs, outputNames);
            if (slot.ShouldBind(inputs, outputNames) && BoundRun.CanBind(inputs, outputs, MaxBoundBytes))
            {
                Bind(slot, inputs, outputs);
            }

            return outputs;
        }
        finally
        {
            _boundRuns.Return(slot);
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
        _boundRuns.Dispose();
        _session.Dispose();
        _runOptions.Dispose();
    }

    private IReadOnlyList<Tensor> RunPlain(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
    {
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

    private void Bind(BoundRunSlot slot, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        try
        {
            slot.Add(BoundRun.Create(_session, inputs, outputs));
        }
        catch (OnnxRuntimeException)
        {
            // ONNX Runtime cannot bind these tensors: the plain run serves them, as before.
            _boundRuns.Disable();
        }
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
