namespace Usher.Core.Repository;

/// <summary>What the manager knows of one version of a model: its state, why, and the loaded version when ready.</summary>
/// <param name="Version">The version number.</param>
/// <param name="State">Its state.</param>
/// <param name="Reason">Why it is not ready (or what the last failed reload said); null when nothing to say.</param>
/// <param name="Loaded">The serving version when <paramref name="State"/> is Ready.</param>
internal sealed record VersionSlot(long Version, ModelState State, string? Reason, ModelVersion? Loaded)
{
    /// <summary>Under a memory budget: where the version loads from on demand; null without a budget.</summary>
    public VersionSource? Source { get; init; }

    /// <summary>When a request last used the version before it was unloaded (null: never, or loaded now: see <see cref="ModelVersion.LastUsed"/>).</summary>
    public DateTimeOffset? LastUsed { get; init; }

    /// <summary>True when the version is registered but not loaded: its first request loads it (memory budget).</summary>
    public bool OnDemand => Loaded is null && Source is not null && State == ModelState.Unavailable;

    /// <summary>A version registered under a memory budget and not loaded (yet, or again after an eviction).</summary>
    public static VersionSlot Parked(VersionSource source, DateTimeOffset? lastUsed, string reason)
        => new(source.Version.Version, ModelState.Unavailable, reason, null) { Source = source, LastUsed = lastUsed };
}
