using System.Collections.Concurrent;

namespace Usher.ControlPlane.Experiments;

/// <summary>
/// The recent assignments in memory, bounded: two generations of at most half the capacity each;
/// when the young one fills it becomes the old one and the old one is dropped. Lookups that miss
/// go to the state store, so eviction costs a query, never a lost join.
/// </summary>
internal sealed class AssignmentCache(int capacity)
{
    private readonly Lock _swap = new();
    private ConcurrentDictionary<string, long> _young = new(StringComparer.Ordinal);
    private ConcurrentDictionary<string, long> _old = new(StringComparer.Ordinal);

    /// <summary>Remembers <paramref name="unit"/>'s arm; false when it is already known (nothing to write).</summary>
    public bool TryAdd(string unit, long version)
    {
        if (_old.ContainsKey(unit) || !_young.TryAdd(unit, version))
        {
            return false;
        }

        if (_young.Count >= capacity / 2)
        {
            lock (_swap)
            {
                if (_young.Count >= capacity / 2)
                {
                    _old = _young;
                    _young = new(StringComparer.Ordinal);
                }
            }
        }

        return true;
    }

    /// <summary>The unit's arm, or null when it is not (or no longer) in memory.</summary>
    public long? Find(string unit)
        => _young.TryGetValue(unit, out var v) || _old.TryGetValue(unit, out v) ? v : null;

    /// <summary>Units held now.</summary>
    public int Count => _young.Count + _old.Count;
}
