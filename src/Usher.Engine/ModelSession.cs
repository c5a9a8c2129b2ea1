using Usher.Core.Inference;
using Usher.Core.Repository;

namespace Usher.Engine;

/// <summary>
/// The engine's fast path: runs one model on the calling thread over caller-owned buffers,
/// without the queue and without allocating. The input and output are bound once to buffers of
/// ONNX Runtime; each call copies the input in, runs, and copies the output out. Each call takes
/// a lease on the version like any request (a reload never frees a session under it) and counts
/// in the version's metrics. A session serves one thread at a time; open one per thread.
/// </summary>
public sealed class ModelSession : IDisposable
{
    private readonly ModelManager _models;
    private readonly TimeProvider _time;
    private readonly long? _pinned;
    private readonly string? _outputName;
    private DirectBinding? _binding;
    private int _busy;
    private bool _disposed;

    private ModelSession(ModelManager models, TimeProvider time, string model, long? pinned, string? outputName)
    {
        _models = models;
        _time = time;
        ModelName = model;
        _pinned = pinned;
        _outputName = outputName;
    }

    /// <summary>The model's name.</summary>
    public string ModelName { get; }

    /// <summary>The version the session ran last (or was opened on).</summary>
    public long Version => _binding?.Version.Version ?? 0;

    /// <summary>The input's name (as the model's metadata lists it).</summary>
    public string InputName => Binding.Layout.InputName;

    /// <summary>The output's name.</summary>
    public string OutputName => Binding.Layout.OutputName;

    /// <summary>Input elements per row: the input holds a whole number of rows.</summary>
    public int InputRowLength => Binding.Layout.InputRow;

    /// <summary>Output elements per row: the output must hold exactly as many rows as the input.</summary>
    public int OutputRowLength => Binding.Layout.OutputRow;

    private DirectBinding Binding => _binding ?? throw new ObjectDisposedException(nameof(ModelSession));

    /// <summary>
    /// Runs the model on the rows in <paramref name="input"/> and writes their outputs to
    /// <paramref name="output"/>; for <c>fraud</c>, 30 features in, 2 probabilities out per row.
    /// </summary>
    /// <exception cref="UsherEngineException">When the buffers do not fit the model (<see cref="InferenceErrorKind.InvalidArgument"/>), no version is ready, or the backend fails.</exception>
    /// <exception cref="InvalidOperationException">When another thread is running this session.</exception>
    public void Run(ReadOnlySpan<float> input, Span<float> output) => Run<float, float>(input, output);

    /// <summary>Runs the model over buffers of any fixed-size element types (they must match the model's datatypes).</summary>
    /// <exception cref="UsherEngineException">When the buffers do not fit the model (<see cref="InferenceErrorKind.InvalidArgument"/>), no version is ready, or the backend fails.</exception>
    /// <exception cref="InvalidOperationException">When another thread is running this session.</exception>
    public void Run<TInput, TOutput>(ReadOnlySpan<TInput> input, Span<TOutput> output)
        where TInput : unmanaged
        where TOutput : unmanaged
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException($"model '{ModelName}': a session serves one thread at a time; call engine.GetSession once per thread");
        }

        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var version = Acquire(_models, ModelName, _pinned);
            var keepLease = false;
            try
            {
                var started = _time.GetTimestamp();
                var current = _binding!;
                var layout = current.Version == version ? current.Layout : DirectLayout.Of(version, _outputName);
                var rows = layout.RowsOf<TInput, TOutput>(input.Length, output.Length, version.Metrics);
                if (current.Version != version || current.Rows != rows)
                {
                    // A new version or another number of rows: bind again (this call allocates; repeats do not).
                    // The new binding keeps this call's lease; the old one's lease goes back.
                    var next = DirectBinding.Create(version, layout, rows);
                    keepLease = true;
                    _binding = next;
                    current.Dispose();
                    current.Version.Release();
                    current = next;
                }

                current.Run(input, output, started, _time);
            }
            finally
            {
                if (!keepLease)
                {
                    version.Release();
                }
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Releases the bound buffers and the session's lease on its version.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException($"model '{ModelName}': the session is running on another thread");
        }

        if (!_disposed && _binding is { } binding)
        {
            _disposed = true;
            _binding = null;
            binding.Dispose();
            binding.Version.Release();
        }

        _disposed = true;
        Volatile.Write(ref _busy, 0);
    }

    internal static ModelSession Open(ModelManager models, TimeProvider time, string model, long? version, string? output)
    {
        var session = new ModelSession(models, time, model, version, output);
        var loaded = Acquire(models, model, version);
        try
        {
            session._binding = DirectBinding.Create(loaded, DirectLayout.Of(loaded, output), rows: 1);
            return session;
        }
        catch
        {
            loaded.Release();
            throw;
        }
    }

    private static ModelVersion Acquire(ModelManager models, string model, long? version)
    {
        var lease = models.Acquire(model, version);
        return lease.IsSuccess ? lease.Value : throw new UsherEngineException(lease.Error);
    }
}
