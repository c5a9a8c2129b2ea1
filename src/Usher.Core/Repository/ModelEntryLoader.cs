using Microsoft.Extensions.Logging;
using Usher.Core.Backends;
using Usher.Core.Inference;
using Usher.Core.Models;
using Usher.Core.RequestLogging;

namespace Usher.Core.Repository;

/// <summary>
/// Makes a model's next entry from its folder on disk, for <see cref="ModelManager"/>: reads its config
/// and opens its request log, selects its versions (version policy and pins), and loads each one, or
/// under a memory budget registers it to load on its first request. Versions whose file and config are
/// unchanged are kept as they are; a version that fails to reload keeps its previous load serving.
/// The caller holds the model's lock, publishes the entry and retires what it replaces.
/// </summary>
internal sealed partial class ModelEntryLoader : IDisposable
{
    private readonly ModelVersionLoader _loader;
    private readonly RequestLogs? _requestLogs;
    private readonly ModelDensity? _density;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _loadSlots;

    /// <param name="loader">Loads one version.</param>
    /// <param name="loadParallelism">How many versions load at once, over every model.</param>
    /// <param name="requestLogs">Where models with a <c>logging</c> section get their request log; null: request logging is off.</param>
    /// <param name="density">The memory budget, or null when every version loads at once.</param>
    /// <param name="logger">Where loads and failures are logged.</param>
    public ModelEntryLoader(ModelVersionLoader loader, int loadParallelism, RequestLogs? requestLogs, ModelDensity? density, ILogger logger)
    {
        _loader = loader;
        _requestLogs = requestLogs;
        _density = density;
        _logger = logger;
        _loadSlots = new SemaphoreSlim(loadParallelism);
    }

    /// <summary>Reads <paramref name="scanned"/> and loads (or registers) the versions it selects.</summary>
    /// <param name="scanned">The model's folder as scanned now.</param>
    /// <param name="current">The model's entry now, or null.</param>
    /// <param name="pins">The versions the control plane needs loaded (or kept unloaded).</param>
    /// <param name="cancellationToken">Stops waiting for a load slot.</param>
    public async Task<ModelEntryLoad> LoadAsync(RepositoryModel scanned, ModelEntry? current, VersionPins pins, CancellationToken cancellationToken)
    {
        var name = scanned.Name;
        ModelConfig config;
        try
        {
            config = scanned.ConfigPath is null ? ModelConfig.Default : ModelConfigParser.LoadFile(scanned.ConfigPath);
        }
        catch (ModelConfigException ex)
        {
            LogIgnored(scanned, null);
            Log.ConfigInvalid(_logger, name, ex.Message);
            return Failed(name, current, ex.Message, InferenceError.Invalid($"model '{name}': {ex.Message}"));
        }

        LogIgnored(scanned, config);
        var requestLog = OpenRequestLog(scanned, config, out var logProblem);
        if (logProblem is not null)
        {
            Log.ConfigInvalid(_logger, name, logProblem);
            return Failed(name, current, logProblem, InferenceError.Invalid($"model '{name}': {logProblem}"));
        }

        var onDisk = scanned.Versions.Select(v => v.Version).ToList();
        var selected = pins.Apply(config.VersionPolicy.Select(onDisk), onDisk);
        if (selected.Count == 0)
        {
            var why = scanned.Versions.Count == 0
                ? $"no version folders: put the model at {Path.Combine(scanned.Directory, "1", "model.onnx")}"
                : $"version_policy selects none of the versions present ({string.Join(", ", scanned.Versions.Select(v => v.Version))})";
            Log.ConfigInvalid(_logger, name, why);
            return Failed(name, current, why, InferenceError.Invalid($"model '{name}': {why}"));
        }

        var results = await Task.WhenAll(selected.Select(v => PlaceVersionAsync(scanned, scanned.Versions.First(x => x.Version == v), config, current, pins, requestLog, cancellationToken))).ConfigureAwait(false);
        var failures = results.Where(r => !r.OnDemand && (r.Loaded is null || r.Reason is not null)).ToList();
        var error = failures.Count == 0 ? null : InferenceError.Invalid(string.Join("; ", failures.Select(f => f.Reason)));
        return new ModelEntryLoad(new ModelEntry(name, results, null), Replaces: true, requestLog, error);
    }

    /// <inheritdoc />
    public void Dispose() => _loadSlots.Dispose();

    // The model could not be read: its ready versions keep serving, with the reason on the model.
    private static ModelEntryLoad Failed(string name, ModelEntry? current, string reason, InferenceError error)
        => new(new ModelEntry(name, current?.Versions.Where(v => v.State == ModelState.Ready).ToList() ?? [], reason), Replaces: false, null, error);

    // Under a memory budget a version is registered, not loaded (its first request loads it), unless it
    // is loaded already from the same files; every slot carries its source. A version an active rollout
    // pins is registered too: the manager loads it through the budget's admission once the model's
    // lock is let go (ModelManager.LoadModelAsync), as a load on demand, never beside the budget.
    private async Task<VersionSlot> PlaceVersionAsync(RepositoryModel model, RepositoryVersion version, ModelConfig config, ModelEntry? current, VersionPins pins, RequestLog? requestLog, CancellationToken cancellationToken)
    {
        if (_density is null)
        {
            return await LoadVersionAsync(model, version, config, current, requestLog, cancellationToken).ConfigureAwait(false);
        }

        var estimate = _density.Settings.Estimate(File.Exists(version.ModelPath) ? new FileInfo(version.ModelPath).Length : 0);
        var source = _density.Count(new VersionSource(model, version, config, requestLog, estimate));
        var old = current?.Find(version.Version);
        var unchanged = old?.Loaded is { } loaded && loaded.Stamp == version.Stamp + "|" + model.ConfigStamp;
        if (unchanged)
        {
            return await LoadVersionAsync(model, version, config, current, requestLog, cancellationToken).ConfigureAwait(false) with { Source = source };
        }

        var reason = pins.Resident.Contains(version.Version)
            ? "not loaded yet: pinned by a rollout, it loads at once through the memory budget's admission"
            : "not loaded: loads on its first request (memory budget)";
        return VersionSlot.Parked(source, old?.Loaded?.LastUsed ?? old?.LastUsed, reason);
    }

    private async Task<VersionSlot> LoadVersionAsync(RepositoryModel model, RepositoryVersion version, ModelConfig config, ModelEntry? current, RequestLog? requestLog, CancellationToken cancellationToken)
    {
        var old = current?.Find(version.Version)?.Loaded;
        if (old is not null && old.Stamp == version.Stamp + "|" + model.ConfigStamp)
        {
            return new VersionSlot(version.Version, ModelState.Ready, null, old);
        }

        await _loadSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var loaded = await _loader.LoadAsync(model, version, config, cancellationToken, requestLog).ConfigureAwait(false);
            Log.VersionReady(_logger, model.Name, version.Version);
            return new VersionSlot(version.Version, ModelState.Ready, null, loaded);
        }
        catch (ModelLoadException ex)
        {
            Log.VersionLoadFailed(_logger, model.Name, version.Version, ex.Message);
            return old is null
                ? new VersionSlot(version.Version, ModelState.Unavailable, ex.Message, null)
                : new VersionSlot(version.Version, ModelState.Ready, $"reload failed, the previous load keeps serving: {ex.Message}", old);
        }
        finally
        {
            _loadSlots.Release();
        }
    }

    // The request log's folder may sit inside the model's folder: it is not a version, and not worth a warning.
    private void LogIgnored(RepositoryModel scanned, ModelConfig? config)
    {
        var logFolder = config?.Logging is { } logging ? logging.ResolveDirectory(scanned.Directory) : null;
        foreach (var ignored in scanned.Ignored)
        {
            var entry = ignored.Split(':', 2)[0];
            if (logFolder is null || Path.GetFullPath(Path.Combine(scanned.Directory, entry)) != logFolder)
            {
                Log.EntryIgnored(_logger, scanned.Name, ignored);
            }
        }
    }

    private RequestLog? OpenRequestLog(RepositoryModel scanned, ModelConfig config, out string? problem)
    {
        problem = null;
        if (_requestLogs is null || config.Logging is not { } logging)
        {
            return null;
        }

        try
        {
            return _requestLogs.Open(scanned.Name, scanned.Directory, logging);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"logging.path: cannot write the request log in {logging.ResolveDirectory(scanned.Directory)}: {ex.Message}";
            return null;
        }
    }
}
