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
/// when the load would exceed the budget (<see cref="EvictionOrder"/>). Versions are counted by their
/// estimate (<see cref="DensitySettings.Estimate"/>), not by a measured RSS delta: loads run side by
/// side and the allocator keeps freed pages, so a delta per load is not reliable.
/// </summary>
internal sealed partial class ModelDensity : IDisposable
{
    private readonly ModelManager _manager;
    private readonly ModelVersionLoader _loader;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _room = new(1, 1);
    private readonly ConcurrentDictionary<(string Model, long Version), Lazy<Task<InferenceResult<ModelVersion>>>> _loads = new();
    private long _reserved;

    public ModelDensity(ModelManager manager, DensitySettings settings, ModelVersionLoader loader, UsherMetrics metrics, ILogger logger)
    {
        _manager = manager;
        Settings = settings;
        _loader = loader;
        _logger = logger;
        Metrics = new DensityMetrics(metrics, settings.BudgetBytes, () => UsedBytes);
    }

    /// <summary>The budget and how versions are counted.</summary>
    public DensitySettings Settings { get; }

    /// <summary>The instruments of cold starts and evictions.</summary>
    public DensityMetrics Metrics { get; }

    /// <summary>The estimated bytes of the loaded versions and of the loads in progress.</summary>
    public long UsedBytes => EvictionOrder.LoadedBytes(_manager.Entries) + Interlocked.Read(ref _reserved);

    /// <summary>
    /// Loads <paramref name="version"/> of <paramref name="name"/> (or joins the load in progress) and
    /// takes a lease on it; waits at most the load timeout (503 after it; the load goes on, for the next request).
    /// </summary>
    public async ValueTask<InferenceResult<ModelVersion>> AcquireAsync(string name, long version, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var load = _loads.GetOrAdd((name, version), key => new Lazy<Task<InferenceResult<ModelVersion>>>(() => LoadSharedAsync(key.Model, key.Version)));
            InferenceResult<ModelVersion> loaded;
            try
            {
                loaded = await load.Value.WaitAsync(Settings.LoadTimeout, _manager.Clock, cancellationToken).ConfigureAwait(false);
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

        if (source.EstimatedBytes > Settings.BudgetBytes)
        {
            return InferenceError.Unavailable($"model '{name}' version {version} needs about {ByteSizes.Format(source.EstimatedBytes)} (its model file times {Settings.SizeFactor}), more than the whole memory budget of {ByteSizes.Format(Settings.BudgetBytes)}; raise server.memory_budget");
        }

        var started = _manager.Clock.GetTimestamp();
        var room = await MakeRoomAsync(name, version, source.EstimatedBytes, cancellationToken).ConfigureAwait(false);
        if (room is not null)
        {
            return room;
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
                try
                {
                    loaded = await _loader.LoadAsync(current.Model, current.Version, current.Config, cancellationToken, current.RequestLog).ConfigureAwait(false);
                }
                catch (ModelLoadException ex)
                {
                    Log.LoadFailed(_logger, name, version, ex.Message);
                    _manager.Publish(Replace(entry, VersionSlot.Parked(current, slot.LastUsed, $"the last load on demand failed: {ex.Message}")));
                    return InferenceError.Unavailable(ex.Message);
                }

                _manager.Publish(Replace(entry, new VersionSlot(version, ModelState.Ready, null, loaded) { Source = current }));
                var took = _manager.Clock.GetElapsedTime(started);
                Metrics.Loaded(name, version, took);
                Log.LoadedOnDemand(_logger, name, version, took.TotalMilliseconds, ByteSizes.Format(UsedBytes - source.EstimatedBytes), ByteSizes.Format(Settings.BudgetBytes));
                return InferenceResult<ModelVersion>.Success(loaded);
            }
        }
        finally
        {
            Interlocked.Add(ref _reserved, -source.EstimatedBytes);
        }
    }

    // Evicts until the version fits and reserves its bytes (null), or says why it cannot.
    private async Task<InferenceError?> MakeRoomAsync(string name, long version, long needed, CancellationToken cancellationToken)
    {
        await _room.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // An eviction can find its version changed under it (reloaded, removed): choose again.
            for (var round = 0; round < 4; round++)
            {
                var victims = EvictionOrder.Choose(_manager.Entries, _manager.PinsOf, Settings.BudgetBytes, Interlocked.Read(ref _reserved), needed);
                if (victims is null)
                {
                    Log.BudgetFull(_logger, name, version, ByteSizes.Format(Settings.BudgetBytes));
                    return InferenceError.Unavailable($"model '{name}' version {version} cannot load: the memory budget of {ByteSizes.Format(Settings.BudgetBytes)} is full and every loaded version is busy or pinned by a rollout; retry, or raise server.memory_budget");
                }

                if (victims.Count == 0)
                {
                    Interlocked.Add(ref _reserved, needed);
                    return null;
                }

                foreach (var (model, slot) in victims)
                {
                    await EvictAsync(model, slot, cancellationToken).ConfigureAwait(false);
                }
            }

            return InferenceError.Unavailable($"model '{name}' version {version} cannot load: the loaded versions kept changing while room was made under the memory budget; retry");
        }
        finally
        {
            _room.Release();
        }
    }

    private async Task EvictAsync(string model, VersionSlot victim, CancellationToken cancellationToken)
    {
        using (await _manager.Locks.EnterAsync(model, cancellationToken).ConfigureAwait(false))
        {
            var entry = _manager.Find(model);
            var slot = entry?.Find(victim.Version);
            if (entry is null || slot?.Loaded is not { } loaded || !ReferenceEquals(loaded, victim.Loaded) || slot.Source is not { } source)
            {
                return;
            }

            var next = Replace(entry, VersionSlot.Parked(source, loaded.LastUsed, "unloaded to make room under the memory budget; loads on its next request"));
            _manager.Publish(next);
            Metrics.Evicted(model, victim.Version);
            Log.Evicted(_logger, model, victim.Version, loaded.LastUsed);
            await _manager.RetireAsync(entry, next).ConfigureAwait(false);
        }
    }

    private static ModelEntry Replace(ModelEntry entry, VersionSlot slot)
        => entry with { Versions = [.. entry.Versions.Select(v => v.Version == slot.Version ? slot : v)] };

    private static InferenceError NotServable(string name, long version, VersionSlot? slot)
        => slot is null
            ? InferenceError.NotFound($"model '{name}' has no version {version}")
            : InferenceError.Unavailable($"model '{name}' version {version} is not ready ({slot.State.ToString().ToUpperInvariant()}): {slot.Reason ?? "loading"}");

    /// <inheritdoc />
    public void Dispose() => _room.Dispose();
}
