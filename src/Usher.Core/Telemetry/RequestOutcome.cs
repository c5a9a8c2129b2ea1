namespace Usher.Core.Telemetry;

/// <summary>How one request ended, as <see cref="RequestObservation"/> records it.</summary>
internal enum RequestOutcome
{
    /// <summary>Answered by the backend.</summary>
    Succeeded,

    /// <summary>Answered from the prediction cache.</summary>
    CacheHit,

    /// <summary>Failed; the observation's reason says why.</summary>
    Failed,
}
