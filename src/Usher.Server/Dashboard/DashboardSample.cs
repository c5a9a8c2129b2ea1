namespace Usher.Server.Dashboard;

/// <summary>The recorder's totals at one tick of the sampler.</summary>
/// <param name="At">When they were read.</param>
/// <param name="Versions">Per model version.</param>
/// <param name="Routed">Requests routed per endpoint and variant.</param>
internal sealed record DashboardSample(
    DateTimeOffset At,
    IReadOnlyDictionary<(string Model, string Version), TallySnapshot> Versions,
    IReadOnlyDictionary<(string Endpoint, string Variant), long> Routed);
