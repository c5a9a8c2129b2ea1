using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Usher.ControlPlane.Cluster;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Routing;
using Usher.Core.Telemetry;
using Usher.Server.Cluster;
using static Usher.Testing.Wait;

namespace Usher.Server.Tests.Cluster;

/// <summary>
/// A replica's rollout controller taken over between its check and its write, on a real PostgreSQL,
/// a real repository (fraud, ONNX Runtime) and fake time: the replica as <c>usher serve --state</c>
/// runs it (<see cref="ReplicaCluster"/>). The interleaving is built, not waited for: a store wrapper
/// runs the takeover just before it hands the step's first write on.
/// </summary>
public sealed class FencedLeaderTests
{
    private const string Canary = """
        {"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"steps": [5, 25, 50, 100], "interval": "60s"},
         "analysis": {"min_requests": 100, "min_predictions": 100, "inconclusive_after": "5m"}}
        """;

    private static readonly DateTimeOffset Start = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);
    private static readonly ClusterOptions Options = new();

    [SkippableFact]
    public async Task A_step_taken_over_after_its_check_writes_nothing_and_its_replica_stops_leading_logged_once_with_no_rollout_failed()
    {
        // Replica a leads on term 1 and resumes (nothing yet); it polls and ticks on the fake clock.
        await using var replica = await LeaderReplica.StartAsync(Start, Options, inner => new TakeoverStore(inner));
        var (shared, source, time, controller, a, logs) = (replica.Shared, replica.Source, replica.Time, replica.Controller, replica.Cluster, replica.Logs);
        var store = (TakeoverStore)replica.Store;
        Assert.Equal(1L, a.Member.Election.Term);

        replica.WriteVersion(2);
        var deployed = await controller.DeployAsync(ControllerHarnessSpec(Canary), "operator", a.Member.Election.Leadership);
        Assert.True(deployed.IsSuccess, deployed.Error?.Message);
        var rollout = deployed.Value!;

        // With no traffic, the tick after the step's interval and inconclusive_after pauses the
        // canary as inconclusive: one write of the rollout, after a's check (ConfirmAsync) passed.
        // Just before it, a's session is cut off and b takes over and resumes the rollout as a new
        // leader does (a fresh window from its step).
        var resumedAt = Start.AddMinutes(7);
        var fenceB = new ControllerFence();
        var timeB = new FakeTimeProvider();
        await using var b = new LeaderElection(source, "b", Options, timeB, NullLogger.Instance, fenceB);
        var tookOver = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.BeforeNextWrite = async () =>
        {
            await TerminateAsync(source, "a");
            await b.StartAsync(CancellationToken.None);
            await EventuallyAsync(() => b.IsLeader, "b takes over", () => timeB.Advance(Options.LeaderPollInterval));
            var asB = ((PostgresRolloutStore)shared.Store).FencedBy(fenceB);
            await asB.UpdateRolloutAsync(rollout with { StepStartedAt = resumedAt, UpdatedAt = resumedAt }, CancellationToken.None);
            await asB.AppendEventAsync(new RolloutEvent(0, "fraud", rollout.Id, resumedAt, "resume", "controller", "b resumes", null), CancellationToken.None);
            tookOver.SetResult();
        };
        time.Advance(TimeSpan.FromSeconds(60) + TimeSpan.FromMinutes(5));
        await tookOver.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // a's write was refused: a stops leading (it resigns; its session went with the takeover).
        await EventuallyAsync(() => !a.Leads && !a.Member.Election.IsLeader, "a stops leading");
        Assert.Equal(2L, b.Term);
        var stored = Assert.Single(await shared.Store.ActiveRolloutsAsync(CancellationToken.None));
        Assert.Equal((rollout.Id, RolloutPhase.Progressing, 0, null, resumedAt), (stored.Id, stored.Phase, stored.Step, stored.Reason, stored.StepStartedAt));
        var history = await shared.Store.HistoryAsync("fraud", 100, CancellationToken.None);
        Assert.Equal("resume", history[^1].Kind);
        Assert.DoesNotContain(history, e => e.Kind == "inconclusive");
        Assert.Equal([(2L, 5.0), (1L, 95.0)], (await shared.Store.RouteTablesAsync(CancellationToken.None)).Single().Variants.Select(v => (v.Version, v.Weight)));

        // Logged once, as the leadership lost with both terms; no controller failure, no failed rollout.
        await EventuallyAsync(() => logs.Entries.Any(e => e.EventId == LogEvents.ControllerStoppedAsFollower), "a says it follows");
        var lost = Assert.Single(logs.Entries, e => e.EventId == LogEvents.LeadershipLost);
        Assert.Contains("it wrote under controller term 1, but the shared state is at term 2", lost.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Entries, e => e.EventId == LogEvents.LeaderControllerFailed || e.Level >= LogLevel.Error);
    }

    private static DeploymentSpec ControllerHarnessSpec(string json) => DeploymentSpecParser.Parse(json).Spec ?? throw new InvalidOperationException(json);

    // Terminates the election session named after the replica (its application_name) and waits until it has exited.
    private static async Task TerminateAsync(NpgsqlDataSource source, string replica)
    {
        await using (var terminate = source.CreateCommand("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = @r AND datname = current_database()) t"))
        {
            terminate.Parameters.AddWithValue("r", replica);
            Assert.Equal(1L, await terminate.ExecuteScalarAsync());
        }

        await EventuallyAsync(
            async () =>
            {
                await using var alive = source.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = @r AND datname = current_database()");
                alive.Parameters.AddWithValue("r", replica);
                return (long)(await alive.ExecuteScalarAsync())! == 0;
            },
            $"the session of {replica} exits");
    }

    /// <summary>The controller's store, which runs <see cref="BeforeNextWrite"/> (once) before it hands the next write on.</summary>
    private sealed class TakeoverStore(IRolloutStore inner) : IRolloutStore
    {
        public Func<Task>? BeforeNextWrite { get; set; }

        public string Location => inner.Location;

        public IExperimentStore Experiments => inner.Experiments;

        public Task SaveRouteTableAsync(RouteTable table, DateTimeOffset at, CancellationToken cancellationToken) => AfterTakeoverAsync(() => inner.SaveRouteTableAsync(table, at, cancellationToken));

        public Task<IReadOnlyList<RouteTable>> RouteTablesAsync(CancellationToken cancellationToken) => inner.RouteTablesAsync(cancellationToken);

        public Task DeleteRouteTableAsync(string endpoint, CancellationToken cancellationToken) => AfterTakeoverAsync(() => inner.DeleteRouteTableAsync(endpoint, cancellationToken));

        public Task<Rollout> InsertRolloutAsync(Rollout rollout, CancellationToken cancellationToken) => AfterTakeoverAsync(() => inner.InsertRolloutAsync(rollout, cancellationToken));

        public Task UpdateRolloutAsync(Rollout rollout, CancellationToken cancellationToken) => AfterTakeoverAsync(() => inner.UpdateRolloutAsync(rollout, cancellationToken));

        public Task<IReadOnlyList<Rollout>> ActiveRolloutsAsync(CancellationToken cancellationToken) => inner.ActiveRolloutsAsync(cancellationToken);

        public Task<Rollout?> LatestRolloutAsync(string endpoint, CancellationToken cancellationToken) => inner.LatestRolloutAsync(endpoint, cancellationToken);

        public Task<RolloutEvent> AppendEventAsync(RolloutEvent entry, CancellationToken cancellationToken) => AfterTakeoverAsync(() => inner.AppendEventAsync(entry, cancellationToken));

        public Task<IReadOnlyList<RolloutEvent>> HistoryAsync(string endpoint, int limit, CancellationToken cancellationToken) => inner.HistoryAsync(endpoint, limit, cancellationToken);

        public Task SetRejectedAsync(string model, long version, string? reason, DateTimeOffset at, CancellationToken cancellationToken) => AfterTakeoverAsync(() => inner.SetRejectedAsync(model, version, reason, at, cancellationToken));

        public Task<IReadOnlyList<(string Model, long Version)>> RejectedAsync(CancellationToken cancellationToken) => inner.RejectedAsync(cancellationToken);

        public Task<IReadOnlyList<StoredFault>> FaultsAsync(CancellationToken cancellationToken) => inner.FaultsAsync(cancellationToken);

        public Task SetFaultAsync(StoredFault fault, CancellationToken cancellationToken) => AfterTakeoverAsync(() => inner.SetFaultAsync(fault, cancellationToken));

        public Task<bool> ClearFaultAsync(string variant, string replica, CancellationToken cancellationToken) => AfterTakeoverAsync(() => inner.ClearFaultAsync(variant, replica, cancellationToken));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private async Task AfterTakeoverAsync(Func<Task> write)
        {
            await TakeOverAsync();
            await write();
        }

        private async Task<T> AfterTakeoverAsync<T>(Func<Task<T>> write)
        {
            await TakeOverAsync();
            return await write();
        }

        private Task TakeOverAsync()
        {
            var takeover = BeforeNextWrite;
            BeforeNextWrite = null;
            return takeover?.Invoke() ?? Task.CompletedTask;
        }
    }
}
