namespace Usher.Core.Routing;

/// <summary>
/// Sees every mirrored pair once the shadow has answered (the shadow comparison records them here).
/// Called on the mirror's background worker, never on a client's request path; it must not throw.
/// </summary>
internal interface IShadowObserver
{
    /// <summary>Records one pair.</summary>
    void Observe(ShadowPair pair);
}
