namespace Usher.Core.Routing;

/// <summary>
/// What an observer needs of one routed request; asked on the request path before anything is
/// allocated. <see cref="Request"/> and <see cref="Shadow"/> imply <see cref="Outcome"/>.
/// </summary>
[Flags]
internal enum ObservationNeeds
{
    /// <summary>Nothing: the request is not observed.</summary>
    None = 0,

    /// <summary>The outcome: variant, error, latency, response.</summary>
    Outcome = 1,

    /// <summary>An owned copy of the request too (blue-green replays).</summary>
    Request = 2,

    /// <summary>The request falls in the endpoint's shadow share: mirror a copy once it is answered.</summary>
    Shadow = 4,
}
