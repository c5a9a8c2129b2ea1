namespace Usher.Core.Repository;

/// <summary>The state of one model version, as Triton names them.</summary>
internal enum ModelState
{
    /// <summary>Being loaded or warmed up; not serving yet.</summary>
    Loading,
    /// <summary>Loaded, warmed up and serving.</summary>
    Ready,
    /// <summary>Draining in-flight requests before it is released.</summary>
    Unloading,
    /// <summary>Not loaded: it failed to load, or it was unloaded. The reason says which.</summary>
    Unavailable,
}
