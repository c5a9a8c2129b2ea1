namespace Usher.Core.Scheduling;

/// <summary>What an <see cref="InstanceLoad"/> measured over its recent window.</summary>
/// <param name="Utilization">Busy time / instance time, 0 to 1.</param>
/// <param name="TimePerRequest">Busy time / requests run in the window (the last such figure when no batch ended in it; zero before any).</param>
/// <param name="Span">The time the reading covers.</param>
internal readonly record struct LoadReading(double Utilization, TimeSpan TimePerRequest, TimeSpan Span);
