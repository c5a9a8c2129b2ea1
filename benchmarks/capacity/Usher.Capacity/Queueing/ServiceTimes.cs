namespace Usher.Capacity.Queueing;

/// <summary>The service-time distribution a replica's queue assumes.</summary>
internal enum ServiceTimes
{
    /// <summary>
    /// M/D/c: every request takes the same time, as a fixed-shape model on ONNX Runtime nearly does.
    /// The wait is M/M/c's with half its mean (Allen-Cunneen with a service-time variation of 0).
    /// </summary>
    Deterministic,

    /// <summary>M/M/c: exponential service times, the exact textbook model (and an upper bound here).</summary>
    Exponential,
}
