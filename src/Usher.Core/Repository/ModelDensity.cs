using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Usher.Core.Backends;
using Usher.Core.Inference;
using Usher.Core.Models.Yaml;
using Usher.Core.Telemetry;

namespace Usher.Core.Repository;

/// <summary>
/// The memory budget of <see cref="ModelManager"/> (docs/density.md): loads a registered version on its
/// first request (concurrent first requests share one load; each waits at most
/// <see cref="DensitySettings.LoadTimeout"/>), and first unloads the least recently used idle versions
/// when the load would exceed the budget (<see cref="EvictionOrder"/>). A version is counted by what a
/// load of its file was measured to take (<see cref="FootprintBook"/>), and before the first such load
/// by its estimate (<see cref="DensitySettings.Estimate"/>); the budget also holds what
/// <see cref="FootprintMeter"/> finds above the loaded versions (its overhead, and a load's headroom
/// while it runs), so that the RSS stays within the budget plus the server's base. A load is admitted
/// only when what <see cref="LoadAdmission"/> holds for it fits, with the RSS read again first.
/// </summary>
internal sealed partial class ModelDensity : IDisposable
{
    private readonly ModelManager _manager;
    private readonly ModelVersionLoader _loader;
    private readonly ILogger _logger;
    private readonly FootprintMeter _meter;
    private readonly SemaphoreSlim _room = new(1, 1);
    private readonly ConcurrentDictionary<(string Model, long Version), Lazy<Task<InferenceResult<ModelVersion>>>> _loads = new();
    private long _reserved;
    private TaskCompletionSource _released = NewSignal();

    public ModelDensity(ModelManager manager, DensitySettings settings, ModelVersionLoader loader, UsherMetrics metrics, ILogger logger, IProcessMemory memory)
    {
        _manager = manager;
        _meter = new FootprintMeter(memory);
        Settings = settings;
        Admission = new LoadAdmission(settings.SizeFactor);
        _loader = loader;
        _logger = logger;
        Metrics = new DensityMetrics(metrics, settings.BudgetBytes, () => UsedBytes);
    }

    /// <summary>The budget and how versions are counted.</summary>
    public DensitySettings Settings { get; }

    /// <summary>The instruments of cold starts and evictions.</summary>
    public DensityMetrics Metrics { get; }

    /// <summary>How much of the budget a load holds while it runs, learned from the loads measured so far.</summary>
    public LoadAdmission Admission { get; }

    /// <summary>The measured footprints of the model files loaded so far.</summary>
    public FootprintBook Footprints { get; } = new();

    /// <summary>How loads are measured, and what the budget holds beside the loaded versions.</summary>
    public FootprintMeter Meter => _meter;

    /// <summary>The bytes the loaded versions are counted for (measured or estimated), the meter's overhead, and those held for the loads in progress.</summary>
    public long UsedBytes => EvictionOrder.LoadedBytes(_manager.Entries) + Held;

    // Counted beside the loaded versions: the loads in progress and the meter's overhead.
    private long Held => Interlocked.Read(ref _reserved) + _meter.Overhead;

    /// <summary>
    /// Loads <paramref name="version"/> of <paramref name="name"/> (or joins the load in progress) and
    /// takes a lease on it; waits at most the load timeout (503 after it; the load goes on, for the next request).
    /// </summary>
    public async ValueTask<InferenceResult<ModelVersion>> AcquireAsync(string name, long version, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            InferenceResult<ModelVersion> loaded;
            try
            {
                loaded = await Shared(name, version).WaitAsync(Settings.LoadTimeout, _manager.Clock, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return InferenceError.Unavailable($"model '{name}' version {version} is loading on demand and was not ready within {Settings.LoadTimeout.TotalSeconds:0.###} s (server.model_load_timeout_seconds); retry");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return new InferenceError(InferenceErrorKind.Canceled, $"the request for model '{name}' version {version} was canceled while the version loaded");
            }

            if (!loaded.IsSuccess)
            {
                return loaded.Error;
            }

            if (loaded.Value.TryAcquire())
            {
                return loaded;
            }

            // Evicted between its load and this lease (every other version was busy): load it again.
        }

        return InferenceError.Unavailable($"model '{name}' version {version} was unloaded as soon as it loaded: the memory budget is too small for the versions in use; retry");
    }

    /// <summary>
    /// Loads a version a rollout pins (or joins its load in progress) through the same admission as a
    /// load on demand, without taking a lease and without the request timeout; null when it is loaded,
    /// else why not.
    /// </summary>
    public async Task<InferenceError?> LoadPinnedAsync(string name, long version, CancellationToken cancellationToken)
    {
        var loaded = await Shared(name, version).WaitAsync(cancellationToken).ConfigureAwait(false);
        return loaded.IsSuccess ? null : loaded.Error;
    }

    // The load of the version in progress, or a new one; every caller waits for the same.
    private Task<InferenceResult<ModelVersion>> Shared(string name, long version)
        => _loads.GetOrAdd((name, version), key => new Lazy<Task<InferenceResult<ModelVersion>>>(() => LoadSharedAsync(key.Model, key.Version))).Value;

    private async Task<InferenceResult<ModelVersion>> LoadSharedAsync(string name, long version)
    {
        try
        {
            // Shared by every waiting request, so none of their cancellations stops it; disposal of the manager does.
            return await _manager.ChangeAsync(ct => LoadAsync(name, version, ct), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _loads.TryRemove((name, version), out _);
        }
    }

    private async Task<InferenceResult<ModelVersion>> LoadAsync(string name, long version, CancellationToken cancellationToken)
    {
        var slot = _manager.Find(name)?.Find(version);
        if (slot?.Loaded is { } ready)
        {
            return InferenceResult<ModelVersion>.Success(ready);
        }

        if (slot is not { OnDemand: true, Source: { } source })
        {
            return NotServable(name, version, slot);
        }

        var started = _manager.Clock.GetTimestamp();
        var measured = await Footprints.LookupAsync(source.Version, cancellationToken).ConfigureAwait(false);
        var needed = measured ?? source.EstimatedBytes;
        if (needed > Settings.BudgetBytes)
        {
            var how = measured is null ? $"its model file times {Settings.SizeFactor}" : "measured at an earlier load of its model file";
            return InferenceError.Unavailable($"model '{name}' version {version} needs about {ByteSizes.Format(needed)} ({how}), more than the whole memory budget of {ByteSizes.Format(Settings.BudgetBytes)}; raise server.memory_budget");
        }

        // Held while the load runs: what it keeps and what it needs only then, as learned so far
        // (LoadAdmission); the difference goes back once the version is counted by its measurement.
        var fileBytes = FileBytes(source.Version);
        var (refused, held) = await MakeRoomAsync(name, version, room => Hold(source, measured, fileBytes, room), cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        try
        {
            using (await _manager.Locks.EnterAsync(name, cancellationToken).ConfigureAwait(false))
            {
                // Looked up again under the model's lock: a reload or an unload may have replaced the entry.
                var entry = _manager.Find(name);
                slot = entry?.Find(version);
                if (slot?.Loaded is { } loadedMeanwhile)
                {
                    return InferenceResult<ModelVersion>.Success(loadedMeanwhile);
                }

                if (entry is null || slot is not { OnDemand: true, Source: { } current })
                {
                    return NotServable(name, version, slot);
                }

                ModelVersion loaded;
                long added, after, transient;
                try
                {
                    (loaded, added, after, transient) = await _meter.MeasureAsync(() => _loader.LoadAsync(current.Model, current.Version, current.Config, cancellationToken, current.RequestLog), cancellationToken).ConfigureAwait(false);
                }
                catch (ModelLoadException ex)
                {
                    Log.LoadFailed(_logger, name, version, ex.Message);
                    _manager.Publish(Replace(entry, VersionSlot.Parked(current, slot.LastUsed, $"the last load on demand failed: {ex.Message}")));
                    return InferenceError.Unavailable(ex.Message);
                }

                var counted = Footprints.Record(current.Version, added, FileBytes(current.Version));
                Admission.Learn(FileBytes(current.Version), counted, transient);
                _manager.Publish(Replace(entry, new VersionSlot(version, ModelState.Ready, null, loaded) { Source = current with { EstimatedBytes = counted, Measured = true } }));
                _meter.Settle(after, EvictionOrder.LoadedBytes(_manager.Entries));
                var took = _manager.Clock.GetElapsedTime(started);
                Metrics.Loaded(name, version, took);
                Log.LoadedOnDemand(_logger, name, version, took.TotalMilliseconds, ByteSizes.Format(added), ByteSizes.Format(needed), ByteSizes.Format(_meter.Overhead), ByteSizes.Format(_meter.Headroom), ByteSizes.Format(UsedBytes - counted - held), ByteSizes.Format(Settings.BudgetBytes));
                return InferenceResult<ModelVersion>.Success(loaded);
            }
        }
        finally
        {
            Interlocked.Add(ref _reserved, -held);
            Interlocked.Exchange(ref _released, NewSignal()).TrySetResult();
        }
    }

    // What a load holds, asked again after each wait for room: a load of the same file may have been measured meanwhile.
    private long Hold(VersionSource source, long? measured, long fileBytes, long room)
    {
        var known = measured ?? Footprints.Known(source.Version);
        return Admission.Hold(known, fileBytes, known ?? source.EstimatedBytes, _meter.Headroom, room, Settings.BudgetBytes - _meter.Overhead);
    }

    /// <summary>
    /// What a version registered from <paramref name="source"/> is counted for before it loads: its file's
    /// measured footprint when a load of the same file was measured already, else the source's estimate.
    /// </summary>
    public VersionSource Count(VersionSource source)
        => Footprints.Known(source.Version) is long measured ? source with { EstimatedBytes = measured, Measured = true } : source;

    private static long FileBytes(RepositoryVersion version)
    {
        try
        {
            return new FileInfo(version.ModelPath).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    // Evicts until the version's hold fits and reserves it (no error), or says why it cannot. The hold is
    // asked for with the room the budget can give, as measured now (LoadAdmission.Hold). While other
    // loads hold part of the budget and this one does not fit beside them, it waits for them first:
    // they run one at a time anyway (FootprintMeter), and their measurements correct what is counted.
    private async Task<(InferenceError? Refused, long Held)> MakeRoomAsync(string name, long version, Func<long, long> hold, CancellationToken cancellationToken)
    {
        await _room.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // An eviction can find its version changed under it (reloaded, removed): choose again.
            for (var round = 0; round < 4;)
            {
                if (_manager.Find(name)?.Find(version)?.Loaded is not null)
                {
                    // Loaded meanwhile (or an eviction of it was undone): nothing to hold; LoadAsync takes the loaded version.
                    return (null, 0);
                }

                var released = Volatile.Read(ref _released).Task;

                // What the RSS holds now beyond the loaded versions (an eviction may have freed less
                // than its version was counted for) counts before anything is admitted.
                _meter.Observe(EvictionOrder.LoadedBytes(_manager.Entries));
                var entries = _manager.Entries;
                var room = Settings.BudgetBytes - Held - EvictionOrder.UnevictableBytes(entries, _manager.PinsOf);
                var needed = hold(room);
                var fits = EvictionOrder.Choose(entries, _manager.PinsOf, Settings.BudgetBytes, Held, needed);
                if (fits is { Count: 0 })
                {
                    Interlocked.Add(ref _reserved, needed);
                    return (null, needed);
                }

                if (Interlocked.Read(ref _reserved) > 0)
                {
                    await released.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (fits is null)
                {
                    Log.BudgetFull(_logger, name, version, ByteSizes.Format(Settings.BudgetBytes));
                    return (InferenceError.Unavailable($"model '{name}' version {version} cannot load: the memory budget of {ByteSizes.Format(Settings.BudgetBytes)} is full and every loaded version is busy or pinned by a rollout; retry, or raise server.memory_budget"), 0);
                }

                foreach (var (model, slot) in fits)
                {
                    // A victim that took a lease since it was chosen is skipped: the next round chooses again.
                    if (!await TryEvictAsync(model, slot, cancellationToken).ConfigureAwait(false))
                    {
                        break;
                    }
                }

                round++;
            }

            return (InferenceError.Unavailable($"model '{name}' version {version} cannot load: the loaded versions kept changing while room was made under the memory budget; retry"), 0);
        }
        finally
        {
            _room.Release();
        }
    }

    /// <summary>
    /// Unloads <paramref name="victim"/> if it is still loaded as chosen and no request holds a lease on
    /// it: the version is retired in one step with that check (<see cref="ModelVersion.TryRetireIdle"/>),
    /// so the eviction never waits for a request. False, with the version left serving, when a request
    /// took a lease since it was chosen (or it changed meanwhile); true when it was unloaded.
    /// </summary>
    internal async Task<bool> TryEvictAsync(string model, VersionSlot victim, CancellationToken cancellationToken)
    {
        using (await _manager.Locks.EnterAsync(model, cancellationToken).ConfigureAwait(false))
        {
            var entry = _manager.Find(model);
            var slot = entry?.Find(victim.Version);
            if (entry is null || slot?.Loaded is not { } loaded || !ReferenceEquals(loaded, victim.Loaded) || slot.Source is not { } source)
            {
                return false;
            }

            // Published as parked first, so that new requests load it again rather than find it retired;
            // put back when a request took a lease before the retirement (it keeps serving, unharmed).
            var next = Replace(entry, VersionSlot.Parked(source, loaded.LastUsed, "unloaded to make room under the memory budget; loads on its next request"));
            _manager.Publish(next);
            if (!loaded.TryRetireIdle())
            {
                _manager.Publish(entry);
                return false;
            }

            Metrics.Evicted(model, victim.Version);
            Log.Evicted(_logger, model, victim.Version, loaded.LastUsed);
            await _manager.RetireAsync(entry, next).ConfigureAwait(false);
            return true;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static ModelEntry Replace(ModelEntry entry, VersionSlot slot)
        => entry with { Versions = [.. entry.Versions.Select(v => v.Version == slot.Version ? slot : v)] };

    private static InferenceError NotServable(string name, long version, VersionSlot? slot)
        => slot is null
            ? InferenceError.NotFound($"model '{name}' has no version {version}")
            : InferenceError.Unavailable($"model '{name}' version {version} is not ready ({slot.State.ToString().ToUpperInvariant()}): {slot.Reason ?? "loading"}");

    /// <inheritdoc />
    public void Dispose()
    {
        _room.Dispose();
        _meter.Dispose();
    }
}
