namespace Usher.Capacity.Traffic;

/// <summary>A constant arrival rate (requests per second) held for whole seconds.</summary>
internal sealed record TrafficStep(int Seconds, double Rps);
