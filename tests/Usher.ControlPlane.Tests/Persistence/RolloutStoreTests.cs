using Microsoft.Data.Sqlite;
using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Routing;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Persistence;

public sealed class RolloutStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string DbPath => Path.Combine(_dir.Path, "state", "usher.db");

    private static Rollout Canary(RolloutPhase phase = RolloutPhase.Progressing) => new()
    {
        Spec = DeploymentSpecParser.Parse("""{"endpoint": "fraud", "version": 2, "strategy": "canary"}""").Spec!,
        StableVersion = 1,
        Phase = phase,
        StepStartedAt = T0,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    [Fact]
    public async Task Open_CreatesTheFile_AndAppliesEveryMigrationOnce()
    {
        await using (var store = await RolloutStore.OpenAsync(DbPath, CancellationToken.None))
        {
            Assert.Equal([1, 2, 3], await store.AppliedMigrationsAsync(CancellationToken.None));
        }

        await using var again = await RolloutStore.OpenAsync(DbPath, CancellationToken.None);
        Assert.Equal([1, 2, 3], await again.AppliedMigrationsAsync(CancellationToken.None));
        Assert.True(File.Exists(DbPath));
    }

    [Fact]
    public async Task Open_AFileFromANewerUsher_IsRefusedWithWhatToDo()
    {
        await (await RolloutStore.OpenAsync(DbPath, CancellationToken.None)).DisposeAsync();
        await using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            await connection.OpenAsync();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO schema_migrations(version, applied_at) VALUES (99, 'x')";
            await command.ExecuteNonQueryAsync();
        }

        var ex = await Assert.ThrowsAsync<StateStoreException>(() => RolloutStore.OpenAsync(DbPath, CancellationToken.None));
        Assert.Contains($"schema version 99, newer than this Usher understands ({RolloutStore.SchemaVersion})", ex.Message, StringComparison.Ordinal);
    }

    private static readonly WindowAnalysis Analysis = new(
        T0, new VariantCounts(950, 1), new VariantCounts(50, 0),
        new AnalysisReport(AnalysisVerdict.Pass, [new CheckResult("error_rate", CheckOutcome.Pass, "fine", new Dictionary<string, double> { ["p"] = 0.02, ["ratio"] = double.PositiveInfinity })], "Pass: error_rate passed"));

    [Fact]
    public async Task Rollouts_SurviveReopening_WithEveryField()
    {
        long id;
        await using (var store = await RolloutStore.OpenAsync(DbPath, CancellationToken.None))
        {
            var stored = await store.InsertRolloutAsync(Canary(), CancellationToken.None);
            id = stored.Id;
            await store.UpdateRolloutAsync(stored with { Step = 2, Reason = "why", LastAnalysis = Analysis, RollbackWindowEndsAt = T0.AddMinutes(3), UpdatedAt = T0.AddSeconds(5) }, CancellationToken.None);
            await store.InsertRolloutAsync(Canary(RolloutPhase.RolledBack) with { Spec = Canary().Spec with { Endpoint = "other" } }, CancellationToken.None);
        }

        await using var reopened = await RolloutStore.OpenAsync(DbPath, CancellationToken.None);
        var active = Assert.Single(await reopened.ActiveRolloutsAsync(CancellationToken.None));
        Assert.Equal(id, active.Id);
        Assert.Equal((2, "why", T0.AddMinutes(3), T0.AddSeconds(5), T0), (active.Step, active.Reason, active.RollbackWindowEndsAt, active.UpdatedAt, active.StepStartedAt));
        var analysis = active.LastAnalysis!;
        Assert.Equal((AnalysisVerdict.Pass, "Pass: error_rate passed", T0, new VariantCounts(950, 1), new VariantCounts(50, 0)), (analysis.Report.Verdict, analysis.Report.Summary, analysis.WindowStart, analysis.Stable, analysis.Canary));
        var check = Assert.Single(analysis.Report.Checks);
        Assert.Equal(("error_rate", CheckOutcome.Pass, "fine"), (check.Name, check.Outcome, check.Detail));
        Assert.Equal(0.02, check.Statistics["p"]);
        Assert.True(double.IsNaN(check.Statistics["ratio"]), "a non-finite statistic is kept as null and reads back as NaN");
        Assert.Equal(Canary().Spec.Canary.Steps, active.Spec.Canary.Steps);
        Assert.Equal(RolloutPhase.RolledBack, (await reopened.LatestRolloutAsync("other", CancellationToken.None))!.Phase);
        Assert.Null(await reopened.LatestRolloutAsync("nobody", CancellationToken.None));
    }

    [Fact]
    public async Task Events_ComeBackInOrder_PerEndpoint_LimitedToTheLastN()
    {
        await using var store = await RolloutStore.OpenAsync(DbPath, CancellationToken.None);
        for (var i = 0; i < 5; i++)
        {
            await store.AppendEventAsync(new RolloutEvent(0, "fraud", null, T0.AddSeconds(i), "step", "controller", $"m{i}", i == 4 ? """{"k":1}""" : null), CancellationToken.None);
        }

        await store.AppendEventAsync(new RolloutEvent(0, "other", null, T0, "route", "controller", "x", null), CancellationToken.None);

        var last3 = await store.HistoryAsync("fraud", 3, CancellationToken.None);
        Assert.Equal(["m2", "m3", "m4"], last3.Select(e => e.Message));
        Assert.Equal(T0.AddSeconds(4), last3[^1].At);
        Assert.Equal("""{"k":1}""", last3[^1].DataJson);
    }

    [Fact]
    public async Task RouteTables_AndRejectedVersions_RoundTrip()
    {
        await using var store = await RolloutStore.OpenAsync(DbPath, CancellationToken.None);
        await store.SaveRouteTableAsync(new RouteTable("fraud", [new RouteVariant("fraud", 2, 25), new RouteVariant("fraud", 1, 75)]), T0, CancellationToken.None);
        await store.SaveRouteTableAsync(RouteTable.Single("fraud", "fraud", 2), T0, CancellationToken.None);
        await store.SetRejectedAsync("fraud", 3, "rolled back", T0, CancellationToken.None);
        await store.SetRejectedAsync("fraud", 4, "rolled back", T0, CancellationToken.None);
        await store.SetRejectedAsync("fraud", 4, null, T0, CancellationToken.None);

        var table = Assert.Single(await store.RouteTablesAsync(CancellationToken.None));
        Assert.Equal([("fraud", 2L, 100.0)], table.Variants.Select(v => (v.Model, v.Version, v.Weight)));
        Assert.Equal([("fraud", 3L)], await store.RejectedAsync(CancellationToken.None));
    }
}
