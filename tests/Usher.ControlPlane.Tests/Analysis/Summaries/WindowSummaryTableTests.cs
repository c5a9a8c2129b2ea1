using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Analysis.Summaries;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Analysis.Summaries;

/// <summary>Replicas flushing window summaries to a real PostgreSQL, and the leader merging them.</summary>
public sealed class WindowSummaryTableTests
{
    private static readonly AnalysisSettings Defaults = new();
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 5, 0, 0, 123, TimeSpan.Zero);

    /// <summary>A fresh database on the shared test server, with the schema's migrations applied.</summary>
    internal static async Task<NpgsqlDataSource> DatabaseAsync()
    {
        var server = await PostgresServer.SharedAsync();
        var source = NpgsqlDataSource.Create(server.ConnectionString(await server.CreateDatabaseAsync()));
        await PostgresSchema.PrepareAsync(source, "test", CancellationToken.None);
        return source;
    }

    private static Dictionary<string, VariantSummary> Flush(VariantSample stable, VariantSample canary) => new(StringComparer.Ordinal)
    {
        ["v1"] = VariantSummary.Of(stable),
        ["v2"] = VariantSummary.Of(canary),
    };

    [SkippableTheory]
    [InlineData("healthy")]
    [InlineData("slow")]
    public async Task Three_replicas_flush_parts_of_a_window_and_the_merge_judges_as_one_process_would(string scenario)
    {
        await using var source = await DatabaseAsync();
        var time = new FakeTimeProvider(Start);
        var table = new WindowSummaryTable(source, time);
        var window = new SummaryWindow("iris", 7, Start);
        var stable = Traffic.Of(1, 4000, 40);
        var canary = scenario == "slow" ? Traffic.Of(2, 1000, 10, latencyScale: 1.7) : Traffic.Of(2, 1000, 10);
        var stableParts = stable.Split(3, 0.5, 0.3, 0.2);
        var canaryParts = canary.Split(4, 0.05, 0.15, 0.8);

        // Each replica flushes its part: first what it had halfway (seq 1), then all of it (seq 2).
        for (var r = 0; r < 3; r++)
        {
            var half = Flush(Half(stableParts[r]), Half(canaryParts[r]));
            Assert.Equal(2, await table.FlushAsync(window, $"replica-{r}", 1, half, CancellationToken.None));
            time.Advance(TimeSpan.FromSeconds(5));
            Assert.Equal(2, await table.FlushAsync(window, $"replica-{r}", 2, Flush(stableParts[r], canaryParts[r]), CancellationToken.None));
        }

        var merged = await table.MergeAsync(window, CancellationToken.None);

        Assert.Equal(["v1", "v2"], merged.Keys.Order(StringComparer.Ordinal));
        Assert.All(merged.Values, m => Assert.Equal(3, m.Replicas));
        Assert.True(merged["v1"].Summary.SameAs(VariantSummary.Of(stable.Sample())));
        var single = CanaryAnalysis.Compare(stable.Sample(), canary.Sample(), Defaults);
        var judged = CanaryAnalysis.Compare(merged["v1"].Summary.ToSample(), merged["v2"].Summary.ToSample(), Defaults);
        Assert.Equal(scenario == "slow" ? AnalysisVerdict.Fail : AnalysisVerdict.Pass, single.Verdict);
        Assert.Equal(single.Verdict, judged.Verdict);
        Assert.Equal(single.Checks.Select(c => c.Outcome), judged.Checks.Select(c => c.Outcome));
    }

    [SkippableFact]
    public async Task A_retried_or_late_flush_is_not_counted_twice()
    {
        await using var source = await DatabaseAsync();
        var table = new WindowSummaryTable(source, new FakeTimeProvider(Start));
        var window = new SummaryWindow("iris", 7, Start);
        var early = Flush(Traffic.Of(1, 300, 3).Sample(), Traffic.Of(2, 100, 1).Sample());
        var later = Flush(Traffic.Of(1, 600, 6).Sample(), Traffic.Of(2, 200, 2).Sample());

        await table.FlushAsync(window, "replica-a", 1, early, CancellationToken.None);
        await table.FlushAsync(window, "replica-a", 2, later, CancellationToken.None);
        var retried = await table.FlushAsync(window, "replica-a", 2, later, CancellationToken.None);
        var late = await table.FlushAsync(window, "replica-a", 1, early, CancellationToken.None);
        await table.FlushAsync(window, "replica-b", 1, early, CancellationToken.None);

        Assert.Equal(0, retried);
        Assert.Equal(0, late);
        var merged = await table.MergeAsync(window, CancellationToken.None);
        Assert.Equal(600 + 300, merged["v1"].Summary.Requests);
        Assert.Equal(6 + 3, merged["v1"].Summary.Errors);
        Assert.Equal(900, merged["v1"].Summary.Latencies.Count);
        Assert.Equal(200 + 100, merged["v2"].Summary.Requests);
        Assert.Equal(2, merged["v2"].Replicas);
    }

    [SkippableFact]
    public async Task Windows_and_rollouts_do_not_mix()
    {
        await using var source = await DatabaseAsync();
        var table = new WindowSummaryTable(source);
        var flush = Flush(Traffic.Of(1, 100, 1).Sample(), Traffic.Of(2, 50, 0).Sample());

        await table.FlushAsync(new SummaryWindow("iris", 7, Start), "replica-a", 1, flush, CancellationToken.None);
        await table.FlushAsync(new SummaryWindow("iris", 7, Start.AddMinutes(1)), "replica-a", 1, flush, CancellationToken.None);
        await table.FlushAsync(new SummaryWindow("iris", 8, Start), "replica-a", 1, flush, CancellationToken.None);
        await table.FlushAsync(new SummaryWindow("wine", 7, Start), "replica-a", 1, flush, CancellationToken.None);

        var merged = await table.MergeAsync(new SummaryWindow("iris", 7, Start), CancellationToken.None);
        Assert.Equal(100, merged["v1"].Summary.Requests);
        Assert.Empty(await table.MergeAsync(new SummaryWindow("iris", 9, Start), CancellationToken.None));
    }

    [SkippableFact]
    public async Task A_row_that_is_not_a_summary_is_reported_with_its_replica()
    {
        await using var source = await DatabaseAsync();
        var table = new WindowSummaryTable(source);
        var window = new SummaryWindow("iris", 7, Start);
        await using (var command = source.CreateCommand(
            "INSERT INTO window_summaries VALUES ('iris', 7, @start, 'v1', 'replica-x', 1, '\\x0900'::bytea, now())"))
        {
            command.Parameters.AddWithValue("start", Start.UtcDateTime);
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => table.MergeAsync(window, CancellationToken.None));

        Assert.Contains("variant 'v1' from replica 'replica-x'", error.Message, StringComparison.Ordinal);
        Assert.Contains("format 9; this Usher reads format 1", error.Message, StringComparison.Ordinal);
    }

    // The first half of a replica's requests, as it had them at an earlier flush.
    private static VariantSample Half(VariantSample part)
    {
        var n = part.LatenciesMs.Count / 2;
        return new VariantSample(n, Math.Min(part.Errors, n), [.. part.LatenciesMs.Take(n)], [.. part.Scores.Take(n)], [.. part.Labels.Take(n)]);
    }
}
