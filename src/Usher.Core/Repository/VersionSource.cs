using Usher.Core.Models;
using Usher.Core.RequestLogging;

namespace Usher.Core.Repository;

/// <summary>
/// What a version was registered from under a memory budget, so that it can be loaded on demand (and
/// loaded again after an eviction) exactly as the model's last load found it.
/// </summary>
/// <param name="Model">The model folder as scanned.</param>
/// <param name="Version">The version folder.</param>
/// <param name="Config">The model's config.</param>
/// <param name="RequestLog">The model's request log, or null.</param>
/// <param name="EstimatedBytes">The memory it is counted for against the budget: its file's measured footprint (<see cref="FootprintBook"/>) when <see cref="Measured"/>, else the estimate (<see cref="DensitySettings.Estimate"/>).</param>
internal sealed record VersionSource(RepositoryModel Model, RepositoryVersion Version, ModelConfig Config, RequestLog? RequestLog, long EstimatedBytes)
{
    /// <summary>True when <see cref="EstimatedBytes"/> is what a load of its file was measured to take, not the estimate from the file's size.</summary>
    public bool Measured { get; init; }
}
