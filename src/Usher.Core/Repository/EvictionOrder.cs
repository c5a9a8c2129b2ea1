namespace Usher.Core.Repository;

/// <summary>
/// Which loaded versions to unload, least recently used first, so that a version of
/// <c>needed</c> bytes fits the memory budget. Only idle versions (no lease held) registered under the
/// budget are candidates; versions an active rollout pins (<see cref="VersionPins.Resident"/>) never are.
/// </summary>
internal static class EvictionOrder
{
    /// <summary>The bytes the loaded versions are counted for (their estimates).</summary>
    public static long LoadedBytes(IEnumerable<ModelEntry> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        long used = 0;
        foreach (var entry in models)
        {
            foreach (var slot in entry.Versions)
            {
                if (slot.Loaded is not null && slot.Source is { } source)
                {
                    used += source.EstimatedBytes;
                }
            }
        }

        return used;
    }

    /// <summary>The bytes of the loaded versions that no eviction can free now: busy (a lease held) or pinned by a rollout.</summary>
    public static long UnevictableBytes(IEnumerable<ModelEntry> models, Func<string, VersionPins> pins)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(pins);
        long bytes = 0;
        foreach (var entry in models)
        {
            foreach (var slot in entry.Versions)
            {
                if (slot.Loaded is not null && slot.Source is { } source && !IsCandidate(entry.Name, slot, pins))
                {
                    bytes += source.EstimatedBytes;
                }
            }
        }

        return bytes;
    }

    /// <summary>
    /// The versions to evict, in order (empty when <paramref name="needed"/> fits already); null when
    /// evicting every candidate would still not make room.
    /// </summary>
    /// <param name="models">Every model's entry.</param>
    /// <param name="pins">The model's pins.</param>
    /// <param name="budget">The budget in bytes.</param>
    /// <param name="reserved">Bytes held for loads in progress.</param>
    /// <param name="needed">The estimate of the version to load.</param>
    public static IReadOnlyList<(string Model, VersionSlot Slot)>? Choose(IReadOnlyList<ModelEntry> models, Func<string, VersionPins> pins, long budget, long reserved, long needed)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(pins);
        var used = LoadedBytes(models) + reserved;
        if (used + needed <= budget)
        {
            return [];
        }

        var candidates = models
            .SelectMany(m => m.Versions.Select(v => (Model: m.Name, Slot: v)))
            .Where(c => IsCandidate(c.Model, c.Slot, pins))
            .OrderBy(c => c.Slot.Loaded!.LastUsedTimestamp)
            .ThenBy(c => c.Model, StringComparer.Ordinal)
            .ThenBy(c => c.Slot.Version);
        var victims = new List<(string, VersionSlot)>();
        foreach (var candidate in candidates)
        {
            victims.Add(candidate);
            used -= candidate.Slot.Source!.EstimatedBytes;
            if (used + needed <= budget)
            {
                return victims;
            }
        }

        return null;
    }

    private static bool IsCandidate(string model, VersionSlot slot, Func<string, VersionPins> pins)
        => slot is { Loaded: { InFlight: 0 }, Source: not null } && !pins(model).Resident.Contains(slot.Version);
}
