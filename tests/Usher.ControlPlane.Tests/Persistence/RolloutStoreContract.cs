using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Experiments;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Tests.Persistence;

/// <summary>
/// What every <see cref="IRolloutStore"/> does, whichever database is behind it: each case runs on
/// SQLite (<see cref="SqliteRolloutStoreContractTests"/>) and on PostgreSQL
/// (<see cref="PostgresRolloutStoreContractTests"/>). A case that reopens the store checks that a
/// write was committed when its call returned.
/// </summary>
public abstract class RolloutStoreContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static readonly WindowAnalysis Analysis = new(
        T0, new VariantCounts(950, 1), new VariantCounts(50, 0),
        new AnalysisReport(AnalysisVerdict.Pass, [new CheckResult("error_rate", CheckOutcome.Pass, "fine", new Dictionary<string, double> { ["p"] = 0.02, ["ratio"] = double.PositiveInfinity })], "Pass: error_rate passed"));

    private readonly List<IRolloutStore> _opened = [];

    /// <summary>Opens a store on this test's database (the same database each time).</summary>
    private protected abstract Task<IRolloutStore> OpenStoreAsync();

    /// <summary>Prepares this test's (empty) database.</summary>
    public abstract Task InitializeAsync();

    public async Task DisposeAsync()
    {
        foreach (var store in _opened)
        {
            await store.DisposeAsync();
        }

        await DisposeDatabaseAsync();
    }

    private protected virtual Task DisposeDatabaseAsync() => Task.CompletedTask;

    private protected async Task<IRolloutStore> OpenAsync()
    {
        var store = await OpenStoreAsync();
        _opened.Add(store);
        return store;
    }

    private protected static Rollout Canary(RolloutPhase phase = RolloutPhase.Progressing, string endpoint = "fraud") => new()
    {
        Spec = DeploymentSpecParser.Parse($$"""{"endpoint": "{{endpoint}}", "model": "fraud", "version": 2, "strategy": "canary"}""").Spec!,
        StableVersion = 1,
        Phase = phase,
        StepStartedAt = T0,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    [SkippableFact]
    public async Task Rollouts_SurviveReopening_WithEveryField()
    {
        var store = await OpenAsync();
        var stored = await store.InsertRolloutAsync(Canary(), CancellationToken.None);
        await store.UpdateRolloutAsync(stored with { Step = 2, Reason = "why", LastAnalysis = Analysis, RollbackWindowEndsAt = T0.AddMinutes(3), UpdatedAt = T0.AddSeconds(5) }, CancellationToken.None);
        await store.InsertRolloutAsync(Canary(RolloutPhase.RolledBack, "other"), CancellationToken.None);
        await store.DisposeAsync();

        var reopened = await OpenAsync();
        var active = Assert.Single(await reopened.ActiveRolloutsAsync(CancellationToken.None));
        Assert.Equal(stored.Id, active.Id);
        Assert.Equal((2, "why", T0.AddMinutes(3), T0.AddSeconds(5), T0, T0), (active.Step, active.Reason, active.RollbackWindowEndsAt, active.UpdatedAt, active.StepStartedAt, active.CreatedAt));
        Assert.Equal((1L, 2L, RolloutPhase.Progressing, "fraud"), (active.StableVersion, active.CandidateVersion, active.Phase, active.Endpoint));
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

    [SkippableFact]
    public async Task Rollouts_GetIncreasingIdsFromTheDatabase_AndTheActiveOnesComeOldestFirst()
    {
        var store = await OpenAsync();
        var ids = new List<long>();
        foreach (var phase in new[] { RolloutPhase.Progressing, RolloutPhase.Succeeded, RolloutPhase.Paused, RolloutPhase.Aborted, RolloutPhase.RolledBack, RolloutPhase.Progressing })
        {
            ids.Add((await store.InsertRolloutAsync(Canary(phase, $"e{ids.Count}"), CancellationToken.None)).Id);
        }

        Assert.True(ids.Zip(ids.Skip(1)).All(p => p.First < p.Second), $"ids in insertion order increase: {string.Join(", ", ids)}");
        Assert.Equal([ids[0], ids[2], ids[5]], (await store.ActiveRolloutsAsync(CancellationToken.None)).Select(r => r.Id));
        Assert.Equal(ids[5], (await store.LatestRolloutAsync("e5", CancellationToken.None))!.Id);

        var second = await store.InsertRolloutAsync(Canary(RolloutPhase.Aborted, "e0"), CancellationToken.None);
        Assert.Equal(second.Id, (await store.LatestRolloutAsync("e0", CancellationToken.None))!.Id);
    }

    [SkippableFact]
    public async Task UpdateRollout_OfAnIdThatIsNotThere_Throws()
    {
        var store = await OpenAsync();
        var stored = await store.InsertRolloutAsync(Canary(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.UpdateRolloutAsync(stored with { Id = stored.Id + 100 }, CancellationToken.None));

        Assert.Contains($"rollout {stored.Id + 100} is not in the state store", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Timestamps_ReadBackAsTheSameInstant_InUtc_ToTheMicrosecond()
    {
        var local = new DateTimeOffset(2026, 11, 28, 14, 30, 15, TimeSpan.FromHours(2)).AddTicks(1_234_560); // .123456 s
        var store = await OpenAsync();
        var stored = await store.InsertRolloutAsync(Canary() with { StepStartedAt = local, CreatedAt = local, UpdatedAt = local, RollbackWindowEndsAt = local }, CancellationToken.None);
        await store.AppendEventAsync(new RolloutEvent(0, "fraud", stored.Id, local, "step", "controller", "m", null), CancellationToken.None);

        var read = (await store.LatestRolloutAsync("fraud", CancellationToken.None))!;
        var entry = Assert.Single(await store.HistoryAsync("fraud", 10, CancellationToken.None));

        foreach (var at in new[] { read.StepStartedAt, read.CreatedAt, read.UpdatedAt, read.RollbackWindowEndsAt!.Value, entry.At })
        {
            Assert.Equal(local.UtcDateTime, at.UtcDateTime);
            Assert.Equal(TimeSpan.Zero, at.Offset);
        }
    }

    [SkippableFact]
    public async Task Events_ComeBackInOrder_PerEndpoint_LimitedToTheLastN_WithIdsFromTheDatabase()
    {
        var store = await OpenAsync();
        var rollout = await store.InsertRolloutAsync(Canary(), CancellationToken.None);
        var appended = new List<RolloutEvent>();
        for (var i = 0; i < 5; i++)
        {
            appended.Add(await store.AppendEventAsync(new RolloutEvent(0, "fraud", i == 0 ? rollout.Id : null, T0.AddSeconds(i), "step", "controller", $"m{i}", i == 4 ? """{"k":1}""" : null), CancellationToken.None));
        }

        await store.AppendEventAsync(new RolloutEvent(0, "other", null, T0, "route", "admin", "x", null), CancellationToken.None);
        await store.DisposeAsync();

        var reopened = await OpenAsync();
        var last3 = await reopened.HistoryAsync("fraud", 3, CancellationToken.None);
        Assert.Equal(["m2", "m3", "m4"], last3.Select(e => e.Message));
        Assert.Equal(appended[2..].Select(e => e.Id), last3.Select(e => e.Id));
        Assert.Equal(appended.Count, appended.Select(e => e.Id).Distinct().Count());
        Assert.Equal(new RolloutEvent(appended[4].Id, "fraud", null, T0.AddSeconds(4), "step", "controller", "m4", """{"k":1}"""), last3[^1]);
        Assert.Equal(rollout.Id, (await reopened.HistoryAsync("fraud", 5, CancellationToken.None))[0].RolloutId);
        Assert.Equal(("route", "admin"), (await reopened.HistoryAsync("other", 5, CancellationToken.None)).Select(e => (e.Kind, e.Actor)).Single());
        Assert.Empty(await reopened.HistoryAsync("nobody", 5, CancellationToken.None));
    }

    [SkippableFact]
    public async Task RouteTables_AndRejectedVersions_RoundTrip_AndAreRemovedOnRequest()
    {
        var store = await OpenAsync();
        await store.SaveRouteTableAsync(new RouteTable("fraud", [new RouteVariant("fraud", 2, 25), new RouteVariant("fraud", 1, 75)]), T0, CancellationToken.None);
        await store.SaveRouteTableAsync(new RouteTable("ab", [new RouteVariant("fraud", 2, 12.5), new RouteVariant("other", 7, 87.5)]), T0, CancellationToken.None);
        await store.SaveRouteTableAsync(new RouteTable("gone", [new RouteVariant("gone", 1, 100)]), T0, CancellationToken.None);
        await store.SaveRouteTableAsync(RouteTable.Single("fraud", "fraud", 2), T0.AddSeconds(1), CancellationToken.None);
        await store.DeleteRouteTableAsync("gone", CancellationToken.None);
        await store.DeleteRouteTableAsync("never-there", CancellationToken.None);
        await store.SetRejectedAsync("fraud", 3, "rolled back", T0, CancellationToken.None);
        await store.SetRejectedAsync("fraud", 3, "rolled back again", T0.AddSeconds(1), CancellationToken.None);
        await store.SetRejectedAsync("fraud", 4, "rolled back", T0, CancellationToken.None);
        await store.SetRejectedAsync("another", 9, "rolled back", T0, CancellationToken.None);
        await store.SetRejectedAsync("fraud", 4, null, T0, CancellationToken.None);
        await store.DisposeAsync();

        var reopened = await OpenAsync();
        var tables = await reopened.RouteTablesAsync(CancellationToken.None);
        Assert.Equal(["ab", "fraud"], tables.Select(t => t.Endpoint));
        Assert.Equal([("fraud", 2L, 12.5), ("other", 7L, 87.5)], tables[0].Variants.Select(v => (v.Model, v.Version, v.Weight)));
        Assert.Equal([("fraud", 2L, 100.0)], tables[1].Variants.Select(v => (v.Model, v.Version, v.Weight)));
        Assert.Equal([("another", 9L), ("fraud", 3L)], await reopened.RejectedAsync(CancellationToken.None));
    }

    [SkippableFact]
    public async Task Assignments_TheFirstArmOfAUnitIsKept_AcrossBatchesAndWithinOne()
    {
        var store = await OpenAsync();
        var id = (await store.InsertRolloutAsync(Canary(), CancellationToken.None)).Id;
        var other = (await store.InsertRolloutAsync(Canary(endpoint: "other"), CancellationToken.None)).Id;
        var experiments = store.Experiments;

        await experiments.AddAssignmentsAsync([new(id, "key:a", 1, true, T0), new(id, "key:b", 2, true, T0), new(id, "key:a", 2, true, T0)], CancellationToken.None);
        await experiments.AddAssignmentsAsync([new(id, "key:b", 1, true, T0), new(other, "key:a", 2, true, T0)], CancellationToken.None);
        await experiments.AddAssignmentsAsync([], CancellationToken.None);
        await store.DisposeAsync();

        var reopened = (await OpenAsync()).Experiments;
        Assert.Equal(1L, await reopened.FindAssignmentAsync(id, "key:a", CancellationToken.None));
        Assert.Equal(2L, await reopened.FindAssignmentAsync(id, "key:b", CancellationToken.None));
        Assert.Equal(2L, await reopened.FindAssignmentAsync(other, "key:a", CancellationToken.None));
        Assert.Null(await reopened.FindAssignmentAsync(id, "key:c", CancellationToken.None));
    }

    [SkippableFact]
    public async Task Outcomes_TheFirstReportWins_AndTotalsCountEachArm()
    {
        var store = await OpenAsync();
        var id = (await store.InsertRolloutAsync(Canary(), CancellationToken.None)).Id;
        var experiments = store.Experiments;

        // Arm 1: three counted units (one of them also a request id that is not counted); arm 2: two; arm 3: none yet.
        await experiments.AddAssignmentsAsync(
            [new(id, "key:a", 1, true, T0), new(id, "key:b", 1, true, T0), new(id, "key:c", 1, true, T0), new(id, "id:r1", 1, false, T0), new(id, "key:d", 2, true, T0), new(id, "key:e", 2, true, T0)],
            CancellationToken.None);
        var first = await experiments.AddOutcomesAsync(id, [("key:a", "revenue", 1, 2.0), ("key:b", "revenue", 1, 3.0), ("key:a", "revenue", 1, 100.0), ("key:a", "clicks", 1, 1.0)], T0, CancellationToken.None);
        var second = await experiments.AddOutcomesAsync(id, [("key:b", "revenue", 1, 50.0), ("key:d", "revenue", 2, -1.5), ("key:z", "revenue", 3, 4.0)], T0.AddSeconds(1), CancellationToken.None);
        Assert.Equal([true, true, false, true], first);
        Assert.Equal([false, true, true], second);

        // key:z's outcome has no stored assignment: it counts nowhere until one is stored, then in that
        // assignment's arm (an outcome counts where its unit is counted, whatever version it came with).
        Assert.DoesNotContain(await experiments.TotalsAsync(id, "revenue", CancellationToken.None), t => t.Version == 3);
        await experiments.AddAssignmentsAsync([new(id, "key:z", 2, true, T0)], CancellationToken.None);
        await store.DisposeAsync();
        var totals = await (await OpenAsync()).Experiments.TotalsAsync(id, "revenue", CancellationToken.None);

        // By hand: arm 1 kept 2 and 3 (not 100, not 50); arm 2 kept -1.5 and key:z's 4 over three units.
        Assert.Equal(
            [new ArmTotals(1, 3, 2, 5.0, 13.0), new ArmTotals(2, 3, 2, 2.5, 18.25)],
            totals);
        Assert.Empty(await (await OpenAsync()).Experiments.TotalsAsync(id + 1, "revenue", CancellationToken.None));
    }

    [SkippableFact]
    public async Task Faults_AreSetAndReplacedByVariant_WithEveryNumberAndWhoSetThem_AndSurviveReopening()
    {
        var store = await OpenAsync();
        Assert.Empty(await store.FaultsAsync(CancellationToken.None));

        await store.SetFaultAsync(new StoredFault("fraud:2", new FaultSpec(0.25, 502), T0, "ops"), CancellationToken.None);
        await store.SetFaultAsync(new StoredFault("churn:1", new FaultSpec(0, 503, 150.5, 0.125), T0.AddSeconds(1), "ci"), CancellationToken.None);
        await store.SetFaultAsync(new StoredFault("fraud:2", new FaultSpec(1, 504, 20, 0.5), T0.AddSeconds(2), "ci"), CancellationToken.None);
        await store.DisposeAsync();

        // The second set of fraud:2 replaced the first, numbers, time and actor alike.
        Assert.Equal(
            [new StoredFault("churn:1", new FaultSpec(0, 503, 150.5, 0.125), T0.AddSeconds(1), "ci"), new StoredFault("fraud:2", new FaultSpec(1, 504, 20, 0.5), T0.AddSeconds(2), "ci")],
            await (await OpenAsync()).FaultsAsync(CancellationToken.None));
    }

    [SkippableFact]
    public async Task ClearFault_RemovesThatVariantOnly_AndSaysWhetherThereWasOne()
    {
        var store = await OpenAsync();
        await store.SetFaultAsync(new StoredFault("fraud:1", new FaultSpec(0.5), T0, "ops"), CancellationToken.None);
        await store.SetFaultAsync(new StoredFault("fraud:2", new FaultSpec(0.5), T0, "ops"), CancellationToken.None);

        Assert.True(await store.ClearFaultAsync("fraud:1", CancellationToken.None));
        Assert.False(await store.ClearFaultAsync("fraud:1", CancellationToken.None));
        Assert.False(await store.ClearFaultAsync("nobody:9", CancellationToken.None));
        await store.DisposeAsync();

        Assert.Equal(["fraud:2"], (await (await OpenAsync()).FaultsAsync(CancellationToken.None)).Select(f => f.Variant));
    }
}
