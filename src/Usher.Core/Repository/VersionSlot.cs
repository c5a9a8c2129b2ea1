namespace Usher.Core.Repository;

/// <summary>What the manager knows of one version of a model: its state, why, and the loaded version when ready.</summary>
/// <param name="Version">The version number.</param>
/// <param name="State">Its state.</param>
/// <param name="Reason">Why it is not ready (or what the last failed reload said); null when nothing to say.</param>
/// <param name="Loaded">The serving version when <paramref name="State"/> is Ready.</param>
internal sealed record VersionSlot(long Version, ModelState State, string? Reason, ModelVersion? Loaded);
