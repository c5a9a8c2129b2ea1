namespace Usher.Capacity.Simulation;

/// <summary>A stretch of simulated seconds (a minute, a ramp step) summed up.</summary>
/// <param name="StartSecond">Its first second.</param>
/// <param name="Seconds">Its length.</param>
/// <param name="Rps">Mean arrival rate.</param>
/// <param name="Pods">Mean pods (ready and starting).</param>
/// <param name="Ready">Ready pods at its end.</param>
/// <param name="QueuePerPod">Mean requests waiting per ready pod.</param>
/// <param name="Utilization">Mean utilisation of a ready pod.</param>
/// <param name="P99Ms">The p99 latency of the requests that arrived in it (NaN: none did).</param>
internal sealed record WindowSummary(int StartSecond, int Seconds, double Rps, double Pods, int Ready, double QueuePerPod, double Utilization, double P99Ms);
