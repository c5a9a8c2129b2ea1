using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Usher.Backends.Onnx.Hosting;
using Usher.Core.Hosting;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Telemetry;

namespace Usher.Engine;

/// <summary>
/// Usher's serving pipeline inside your process, without a server: the model repository, the
/// per-version validation, prediction cache, dynamic batcher, instances and metrics that the
/// server runs, over ONNX Runtime. Thread-safe; open one per repository and share it.
/// </summary>
/// <example>
/// <code>
/// await using var engine = await UsherEngine.OpenAsync("models");
/// using var result = await engine.InferAsync("fraud", new InferenceInput("features", new float[30], [1, 30]));
/// ReadOnlySpan&lt;float&gt; p = result.Output&lt;float&gt;("probabilities");
/// </code>
/// </example>
public sealed class UsherEngine : IAsyncDisposable
{
    private readonly ModelManager _models;
    private readonly UsherMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private Task _poller = Task.CompletedTask;
    private ServiceProvider? _services;
    private int _disposed;

    /// <summary>The engine's metrics (tests read the versions' totals from it).</summary>
    internal UsherMetrics Metrics => _metrics;

    private UsherEngine(ModelManager models, UsherMetrics metrics, TimeProvider time)
    {
        _models = models;
        _metrics = metrics;
        _time = time;
    }

    /// <summary>The repository folder.</summary>
    public string RepositoryPath => _models.RepositoryPath;

    /// <summary>The names of the models in the repository.</summary>
    public IReadOnlyList<string> Models => [.. _models.Models.Select(m => m.Name)];

    /// <summary>Runs after each scan of a watched repository (tests wait on it instead of on time).</summary>
    internal event Action? Polled;

    /// <summary>Opens the repository at <paramref name="repositoryPath"/> with default settings and loads every model.</summary>
    /// <exception cref="ArgumentException">When the folder does not exist.</exception>
    /// <exception cref="UsherEngineException">When a model fails to load (the message says which and why).</exception>
    public static Task<UsherEngine> OpenAsync(string repositoryPath, CancellationToken cancellationToken = default)
    {
        var options = new UsherEngineOptions();
        options.Repository.Path = repositoryPath;
        return OpenAsync(options, cancellationToken);
    }

    /// <summary>Opens the repository of <paramref name="options"/> and loads every model per its version policy.</summary>
    /// <exception cref="ArgumentException">When the settings are invalid (every problem is listed).</exception>
    /// <exception cref="UsherEngineException">With strict readiness, when a model fails to load.</exception>
    public static async Task<UsherEngine> OpenAsync(UsherEngineOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Repository.Validate().Concat(options.Scheduling.Validate()).ToList();
        if (options.Models is { Count: > 0 } && options.Repository.PollSeconds > 0)
        {
            problems.Add("Models: a watched repository (PollSeconds > 0) serves every model it holds; set one or the other");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems), nameof(options));
        }

        var loggers = options.LoggerFactory ?? NullLoggerFactory.Instance;

        // The server's composition (AddUsherCore, AddOnnxBackend) over the engine's own options and clock.
        var services = new ServiceCollection()
            .AddSingleton(options.Time)
            .AddSingleton(loggers)
            .AddSingleton(typeof(ILogger<>), typeof(Logger<>))
            .AddOptionsInstance(options.Repository)
            .AddOptionsInstance(options.Scheduling);
        if (options.MeterFactory is { } meters)
        {
            services.AddSingleton(meters);
        }

        var provider = services.AddUsherCore().AddOnnxBackend().BuildServiceProvider();
        var engine = new UsherEngine(provider.GetRequiredService<ModelManager>(), provider.GetRequiredService<UsherMetrics>(), options.Time)
        {
            _services = provider,
        };
        var models = engine._models;
        try
        {
            await LoadAsync(models, options.Models, cancellationToken).ConfigureAwait(false);

            if (options.Repository.PollSeconds > 0)
            {
                var logger = loggers.CreateLogger<UsherEngine>();
                engine._poller = RepositoryPoller.RunAsync(
                    models, TimeSpan.FromSeconds(options.Repository.PollSeconds), options.Time, logger, engine.OnPolled, engine._stopping.Token);
            }

            return engine;
        }
        catch
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The versions of <paramref name="model"/> that are ready to serve, ascending (empty for an unknown model).</summary>
    public IReadOnlyList<long> ReadyVersions(string model)
        => _models.Find(model)?.Versions.Where(v => v.State == ModelState.Ready).Select(v => v.Version).ToList() ?? [];

    /// <summary>Runs one request through the model's pipeline (validation, cache, batcher) on its newest ready version.</summary>
    /// <exception cref="UsherEngineException">With the server's error: unknown model, input that does not fit, queue full, backend failure, ...</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> is canceled first.</exception>
    public ValueTask<EngineResult> InferAsync(string model, InferenceInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return InferAsync(model, [input], null, cancellationToken);
    }

    /// <summary>
    /// Runs one request of any number of inputs (a batch of rows is one input of shape [rows, ...])
    /// through the model's pipeline. Concurrent calls are batched together, as on the server.
    /// </summary>
    /// <exception cref="UsherEngineException">With the server's error: unknown model or version, input that does not fit, queue full, backend failure, ...</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> is canceled first.</exception>
    public async ValueTask<EngineResult> InferAsync(string model, IReadOnlyList<InferenceInput> inputs, InferOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var request = EngineRequests.Create(model, inputs, options);
        var result = await RunAsync(request, cancellationToken).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            if (result.Error.Kind == InferenceErrorKind.Canceled)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            throw new UsherEngineException(result.Error);
        }

        return new EngineResult(result.Value);
    }

    /// <summary>
    /// The one in-process path every request takes, the public <see cref="InferAsync(string, IReadOnlyList{InferenceInput}, InferOptions?, CancellationToken)"/>
    /// and <c>usher batch</c> alike: a lease on the version the request names (the newest ready
    /// one when it names none), then the version's pipeline (validation, cache, batcher,
    /// instances, metrics). Expected failures are values; the tensors are used as they are, not copied.
    /// </summary>
    internal async ValueTask<InferenceResult<InferenceResponse>> RunAsync(InferenceRequest request, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var lease = _models.Acquire(request.ModelName, request.ModelVersion);
        if (!lease.IsSuccess)
        {
            return lease.Error;
        }

        try
        {
            return await lease.Value.InferAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lease.Value.Release();
        }
    }

    /// <summary>
    /// What a caller that packs its own batches needs of a version: its signature (inputs, outputs,
    /// <c>max_batch_size</c>) and configuration (instances). The newest ready version when
    /// <paramref name="version"/> is null.
    /// </summary>
    internal InferenceResult<VersionDescription> Describe(string model, long? version)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var lease = _models.Acquire(model, version);
        if (!lease.IsSuccess)
        {
            return lease.Error;
        }

        try
        {
            return InferenceResult<VersionDescription>.Success(new VersionDescription(lease.Value.Version, lease.Value.Signature, lease.Value.Config));
        }
        finally
        {
            lease.Value.Release();
        }
    }

    /// <summary>
    /// A session for the allocation-free fast path: <see cref="ModelSession.Run(ReadOnlySpan{float}, Span{float})"/>
    /// runs the model on the calling thread over caller-owned buffers, bypassing the queue. One
    /// thread at a time per session; open one per thread (they share the loaded model).
    /// </summary>
    /// <param name="model">The model's name.</param>
    /// <param name="version">A pinned version; null follows the newest ready version as new ones load.</param>
    /// <param name="output">The output to compute; null for the model's first output.</param>
    /// <exception cref="UsherEngineException">When the model or version is unknown or not ready, or the model does not fit the fast path (one input, fixed-size elements, fixed dimensions after the batch dimension).</exception>
    public ModelSession GetSession(string model, long? version = null, string? output = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return ModelSession.Open(_models, _time, model, version, output);
    }

    /// <summary>
    /// Scans the repository once, as a watched engine does every interval: loads new versions,
    /// reloads changed ones, and swaps them in atomically. A version that fails to load never
    /// replaces one that serves.
    /// </summary>
    public Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _models.PollOnceAsync(cancellationToken);
    }

    /// <summary>Stops watching, lets in-flight requests finish, and releases every model.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _poller.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The poller stops by cancellation.
        }

        // The container built the models and the metrics; it releases the models first.
        if (_services is not null)
        {
            await _services.DisposeAsync().ConfigureAwait(false);
        }
        _stopping.Dispose();
    }

    private void OnPolled() => Polled?.Invoke();

    private static async Task LoadAsync(ModelManager models, IReadOnlyList<string>? only, CancellationToken cancellationToken)
    {
        if (only is not { Count: > 0 })
        {
            await models.LoadAllAsync(cancellationToken).ConfigureAwait(false);
            if (!models.IsReady)
            {
                throw new UsherEngineException(InferenceError.Unavailable(
                    $"repository {models.RepositoryPath}: not every model loaded: {string.Join("; ", Problems(models))}"));
            }

            return;
        }

        foreach (var name in only)
        {
            var loaded = await models.LoadModelAsync(name, cancellationToken).ConfigureAwait(false);
            if (!loaded.IsSuccess)
            {
                throw new UsherEngineException(loaded.Error);
            }

            if (!loaded.Value.IsHealthy)
            {
                throw new UsherEngineException(InferenceError.Unavailable($"repository {models.RepositoryPath}: {Problem(loaded.Value)}"));
            }
        }
    }

    private static IEnumerable<string> Problems(ModelManager models) => models.Models.Where(m => !m.IsHealthy).Select(Problem);

    private static string Problem(ModelEntry m)
        => $"model '{m.Name}': {m.Reason ?? string.Join(", ", m.Versions.Where(v => v.Reason is not null).Select(v => $"version {v.Version}: {v.Reason}"))}";
}
