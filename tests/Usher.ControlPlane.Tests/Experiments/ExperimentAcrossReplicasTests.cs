using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Experiments;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Routing;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Experiments;

/// <summary>
/// Two replicas' trackers on one PostgreSQL database: feedback reported to the replica that did not
/// serve the unit, before the one that did has flushed its buffered assignments, joins that
/// replica's assignment; repeated feedback, on either replica or both at once, counts once.
/// </summary>
public sealed class ExperimentAcrossReplicasTests : IAsyncLifetime
{
    private const string Endpoint = "fraud";
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly List<IRolloutStore> _stores = [];
    private readonly FakeTimeProvider _time = new(T0);
    private string _uri = string.Empty;

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.SharedAsync();
        _uri = server.Uri(await server.CreateDatabaseAsync());
    }

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task Feedback_AtTheReplicaThatDidNotServe_BeforeTheServerFlushed_IsPending_AndJoinsTheServersArmWhenItFlushes()
    {
        var (a, b, rollout) = await TwoReplicasAsync();
        var served = Users(40).ToDictionary(k => k, Arm);
        foreach (var key in served.Keys)
        {
            a.Observe(Observation(key, served[key]));
        }

        var items = served.Keys.Select((k, i) => new FeedbackItem(null, k, "conversion", i % 3 == 0 ? 1 : 0)).ToList();
        var atB = await b.RecordAsync(Endpoint, [.. items, new FeedbackItem(null, "never-served", "conversion", 1)], CancellationToken.None);

        Assert.NotNull(atB);
        Assert.All(atB, r => Assert.Equal((FeedbackStatus.Pending, (long?)null), (r.Status, r.Version)));
        Assert.Contains("key:user-0", atB[0].Message, StringComparison.Ordinal);
        Assert.Equal(40, a.Pending);
        Assert.Equal(0, (await b.Store.TotalsAsync(rollout.Id, "conversion", CancellationToken.None)).Sum(t => t.Outcomes));

        await a.FlushAsync(CancellationToken.None);

        // By hand: each arm's users, and the sum of their values; the never-served key counts nowhere.
        var expected = served.GroupBy(s => s.Value).OrderBy(g => g.Key).Select(g =>
        {
            var sum = g.Sum(s => items.Single(i => i.Key == s.Key).Value);
            return new ArmTotals(g.Key, g.Count(), g.Count(), sum, sum);
        });
        Assert.Equal(expected, await a.Store.TotalsAsync(rollout.Id, "conversion", CancellationToken.None));
        Assert.Equal(expected, await b.Store.TotalsAsync(rollout.Id, "conversion", CancellationToken.None));

        // Reported again, to either replica: a duplicate, now with the arm the unit was stored in.
        var again = await a.RecordAsync(Endpoint, [items[0]], CancellationToken.None);
        var againAtB = await b.RecordAsync(Endpoint, [items[1] with { Value = 1 - items[1].Value }], CancellationToken.None);
        Assert.Equal((FeedbackStatus.Duplicate, served["user-0"]), (again![0].Status, again[0].Version));
        Assert.Equal((FeedbackStatus.Duplicate, served["user-1"]), (againAtB![0].Status, againAtB[0].Version));
        Assert.Equal(expected, await b.Store.TotalsAsync(rollout.Id, "conversion", CancellationToken.None));
    }

    [SkippableFact]
    public async Task TheSameFeedback_PostedToBothReplicasAtOnce_CountsOnce()
    {
        var (a, b, rollout) = await TwoReplicasAsync();
        var keys = Users(30).ToList();
        foreach (var key in keys)
        {
            a.Observe(Observation(key, Arm(key)));
        }

        await a.FlushAsync(CancellationToken.None);
        var items = keys.Select(k => new FeedbackItem(null, k, "conversion", 1)).ToList();

        var answers = await Task.WhenAll(a.RecordAsync(Endpoint, items, CancellationToken.None), b.RecordAsync(Endpoint, items, CancellationToken.None));

        for (var i = 0; i < keys.Count; i++)
        {
            var statuses = answers.Select(r => r![i].Status).Order().ToList();
            Assert.Equal([FeedbackStatus.Recorded, FeedbackStatus.Duplicate], statuses);
        }

        var totals = await b.Store.TotalsAsync(rollout.Id, "conversion", CancellationToken.None);
        Assert.Equal(keys.Count, totals.Sum(t => t.Outcomes));
        Assert.Equal(keys.Count, totals.Sum(t => t.Sum));
    }

    private static IEnumerable<string> Users(int count) => Enumerable.Range(0, count).Select(i => "user-" + i.ToString(CultureInfo.InvariantCulture));

    // The arm the router gives a key under the experiment's 50/50 table (version 1 first).
    private static long Arm(string key) => StickyBucket.Of(Endpoint, key) < 0.5 ? 1 : 2;

    private RouteObservation Observation(string key, long version)
        => new(Endpoint, new RouteVariant("fraud", version, 50), _time.GetUtcNow(), null, 1.0, null, key, null, null, ObservationNeeds.Outcome);

    private async Task<(ExperimentTracker A, ExperimentTracker B, Rollout Rollout)> TwoReplicasAsync()
    {
        var spec = DeploymentSpecParser.Parse("""{"endpoint": "fraud", "strategy": "ab", "ab": {"variants": [{"version": 1, "weight": 50}, {"version": 2, "weight": 50}], "metric": "conversion"}}""").Spec!;
        var stores = new List<IRolloutStore>();
        for (var i = 0; i < 2; i++)
        {
            var target = PostgresTarget.Parse(_uri, out var problems) ?? throw new InvalidOperationException(string.Join("; ", problems));
            stores.Add(await PostgresRolloutStore.OpenAsync(target, CancellationToken.None));
        }

        _stores.AddRange(stores);
        var rollout = await stores[0].InsertRolloutAsync(
            new Rollout { Spec = spec, StableVersion = 1, Phase = RolloutPhase.Progressing, StepStartedAt = T0, CreatedAt = T0, UpdatedAt = T0 },
            CancellationToken.None);
        var trackers = stores.Select(s => new ExperimentTracker(s.Experiments, _time)).ToList();
        foreach (var tracker in trackers)
        {
            tracker.Start(Endpoint, rollout.Id, spec.Ab);
        }

        return (trackers[0], trackers[1], rollout);
    }
}
