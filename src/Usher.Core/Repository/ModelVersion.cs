using Usher.Core.Backends;
using Usher.Core.Caching;
using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.Scheduling;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;

namespace Usher.Core.Repository;

/// <summary>
/// One loaded, warmed-up model version: the request validator, the prediction cache (when
/// enabled) and the dynamic batcher in front of a backend session. Requests
/// hold a lease (<see cref="TryAcquire"/>/<see cref="Release"/>) so that a version swapped out by a
/// reload or unload finishes its in-flight requests before its session is released.
/// </summary>
internal sealed class ModelVersion
{
    private const int RetiredFlag = 1 << 30;
    private readonly IBackendSession _session;
    private readonly TimeProvider _time;
    private readonly DynamicBatcher _batcher;
    private readonly PredictionCache? _cache;
    private readonly ModelMetrics _metrics;
    private readonly InstanceAutoscaler? _autoscaler;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;
    private long _lastUsed;
    private int _disposeOnDrain;
    private int _disposed;

    internal ModelVersion(string modelName, long version, string platform, string stamp, ModelConfig config, ModelSignature signature, IBackendSession session, int instances, SchedulingContext scheduling)
    {
        ModelName = modelName;
        Version = version;
        VariantName = Routing.RouteVariant.Format(modelName, version);
        Platform = platform;
        Stamp = stamp;
        Config = config;
        Signature = signature;
        _session = session;
        _time = scheduling.Time;
        _lastUsed = _time.GetTimestamp();
        _metrics = scheduling.Metrics.ForVersion(modelName, version);
        var settings = BatcherSettings.From(config, signature, instances, scheduling.Options);
        var label = $"model '{modelName}' version {version}";
        _batcher = new DynamicBatcher(settings, session.Run, label, _metrics, scheduling.Budget, scheduling.Time);
        _cache = config.Cache is { Enabled: true } cache ? new PredictionCache(cache, scheduling.Time) : null;
        var most = ModelVersionLoader.MostInstances(config, instances);
        if (config.Instances.Scaling is { } scaling)
        {
            _autoscaler = new InstanceAutoscaler(_batcher, scaling, most, scheduling.Time, _metrics, scheduling.Logger, label);
        }

        var batcher = _batcher;
        var cacheRef = _cache;
        var signals = new LoadSignalsReader(batcher, most);
        _metrics.Observe(() => batcher.Pending, () => cacheRef?.Bytes ?? 0, () => InFlight, signals.Read);
    }

    /// <summary>The model's name.</summary>
    public string ModelName { get; }

    /// <summary>The version number.</summary>
    public long Version { get; }

    /// <summary>The version's name as the <c>x-usher-variant</c> header carries it: <c>model:version</c>.</summary>
    public string VariantName { get; }

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
                Volatile.Write(ref _lastUsed, _time.GetTimestamp());
                return true;
            }
        }
    }

    /// <summary>When the version was last leased to a request (its load, before the first), as a timestamp of its clock; the memory budget evicts the least recent.</summary>
    internal long LastUsedTimestamp => Volatile.Read(ref _lastUsed);

    /// <summary>When the version was last leased to a request (its load, before the first).</summary>
    public DateTimeOffset LastUsed => _time.GetUtcNow() - _time.GetElapsedTime(LastUsedTimestamp);

    /// <summary>Returns a lease taken with <see cref="TryAcquire"/>.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _state) == RetiredFlag)
        {
            _drained.TrySetResult();
            if (Volatile.Read(ref _disposeOnDrain) != 0)
            {
                // The request's thread starts the release and does not wait for it (the batcher's
                // executors stop on their own threads); Released completes when it is done.
                _ = ReleaseSessionAsync();
            }
        }
    }

    /// <summary>The prediction cache, when the config enables it.</summary>
    public PredictionCache? Cache => _cache;

    /// <summary>The model's request log, when its config has a <c>logging</c> section; the router offers it each answered request.</summary>
    internal RequestLogging.RequestLog? RequestLog { get; init; }

    /// <summary>The scheduler's queue length right now.</summary>
    public int Pending => _batcher.Pending;

    internal DynamicBatcher Batcher => _batcher;

    /// <summary>The controller of the version's instance count, when its config gives a range.</summary>
    internal InstanceAutoscaler? Autoscaler => _autoscaler;

    /// <summary>The backend session, for the in-process engine's direct path (its callers hold leases too).</summary>
    internal IBackendSession Session => _session;

    /// <summary>The version's metric instruments, which the direct path records into as well.</summary>
    internal ModelMetrics Metrics => _metrics;

    /// <summary>
    /// Validates one request, answers it from the prediction cache or queues it for a batch, and
    /// returns its outputs. The caller holds a lease. Expected failures are values; a backend
    /// failure fails only the batch it happened in.
    /// </summary>
    public ValueTask<InferenceResult<InferenceResponse>> InferAsync(InferenceRequest request, CancellationToken cancellationToken)
        => InferAsync(request, _time.GetTimestamp(), cancellationToken);

    /// <summary>
    /// <see cref="InferAsync(InferenceRequest, CancellationToken)"/> for a request whose clock started
    /// at <paramref name="started"/> (a timestamp of the scheduling clock): the frontend starts it when the
    /// request arrives (the router, for a caller that gives no start), so that the one measurement,
    /// reading, decoding, routing and injected delays included, feeds the request duration in
    /// <c>/metrics</c>, the rollout analysis and <c>Server-Timing</c> (<see cref="InferenceTimings.Total"/>).
    /// </summary>
    internal async ValueTask<InferenceResult<InferenceResponse>> InferAsync(InferenceRequest request, long started, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var validated = RequestValidator.Validate(request, Signature);
        if (!validated.IsSuccess)
        {
            _metrics.Record(RequestObservation.Failed(FailureReason.Invalid));
            return validated.Error;
        }

        var batcher = _batcher;
        var scheduling = SchedulingParameters.Read(request.Parameters, batcher.Settings);
        if (!scheduling.IsSuccess)
        {
            _metrics.Record(RequestObservation.Failed(FailureReason.Invalid));
            return scheduling.Error;
        }

        var (level, timeout) = scheduling.Value;
        if (_cache is null)
        {
            // A stream's micro-batch in flight: run with the other messages that came to this version.
            var ran = RequestStack.Current is { } stack && stack.TryAdd(batcher, Signature.MaxBatchSize, validated.Value, level, timeout, out var stacked)
                ? await stacked.ConfigureAwait(false)
                : await batcher.EnqueueAsync(validated.Value, level, timeout, cancellationToken).ConfigureAwait(false);
            return Complete(validated.Value, ran, started);
        }

        return await InferCachedAsync(_cache, validated.Value, batcher, level, timeout, started).ConfigureAwait(false);
    }

    // The cache's path, apart: its lambda captures the request and its scheduling, and a closure made
    // in InferAsync itself would be allocated for every request, with a cache or without.
    private async ValueTask<InferenceResult<InferenceResponse>> InferCachedAsync(PredictionCache cache, ValidatedRequest validated, DynamicBatcher batcher, int level, TimeSpan? timeout, long started)
    {
        var lookup = UsherActivities.Tracing ? UsherActivities.Source.StartActivity(UsherActivities.CacheLookup) : null;
        var key = cache.CreateKey(ModelName, Version, validated);
        var found = cache.TryGet(key, out var hit);
        lookup?.SetTag("usher.cache.hit", found).Dispose();
        if (found)
        {
            var elapsed = _time.GetElapsedTime(started);
            _metrics.Record(RequestObservation.CacheHit(elapsed));
            return Respond(validated, hit, new InferenceTimings(TimeSpan.Zero, TimeSpan.Zero, CacheHit: true, elapsed));
        }

        _metrics.CacheMiss();
        InferenceResult<BatchResult> mine = default;
        var computedHere = false;
        var shared = await cache.GetOrComputeAsync(key, async () =>
        {
            // The first caller computes for every concurrent caller with the same key, so its
            // cancellation must not fail the others: the shared run is not canceled.
            computedHere = true;
            mine = await batcher.EnqueueAsync(validated, level, timeout, CancellationToken.None).ConfigureAwait(false);
            return mine.IsSuccess
                ? InferenceResult<IReadOnlyList<Tensor>>.Success(mine.Value.Outputs)
                : InferenceResult<IReadOnlyList<Tensor>>.Failure(mine.Error);
        }).ConfigureAwait(false);
        if (computedHere)
        {
            return Complete(validated, mine, started);
        }

        // Another caller computed it: no queue or compute time of ours.
        if (!shared.IsSuccess)
        {
            _metrics.Record(RequestObservation.Failed(Reason(shared.Error.Kind)));
            return shared.Error;
        }

        var total = _time.GetElapsedTime(started);
        _metrics.Record(RequestObservation.CacheHit(total));
        return Respond(validated, shared.Value, new InferenceTimings(TimeSpan.Zero, TimeSpan.Zero, CacheHit: true, total));
    }

    private InferenceResult<InferenceResponse> Complete(ValidatedRequest request, InferenceResult<BatchResult> ran, long started)
    {
        if (!ran.IsSuccess)
        {
            _metrics.Record(RequestObservation.Failed(Reason(ran.Error.Kind)));
            return ran.Error;
        }

        var total = _time.GetElapsedTime(started);
        _metrics.Record(RequestObservation.Succeeded(ran.Value.Queue, ran.Value.Compute, total));
        return Respond(request, ran.Value.Outputs, new InferenceTimings(ran.Value.Queue, ran.Value.Compute, CacheHit: false, total));
    }

    private InferenceResult<InferenceResponse> Respond(ValidatedRequest request, IReadOnlyList<Tensor> outputs, InferenceTimings timings)
    {
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
            Timings = timings,
        });
    }

    private static FailureReason Reason(InferenceErrorKind kind) => kind switch
    {
        InferenceErrorKind.InvalidArgument => FailureReason.Invalid,
        InferenceErrorKind.Timeout => FailureReason.Timeout,
        InferenceErrorKind.Canceled => FailureReason.Canceled,
        InferenceErrorKind.Internal => FailureReason.Backend,
        _ => FailureReason.Rejected,
    };

    /// <summary>
    /// Whether <see cref="WarmUpAsync"/> can run here: a lone request runs at once (batching off or
    /// adaptive). With a queue delay or a latency target it would wait for a batch that never comes.
    /// </summary>
    internal bool WarmsUpThroughPipeline => _batcher.Settings.RunsLoneRequestAtOnce;

    /// <summary>
    /// The warm-up at load: runs <paramref name="request"/> down the path a client's request takes
    /// (validation, scheduling parameters, the batcher, the backend, the named response) with the
    /// version's metrics muted and past the prediction cache, so that neither <c>/metrics</c>, the
    /// cache nor the batcher's execution-time model holds anything of it. Only for a version that is
    /// not published yet: no client's request can run beside it, and no router can hand its outcome
    /// to the rollout analysis.
    /// </summary>
    internal async ValueTask<InferenceResult<InferenceResponse>> WarmUpAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        _metrics.Muted = true;
        try
        {
            var started = _time.GetTimestamp();
            if (_cache is null)
            {
                // The very method a client's request runs (its state machine and the builder's
                // instantiations are compiled here, not on the first request); metrics are muted.
                return await InferAsync(request, started, cancellationToken).ConfigureAwait(false);
            }

            var validated = RequestValidator.Validate(request, Signature);
            if (!validated.IsSuccess)
            {
                return validated.Error;
            }

            var scheduling = SchedulingParameters.Read(request.Parameters, _batcher.Settings);
            if (!scheduling.IsSuccess)
            {
                return scheduling.Error;
            }

            var ran = await _batcher.EnqueueAsync(validated.Value, scheduling.Value.Level, scheduling.Value.Timeout, cancellationToken).ConfigureAwait(false);
            return Complete(validated.Value, ran, started);
        }
        finally
        {
            _metrics.Muted = false;
            _batcher.ExecutionTime.Clear();
            _batcher.Load.Reset();
        }
    }

    /// <summary>
    /// Mutes the version for the server's warm-up through its own frontends (the server's loopback
    /// requests before it reports ready): while muted, nothing it serves is counted in <c>/metrics</c>
    /// or offered to its request log. Only before the server reports ready, when no client is meant to
    /// send requests: a client's request that comes anyway is served, and not counted either.
    /// </summary>
    internal void MuteForWarmup() => _metrics.Muted = true;

    /// <summary>
    /// Ends <see cref="MuteForWarmup"/>: counts again, and forgets what the warm-up taught the
    /// batcher's execution-time model and load signals, as the warm-up at load does.
    /// </summary>
    internal void UnmuteAfterWarmup()
    {
        _metrics.Muted = false;
        _batcher.ExecutionTime.Clear();
        _batcher.Load.Reset();
    }

    /// <summary>Whether the version serves muted (its warm-up): its answers are not counted or logged.</summary>
    internal bool Muted => _metrics.Muted;

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
            // Retired before (by another caller, or by TryRetireIdle): released once drained, by whichever gets there first.
            await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            await ReleaseSessionAsync().ConfigureAwait(false);
            return;
        }

        if (previous == 0)
        {
            _drained.TrySetResult();
        }

        try
        {
            await _drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            await ReleaseSessionAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Never release a session under a running request: the last lease releases it.
            Volatile.Write(ref _disposeOnDrain, 1);
            if (_drained.Task.IsCompleted)
            {
                await ReleaseSessionAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>
    /// Retires the version only if no request holds a lease, in one step: true when it did (no lease
    /// can be taken from now on; <see cref="RetireAsync"/> then releases the session at once), false
    /// when a request holds one (nothing changes). The memory budget evicts this way, so that an
    /// eviction never waits for a request that took its lease after the victim was chosen.
    /// </summary>
    internal bool TryRetireIdle()
    {
        if (Interlocked.CompareExchange(ref _state, RetiredFlag, 0) != 0)
        {
            return false;
        }

        _drained.TrySetResult();
        return true;
    }

    /// <summary>Releases a version that failed its warm-up and was never published.</summary>
    internal Task DisposeUnpublishedAsync() => ReleaseSessionAsync();

    /// <summary>Completes once the backend session is released (by a retirement, or by the last lease after a canceled one).</summary>
    internal Task Released => _released.Task;

    // Once, whoever gets here first; every caller gets the same task. Every lease is back, so the
    // queue is empty and the executors stop at once, but a caller never blocks on them: the last
    // lease may come back on an executor's own thread, or on a pool thread the stop needs.
    private Task ReleaseSessionAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _ = ReleaseOnceAsync();
        }

        return _released.Task;
    }

    private async Task ReleaseOnceAsync()
    {
        try
        {
            _autoscaler?.Dispose();
            await _batcher.DisposeAsync().ConfigureAwait(false);
            _metrics.Dispose();
            _session.Dispose();
            _released.TrySetResult();
        }
#pragma warning disable CA1031 // handed to whoever awaits Released (a retirement rethrows it)
        catch (Exception e)
#pragma warning restore CA1031
        {
            _released.TrySetException(e);
        }
    }
}
