using Usher.Core.Backends;
using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Core.Repository;

/// <summary>
/// One loaded, warmed-up model version: a backend session behind the request validator. Requests
/// hold a lease (<see cref="TryAcquire"/>/<see cref="Release"/>) so that a version swapped out by a
/// reload or unload finishes its in-flight requests before its session is released.
/// </summary>
public sealed class ModelVersion
{
    private const int RetiredFlag = 1 << 30;
    private readonly IBackendSession _session;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;
    private int _disposeOnDrain;
    private int _disposed;

    internal ModelVersion(string modelName, long version, string platform, string stamp, ModelConfig config, ModelSignature signature, IBackendSession session)
    {
        ModelName = modelName;
        Version = version;
        Platform = platform;
        Stamp = stamp;
        Config = config;
        Signature = signature;
        _session = session;
    }

    /// <summary>The model's name.</summary>
    public string ModelName { get; }

    /// <summary>The version number.</summary>
    public long Version { get; }

    /// <summary>The backend's platform name (<c>onnxruntime_onnx</c>).</summary>
    public string Platform { get; }

    /// <summary>What the version was loaded from (model file and config stamps); a different stamp means reload.</summary>
    public string Stamp { get; }

    /// <summary>The config it was loaded with.</summary>
    public ModelConfig Config { get; }

    /// <summary>Its inputs, outputs and batching limit as clients see them.</summary>
    public ModelSignature Signature { get; }

    /// <summary>Requests holding a lease right now.</summary>
    public int InFlight => Volatile.Read(ref _state) & ~RetiredFlag;

    /// <summary>Takes a lease; false once the version is retired.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if ((state & RetiredFlag) != 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _state, state + 1, state) == state)
            {
                return true;
            }
        }
    }

    /// <summary>Returns a lease taken with <see cref="TryAcquire"/>.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _state) == RetiredFlag)
        {
            _drained.TrySetResult();
            if (Volatile.Read(ref _disposeOnDrain) != 0)
            {
                DisposeSession();
            }
        }
    }

    /// <summary>
    /// Validates and runs one request. The caller holds a lease. Expected failures are values;
    /// a backend failure becomes an <see cref="InferenceErrorKind.Internal"/> error for this request only.
    /// </summary>
    public InferenceResult<InferenceResponse> Infer(InferenceRequest request)
    {
        var validated = RequestValidator.Validate(request, Signature);
        if (!validated.IsSuccess)
        {
            return validated.Error;
        }

        return Run(validated.Value);
    }

    /// <summary>Runs an already validated request on the backend session.</summary>
    public InferenceResult<InferenceResponse> Run(ValidatedRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        IReadOnlyList<Tensor> outputs;
        try
        {
            outputs = _session.Run(request.Inputs, request.OutputFileNames);
        }
#pragma warning disable CA1031 // a backend failure fails this request only; the version keeps serving
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return InferenceError.Internal($"model '{ModelName}' version {Version} failed to run: {ex.Message}");
        }

        var named = new Tensor[outputs.Count];
        for (var i = 0; i < named.Length; i++)
        {
            var clientName = request.OutputClientNames[i];
            named[i] = outputs[i].Name == clientName ? outputs[i] : outputs[i].WithName(clientName);
        }

        return InferenceResult<InferenceResponse>.Success(new InferenceResponse
        {
            ModelName = ModelName,
            ModelVersion = Version,
            Id = request.Request.Id,
            Outputs = named,
        });
    }

    /// <summary>Runs file-named inputs directly (warm-up), throwing on failure.</summary>
    internal IReadOnlyList<Tensor> RunRaw(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames) => _session.Run(inputs, outputNames);

    /// <summary>
    /// Stops new leases, waits for in-flight requests to finish (bounded by <paramref name="cancellationToken"/>),
    /// then releases the backend session. When the wait is canceled, the session is released
    /// later, by the last request to finish.
    /// </summary>
    public async Task RetireAsync(CancellationToken cancellationToken)
    {
        var previous = Interlocked.Or(ref _state, RetiredFlag);
        if ((previous & RetiredFlag) != 0)
        {
            // Retired before: the first caller releases the session.
            await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        if (previous == 0)
        {
            _drained.TrySetResult();
        }

        try
        {
            await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            DisposeSession();
        }
        catch (OperationCanceledException)
        {
            // Never release a session under a running request: the last lease releases it.
            Volatile.Write(ref _disposeOnDrain, 1);
            if (_drained.Task.IsCompleted)
            {
                DisposeSession();
            }

            throw;
        }
    }

    private void DisposeSession()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _session.Dispose();
        }
    }
}
