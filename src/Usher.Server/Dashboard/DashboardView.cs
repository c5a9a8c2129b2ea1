namespace Usher.Server.Dashboard;

/// <summary>What <c>GET /admin/dashboard/metrics</c> answers (docs/dashboard.md).</summary>
/// <param name="At">Now.</param>
/// <param name="Since">When watching began (null before the first sample).</param>
/// <param name="IntervalSeconds">The sampling interval.</param>
/// <param name="Versions">Per model version.</param>
/// <param name="Endpoints">The live split of each endpoint's routed traffic.</param>
internal sealed record DashboardView(DateTimeOffset At, DateTimeOffset? Since, double IntervalSeconds, IReadOnlyList<VersionSeries> Versions, IReadOnlyList<EndpointSplit> Endpoints);
