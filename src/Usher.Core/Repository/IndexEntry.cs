namespace Usher.Core.Repository;

/// <summary>One row of the repository index: a model (and version, when it has one) with its state.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Version">The version, or null for a model-level row.</param>
/// <param name="State">The state.</param>
/// <param name="Reason">Why it is not ready, or null.</param>
internal sealed record IndexEntry(string Name, long? Version, ModelState State, string? Reason)
{
    /// <summary>Whether the version is in memory (false for a model-level row).</summary>
    public bool Loaded { get; init; }

    /// <summary>When a request last used the version (its load, before the first); null when never loaded.</summary>
    public DateTimeOffset? LastUsed { get; init; }
}
