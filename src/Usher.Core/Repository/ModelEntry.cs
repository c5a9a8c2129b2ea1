namespace Usher.Core.Repository;

/// <summary>An immutable snapshot of one model's versions. A change publishes a new entry.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Versions">Its versions by number, ascending.</param>
/// <param name="Reason">A model-level problem (bad config.yaml, no versions), or null.</param>
/// <param name="Unloaded">True after an explicit unload: the model does not count against server readiness.</param>
internal sealed record ModelEntry(string Name, IReadOnlyList<VersionSlot> Versions, string? Reason, bool Unloaded = false)
{
    /// <summary>True when nothing is wrong: no model-level problem and every version ready.</summary>
    /// <remarks>A version registered under a memory budget and loaded on demand counts as healthy: it serves when asked.</remarks>
    public bool IsHealthy => Unloaded || (Reason is null && Versions.Count > 0 && Versions.All(v => v.State == ModelState.Ready || v.OnDemand));

    /// <summary>The entry of a model whose start-up load has not finished yet.</summary>
    public static ModelEntry Loading(string name) => new(name, [], "loading") { IsLoading = true };

    /// <summary>True until the model's first load finishes.</summary>
    public bool IsLoading { get; private init; }

    /// <summary>The model's overall state: ready with any ready version, else loading or unavailable.</summary>
    public ModelState State => NewestServable is not null ? ModelState.Ready : IsLoading ? ModelState.Loading : ModelState.Unavailable;

    /// <summary>
    /// The version a request that names none runs on: the newest ready one, or, under a memory budget,
    /// the newest that is ready or loads on demand (whichever is newer). Without a budget: <see cref="NewestReady"/>.
    /// </summary>
    public VersionSlot? NewestServable
    {
        get
        {
            for (var i = Versions.Count - 1; i >= 0; i--)
            {
                if (Versions[i].State == ModelState.Ready || Versions[i].OnDemand)
                {
                    return Versions[i];
                }
            }

            return null;
        }
    }

    /// <summary>The newest ready version, or null.</summary>
    public VersionSlot? NewestReady
    {
        get
        {
            for (var i = Versions.Count - 1; i >= 0; i--)
            {
                if (Versions[i].State == ModelState.Ready)
                {
                    return Versions[i];
                }
            }

            return null;
        }
    }

    /// <summary>The slot of <paramref name="version"/>, or null.</summary>
    /// <remarks>A loop, not LINQ: every routed request, and the engine's fast path for a pinned version, looks its version up here, and a capturing lambda allocates.</remarks>
    public VersionSlot? Find(long version)
    {
        for (var i = 0; i < Versions.Count; i++)
        {
            if (Versions[i].Version == version)
            {
                return Versions[i];
            }
        }

        return null;
    }
}
