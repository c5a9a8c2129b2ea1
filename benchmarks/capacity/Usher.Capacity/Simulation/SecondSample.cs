using Usher.Capacity.Queueing;

namespace Usher.Capacity.Simulation;

/// <summary>The state of the fleet during one simulated second.</summary>
/// <param name="Rps">The arrival rate.</param>
/// <param name="Pods">Pods that exist (ready and starting): what is paid for.</param>
/// <param name="Ready">Pods taking traffic.</param>
/// <param name="QueuePerPod">Mean requests waiting per ready pod (the stationary queue plus the backlog's share).</param>
/// <param name="Utilization">Busy share of a ready pod, 0 to 1 (its CPU utilisation).</param>
/// <param name="State">What latency a request arriving in this second sees.</param>
internal readonly record struct SecondSample(double Rps, int Pods, int Ready, double QueuePerPod, double Utilization, QueueState State);
