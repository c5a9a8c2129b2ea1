using System.Collections.Immutable;

namespace Usher.Core.Repository;

/// <summary>
/// What the control plane needs loaded beyond a model's version policy: versions that route tables
/// and rollouts use (loaded whatever the policy says) and versions a rollback rejected (not loaded
/// even if the policy selects them). A required version wins over an excluded one.
/// </summary>
/// <param name="Required">Versions to load whatever the policy.</param>
/// <param name="Excluded">Versions not to load unless required.</param>
internal sealed record VersionPins(ImmutableSortedSet<long> Required, ImmutableSortedSet<long> Excluded)
{
    /// <summary>No pins: the version policy alone decides.</summary>
    public static VersionPins None { get; } = new([], []);

    /// <summary>
    /// Versions an active rollout uses: under a memory budget they are loaded at once rather than on
    /// their first request, and never evicted (a subset of <see cref="Required"/>).
    /// </summary>
    public ImmutableSortedSet<long> Resident { get; init; } = [];

    /// <summary>The versions to load, given the policy's choice and the versions on disk, ascending.</summary>
    public IReadOnlyList<long> Apply(IEnumerable<long> policySelected, IEnumerable<long> onDisk)
    {
        ArgumentNullException.ThrowIfNull(policySelected);
        ArgumentNullException.ThrowIfNull(onDisk);
        var disk = onDisk.ToHashSet();
        return [.. policySelected.Where(v => !Excluded.Contains(v)).Union(Required.Where(disk.Contains)).Distinct().Order()];
    }
}
