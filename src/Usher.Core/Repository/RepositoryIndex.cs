using System.Collections.Immutable;

namespace Usher.Core.Repository;

/// <summary>The repository index (<c>POST /v2/repository/index</c>): every model on disk or known, one row per version.</summary>
internal static class RepositoryIndex
{
    public static IReadOnlyList<IndexEntry> Build(IEnumerable<string> onDisk, ImmutableDictionary<string, ModelEntry> models)
    {
        var rows = new List<IndexEntry>();
        var names = onDisk.Union(models.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!models.TryGetValue(name, out var entry))
            {
                rows.Add(new IndexEntry(name, null, ModelState.Unavailable, "not loaded"));
            }
            else if (entry.Versions.Count == 0)
            {
                rows.Add(new IndexEntry(name, null, entry.State, entry.Reason));
            }
            else
            {
                rows.AddRange(entry.Versions.Select(v => new IndexEntry(name, v.Version, v.State, v.Reason ?? entry.Reason)
                {
                    Loaded = v.Loaded is not null,
                    LastUsed = v.Loaded?.LastUsed ?? v.LastUsed,
                }));
            }
        }

        return rows;
    }
}
