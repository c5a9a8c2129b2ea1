using Usher.Core.Inference;
using Usher.Core.Repository;

namespace Usher.Server.Frontends;

/// <summary>
/// Finds the model and version a metadata or readiness call names, for every frontend: the model's
/// entry and the slot asked for (the newest ready version, else the newest, when none is pinned).
/// </summary>
internal static class ModelLookup
{
    /// <summary>Parses a version as a frontend receives it: null or empty for none, else a positive integer.</summary>
    public static InferenceResult<long?> ParseVersion(string model, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return InferenceResult<long?>.Success(null);
        }

        return RepositoryScanner.TryParseVersion(text, out var version)
            ? InferenceResult<long?>.Success(version)
            : InferenceError.NotFound($"model '{model}' has no version '{text}': versions are positive integers");
    }

    public static InferenceResult<(ModelEntry Entry, VersionSlot? Slot)> Resolve(ModelManager models, string name, long? version)
    {
        var entry = models.Find(name);
        if (entry is null)
        {
            return InferenceError.NotFound($"unknown model '{name}'");
        }

        var slot = version is long v ? entry.Find(v) : entry.NewestReady ?? entry.Versions.LastOrDefault();
        if (slot is null && version is long missing)
        {
            return InferenceError.NotFound($"model '{name}' has no version {missing} (versions: {string.Join(", ", entry.Versions.Select(s => s.Version))})");
        }

        return InferenceResult<(ModelEntry, VersionSlot?)>.Success((entry, slot));
    }

    /// <summary>Why a model that was found is not ready, for the client.</summary>
    public static string NotReadyReason(ModelEntry entry, VersionSlot? slot)
    {
        var why = slot is null ? entry.Reason ?? "no versions" : $"version {slot.Version} is {slot.State.ToString().ToUpperInvariant()}: {slot.Reason ?? entry.Reason ?? "loading"}";
        return $"model '{entry.Name}' is not ready: {why}";
    }
}
