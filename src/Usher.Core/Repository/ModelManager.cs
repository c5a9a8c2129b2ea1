using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Usher.Core.Backends;
using Usher.Core.Inference;
using Usher.Core.RequestLogging;
using Usher.Core.Scheduling;

namespace Usher.Core.Repository;

/// <summary>
/// Owns the loaded models: loads the repository at start-up (in parallel, per version policy),
/// loads, reloads and unloads models on request or when polling finds a change, and hands out
/// versions to requests. Every change publishes a new immutable <see cref="ModelEntry"/>; a reload
/// loads the new versions beside the old ones, swaps them in atomically, and retires the old ones
/// once their in-flight requests finish. A failed reload keeps the old version serving.
/// </summary>
internal sealed partial class ModelManager : IAsyncDisposable
{
    private readonly RepositoryScanner _scanner;
    private readonly ModelVersionLoader _loader;
    private readonly ModelEntryLoader _entries;
    private readonly RepositoryOptions _options;
    private readonly ILogger _logger;
    private readonly RequestLogs? _requestLogs;
    private readonly ModelDensity? _density;
    private readonly IProcessMemory _memory;
    private readonly ModelLocks _modelLocks = new();
    private readonly ConcurrentDictionary<string, string> _diskStamps = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _initialLoad = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ModelChanges _changes = new();
    private ImmutableDictionary<string, ModelEntry> _models = ImmutableDictionary.Create<string, ModelEntry>(StringComparer.Ordinal);
    private ImmutableDictionary<string, VersionPins> _pins = ImmutableDictionary.Create<string, VersionPins>(StringComparer.Ordinal);

    /// <summary>Creates a manager over the repository in <paramref name="options"/>.</summary>
    /// <param name="backend">The backend that loads model files.</param>
    /// <param name="options">The repository's settings.</param>
    /// <param name="logger">Where loads and failures are logged.</param>
    /// <param name="scheduling">What every version's scheduler shares.</param>
    /// <param name="requestLogs">Where models with a <c>logging</c> section get their request log; null: request logging is off.</param>
    /// <param name="density">A memory budget: versions load on their first request and idle ones are evicted (<see cref="ModelDensity"/>); null: every version loads at once.</param>
    /// <param name="memory">How unloads give memory back, and under a memory budget how loads are measured; null: this process's (<see cref="ProcessMemory"/>).</param>
    public ModelManager(IModelBackend backend, RepositoryOptions options, ILogger<ModelManager>? logger = null, SchedulingContext? scheduling = null, RequestLogs? requestLogs = null, DensitySettings? density = null, IProcessMemory? memory = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(options);
        Platform = backend.Platform;
        _options = options;
        _scanner = new RepositoryScanner(options.Path, backend.ModelFileName);
        scheduling ??= SchedulingContext.Default();
        // Under a budget, sessions give their memory back when unloaded (no arena that keeps it).
        _loader = new ModelVersionLoader(backend, scheduling) { ReturnsMemory = density is not null };
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _requestLogs = requestLogs;
        _memory = memory ?? ProcessMemory.Instance;
        _density = density is null ? null : new ModelDensity(this, density, _loader, scheduling.Metrics, _logger, _memory);
        _entries = new ModelEntryLoader(_loader, options.LoadParallelism, requestLogs, _density, _logger);
    }

    /// <summary>The backend's platform name.</summary>
    public string Platform { get; }

    /// <summary>The clock its versions measure request durations with.</summary>
    internal TimeProvider Clock => _loader.Clock;

    /// <summary>The repository folder.</summary>
    public string RepositoryPath => _scanner.Root;

    /// <summary>Completes when the start-up load has finished (whatever each model's outcome).</summary>
    public Task InitialLoad => _initialLoad.Task;

    /// <summary>
    /// Ready when the start-up load has finished and, with strict readiness, every model that is not
    /// explicitly unloaded has all its versions ready.
    /// </summary>
    public bool IsReady => _initialLoad.Task.IsCompletedSuccessfully
        && (!_options.StrictReadiness || _models.Values.All(m => m.IsHealthy));

    /// <summary>How many per-model locks exist (one per model that is or was in the repository; for leak tests).</summary>
    internal int LockCount => _modelLocks.Count;

    /// <summary>A snapshot of every known model, by name.</summary>
    public IReadOnlyList<ModelEntry> Models => [.. _models.Values.OrderBy(m => m.Name, StringComparer.Ordinal)];

    /// <summary>The model's current entry, or null.</summary>
    public ModelEntry? Find(string name) => _models.GetValueOrDefault(name);

    /// <summary>The memory budget, or null when every version loads at once.</summary>
    internal ModelDensity? Density => _density;

    /// <summary>Every model's entry, unordered (the memory budget's view).</summary>
    internal IReadOnlyList<ModelEntry> Entries => [.. _models.Values];

    /// <summary>The per-model locks (the memory budget loads and evicts under them).</summary>
    internal ModelLocks Locks => _modelLocks;

    /// <summary>
    /// <see cref="Acquire(string, long?)"/>, and under a memory budget the load of a version that is registered but
    /// not loaded: the request waits for it (shared with concurrent first requests, bounded by the load timeout).
    /// </summary>
    public ValueTask<InferenceResult<ModelVersion>> AcquireAsync(string name, long? version, CancellationToken cancellationToken)
    {
        var lease = Acquire(name, version, out var parked);
        return parked is null || _density is null
            ? ValueTask.FromResult(lease)
            : _density.AcquireAsync(name, parked.Version, cancellationToken);
    }

    /// <summary>
    /// Finds the version a request should run on (the pinned one, or the newest ready one) and takes
    /// a lease on it. The caller must call <see cref="ModelVersion.Release"/> when done.
    /// </summary>
    public InferenceResult<ModelVersion> Acquire(string name, long? version) => Acquire(name, version, out _);

    // parked: the version asked for is registered under the memory budget and not loaded (AcquireAsync loads it).
    private InferenceResult<ModelVersion> Acquire(string name, long? version, out VersionSlot? parked)
    {
        parked = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (!_models.TryGetValue(name, out var entry))
            {
                return StillLoading(name) ?? InferenceError.NotFound($"unknown model '{name}'");
            }

            VersionSlot? slot;
            if (version is long pinned)
            {
                slot = entry.Find(pinned);
                if (slot is null)
                {
                    if (StillLoading(name) is { } loading)
                    {
                        return loading;
                    }

                    var known = entry.Versions.Count == 0 ? "none" : string.Join(", ", entry.Versions.Select(v => v.Version));
                    return InferenceError.NotFound($"model '{name}' has no version {pinned} (versions: {known})");
                }
            }
            else
            {
                slot = _density is null ? entry.NewestReady : entry.NewestServable;
                if (slot is null)
                {
                    var why = entry.Reason ?? entry.Versions.LastOrDefault()?.Reason ?? "no versions are loaded";
                    return InferenceError.Unavailable($"model '{name}' has no ready version: {why}");
                }
            }

            if (VersionLease.Take(name, slot, out parked) is { } lease)
            {
                return lease;
            }

            // Retired between the snapshot read and the lease: the replacement is published already.
        }

        return InferenceError.Unavailable($"model '{name}' is being replaced; retry");
    }

    // Before the start-up load ends, a model or version not seen yet may still appear: not ready, not unknown.
    private InferenceError? StillLoading(string name)
        => _initialLoad.Task.IsCompleted ? null : InferenceError.Unavailable($"model '{name}' is not ready: the server is loading its models; retry shortly");

    /// <summary>The model's version pins (<see cref="VersionPins.None"/> when the control plane set none).</summary>
    public VersionPins PinsOf(string name) => _pins.GetValueOrDefault(name) ?? VersionPins.None;

    /// <summary>
    /// Sets the versions the control plane needs loaded (or kept unloaded) beside the version
    /// policy. Takes effect at the model's next load; call <see cref="LoadModelAsync"/> to apply now.
    /// </summary>
    public void SetPins(string name, VersionPins pins)
    {
        ArgumentNullException.ThrowIfNull(pins);
        ImmutableInterlocked.AddOrUpdate(ref _pins, name, pins, (_, _) => pins);
    }

    /// <summary>Loads every model of the repository, in parallel. Completes <see cref="InitialLoad"/>.</summary>
    public async Task LoadAllAsync(CancellationToken cancellationToken)
    {
        try
        {
            var names = _scanner.ModelNames();
            foreach (var name in names)
            {
                ImmutableInterlocked.TryAdd(ref _models, name, ModelEntry.Loading(name));
            }

            await Parallel.ForEachAsync(
                names,
                new ParallelOptions { MaxDegreeOfParallelism = _options.LoadParallelism, CancellationToken = cancellationToken },
                async (name, ct) => await LoadModelAsync(name, ct).ConfigureAwait(false)).ConfigureAwait(false);
            Log.RepositoryLoaded(_logger, _scanner.Root, _models.Values.Count(m => m.NewestReady is not null), names.Count);

            // Under a budget, the RSS now (every version registered, none loaded) is the server's base
            // that the budget is counted above; when a rollout pinned versions, they loaded through the
            // admission already, and the base was taken before the first of them (FootprintMeter).
            _density?.Meter.MarkBase();
            _initialLoad.TrySetResult();
        }
        catch (Exception ex)
        {
            _initialLoad.TrySetException(ex);
            throw;
        }
    }

    /// <summary>
    /// Loads or reloads one model from disk per its config and version policy. Versions whose file
    /// and config are unchanged are kept as they are. Fails (with every reason) when the model is
    /// not in the repository, its config is invalid, or a version failed to load; in each case the
    /// versions that were serving keep serving.
    /// </summary>
    public async Task<InferenceResult<ModelEntry>> LoadModelAsync(string name, CancellationToken cancellationToken)
    {
        // Checked before the lock: a name that is neither known nor on disk gets no state (each
        // unknown name asked for would otherwise keep a semaphore for the life of the process).
        if (!_models.ContainsKey(name) && !_scanner.Contains(name))
        {
            return NotInRepository(name);
        }

        var loaded = await ChangeAsync(async ct =>
        {
            using (await _modelLocks.EnterAsync(name, ct).ConfigureAwait(false))
            {
                return await LoadLockedAsync(name, ct).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
        return _density is null ? loaded : await LoadPinnedAsync(name, loaded, cancellationToken).ConfigureAwait(false);
    }

    // Under a memory budget, the versions an active rollout pins load at once, through the budget's
    // admission like any load on demand (evicting idle versions to make room, refused when busy and
    // pinned versions leave none), after the model's lock is let go: a load on demand takes it.
    private async Task<InferenceResult<ModelEntry>> LoadPinnedAsync(string name, InferenceResult<ModelEntry> registered, CancellationToken cancellationToken)
    {
        var refused = new List<string>();
        foreach (var version in PinsOf(name).Resident)
        {
            if (Find(name)?.Find(version) is { OnDemand: true } && await _density!.LoadPinnedAsync(name, version, cancellationToken).ConfigureAwait(false) is { } error)
            {
                refused.Add($"version {version} is pinned by a rollout but did not load: {error.Message}");
            }
        }

        if (!registered.IsSuccess)
        {
            return refused.Count == 0 ? registered : new InferenceError(registered.Error.Kind, string.Join("; ", [registered.Error.Message, .. refused]));
        }

        return refused.Count > 0
            ? InferenceError.Unavailable($"model '{name}': {string.Join("; ", refused)}")
            : InferenceResult<ModelEntry>.Success(Find(name) ?? registered.Value);
    }

    /// <summary>Unloads every version of a model; in-flight requests finish first.</summary>
    public async Task<InferenceResult<ModelEntry>> UnloadModelAsync(string name, CancellationToken cancellationToken)
    {
        if (!_models.ContainsKey(name))
        {
            return InferenceError.NotFound($"unknown model '{name}'");
        }

        return await ChangeAsync(ct => UnloadLockedAsync(name, ct), cancellationToken).ConfigureAwait(false);
    }

    private async Task<InferenceResult<ModelEntry>> UnloadLockedAsync(string name, CancellationToken cancellationToken)
    {
        using (await _modelLocks.EnterAsync(name, cancellationToken).ConfigureAwait(false))
        {
            if (!_models.TryGetValue(name, out var current))
            {
                return InferenceError.NotFound($"unknown model '{name}'");
            }

            var entry = new ModelEntry(
                name,
                [.. current.Versions.Select(v => new VersionSlot(v.Version, ModelState.Unavailable, "unloaded", null))],
                "unloaded",
                Unloaded: true);
            Publish(entry);
            await RetireAsync(current, entry).ConfigureAwait(false);
            await CloseRequestLogsAsync(name, null).ConfigureAwait(false);
            return InferenceResult<ModelEntry>.Success(entry);
        }
    }

    /// <summary>The versions of <paramref name="name"/> on disk now, ascending; null when the repository has no such model.</summary>
    public IReadOnlyList<long>? VersionsOnDisk(string name)
        => _scanner.Scan(name) is { } scanned ? [.. scanned.Versions.Select(v => v.Version).Order()] : null;

    /// <summary>The repository index: every model on disk or known, one row per version.</summary>
    public IReadOnlyList<IndexEntry> Index() => RepositoryIndex.Build(_scanner.ModelNames(), _models);

    /// <summary>
    /// Scans the repository once: loads new models, reloads models whose config or version folders
    /// changed since they were last loaded, and unloads models whose folder is gone.
    /// </summary>
    public async Task PollOnceAsync(CancellationToken cancellationToken)
    {
        var names = _scanner.ModelNames();
        foreach (var name in names)
        {
            var scanned = _scanner.Scan(name);
            if (scanned is null || (_diskStamps.TryGetValue(name, out var seen) && seen == DiskStamp(scanned)))
            {
                continue;
            }

            Log.PollChange(_logger, name);
            await LoadModelAsync(name, cancellationToken).ConfigureAwait(false);
        }

        foreach (var gone in _models.Keys.Except(names, StringComparer.Ordinal).ToList())
        {
            Log.ModelRemoved(_logger, gone);
            using (await _modelLocks.EnterAsync(gone, cancellationToken).ConfigureAwait(false))
            {
                if (_models.TryGetValue(gone, out var current) && ImmutableInterlocked.TryRemove(ref _models, gone, out _))
                {
                    EntryChanged?.Invoke(gone);
                    _diskStamps.TryRemove(gone, out _);
                    await RetireAsync(current, null).ConfigureAwait(false);
                    await CloseRequestLogsAsync(gone, null).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Cancels the loads and unloads in progress and waits for them to end (a backend's native load
    /// cannot be stopped halfway, and a process that exits while one runs can crash), then retires
    /// every loaded version, waiting for in-flight requests up to the unload timeout.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _changes.CloseAsync().ConfigureAwait(false);

        var all = _models.Values.ToList();
        _models = _models.Clear();
        foreach (var entry in all)
        {
            await RetireAsync(entry, null).ConfigureAwait(false);
        }

        _entries.Dispose();
        _changes.Dispose();
        _density?.Dispose();
    }

    // Runs a load or unload so that DisposeAsync can cancel it and wait for its end; refused once disposal began.
    internal Task<InferenceResult<T>> ChangeAsync<T>(Func<CancellationToken, Task<InferenceResult<T>>> change, CancellationToken cancellationToken)
        => _changes.RunAsync(change, cancellationToken);

    private async Task<InferenceResult<ModelEntry>> LoadLockedAsync(string name, CancellationToken cancellationToken)
    {
        var scanned = _scanner.Scan(name);
        if (scanned is null)
        {
            return NotInRepository(name);
        }

        _diskStamps[name] = DiskStamp(scanned);
        var current = _models.GetValueOrDefault(name);
        var load = await _entries.LoadAsync(scanned, current, PinsOf(name), cancellationToken).ConfigureAwait(false);
        Publish(load.Entry);
        if (load.Replaces)
        {
            await RetireAsync(current, load.Entry).ConfigureAwait(false);
            await CloseRequestLogsAsync(name, load.RequestLog).ConfigureAwait(false);
        }

        return load.Error is { } error ? error : InferenceResult<ModelEntry>.Success(load.Entry);
    }

    private Task CloseRequestLogsAsync(string name, RequestLog? keep)
        => _requestLogs is null ? Task.CompletedTask : _requestLogs.RetainAsync(name, keep);

    private InferenceError NotInRepository(string name) => InferenceError.NotFound($"model '{name}' is not in the repository {_scanner.Root}");

    /// <summary>Raised with the model's name after its entry is published or removed (the route tables follow its versions' signatures).</summary>
    internal event Action<string>? EntryChanged;

    internal void Publish(ModelEntry entry)
    {
        ImmutableInterlocked.AddOrUpdate(ref _models, entry.Name, entry, (_, _) => entry);
        EntryChanged?.Invoke(entry.Name);
    }

    // Retires the versions of `previous` that `next` no longer serves, after their requests finish.
    internal async Task RetireAsync(ModelEntry? previous, ModelEntry? next)
    {
        if (previous is null)
        {
            return;
        }

        var kept = next?.Versions.Select(v => v.Loaded).OfType<ModelVersion>().ToHashSet() ?? [];
        var retiring = previous.Versions.Select(v => v.Loaded).OfType<ModelVersion>().Where(v => !kept.Contains(v)).ToList();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(_options.UnloadTimeoutSeconds));
        var released = 0;
        foreach (var version in retiring)
        {
            try
            {
                await version.RetireAsync(timeout.Token).ConfigureAwait(false);
                Log.VersionUnloaded(_logger, version.ModelName, version.Version);
                released++;
            }
            catch (OperationCanceledException)
            {
                Log.DrainTimeout(_logger, version.ModelName, version.Version);
            }
        }

        if (released > 0)
        {
            // The sessions' freed memory leaves the process, with or without a budget: glibc keeps
            // freed blocks in its arenas otherwise (at the end of a soak, after a promotion unloaded a
            // version, a trim gave 18 MiB back: benchmarks/compare/soak.md). On a pool thread: the
            // caller may be a request's.
            await Task.Run(_memory.Trim, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static string DiskStamp(RepositoryModel model)
        => model.ConfigStamp + "|" + string.Join(",", model.Versions.Select(v => $"{v.Version}:{v.Stamp}"));
}
