namespace Usher.Server.Dashboard;

/// <summary>One model version's totals since the dashboard began watching, and its points over the window.</summary>
/// <param name="Model">The model.</param>
/// <param name="Version">The version, as the metrics label it.</param>
/// <param name="Requests">Requests since watching began.</param>
/// <param name="Errors">Failed requests since watching began.</param>
/// <param name="Batches">Batch executions per batch-size bucket since watching began (the last is the overflow).</param>
/// <param name="Points">One point per sampling interval, oldest first.</param>
internal sealed record VersionSeries(string Model, string Version, long Requests, long Errors, long[] Batches, IReadOnlyList<SeriesPoint> Points);
