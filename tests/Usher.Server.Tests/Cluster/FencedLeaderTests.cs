using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Usher.Backends.Onnx;
using Usher.ControlPlane.Cluster;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Backends;
using Usher.Core.Routing;
using Usher.Core.Telemetry;
using Usher.Server.Admin;
using Usher.Server.Cluster;
using Usher.Testing;
using static Usher.Testing.Wait;

namespace Usher.Server.Tests.Cluster;

/// <summary>
/// A replica's rollout controller taken over between its check and its write, on a real PostgreSQL,
/// a real repository (fraud, ONNX Runtime) and fake time: the replica as <c>usher serve --state</c>
/// runs it (<see cref="ReplicaCluster"/>). The interleaving is built, not waited for: a store wrapper
/// runs the takeover just before it hands the step's first write on. And an admin call on the leader
/// (a deploy, through the real server in memory) held while its replica loses the leadership and
/// takes it back: a backend holds the candidate's load until the test releases it.
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

    [SkippableFact]
    public async Task An_admin_deploy_begun_under_one_term_writes_nothing_once_its_replica_lost_and_took_back_the_leadership_and_is_answered_503()
    {
        var (uri, target, source) = await CreateDatabaseAsync();
        await using var sessions = source;
        await using var store = await PostgresRolloutStore.OpenAsync(target, CancellationToken.None);
        using var dir = new TempDirectory();
        LeaderReplica.WriteVersion(dir.Path, 1);

        // One replica, as usher serve --state runs it, in memory on fake time; loads of version 2 wait for the test.
        var time = new FakeTimeProvider(Start);
        var backend = new HeldVersionBackend(2);
        await using var app = await UsherApp.StartAsync(
            dir.Path,
            admin: o =>
            {
                o.State = uri;
                o.DataDir = null;
                o.TickMs = 60_000;
            },
            configure: b =>
            {
                b.Services.AddSingleton<TimeProvider>(time).AddSingleton<IModelBackend>(backend);
            });
        var a = app.App.Services.GetRequiredService<ControlPlaneHost>().Cluster!;
        await EventuallyAsync(() => a.Leads, "a leads and has resumed");
        Assert.Equal(1L, a.Member.Election.Term);

        // The deploy is handled on a under term 1: it stores the rollout, then loads the candidate (held).
        LeaderReplica.WriteVersion(dir.Path, 2);
        var deploy = app.Client.PostAsync("/admin/deployments", new StringContent(Canary, System.Text.Encoding.UTF8, "application/json"));
        await backend.Held.WaitAsync(TimeSpan.FromSeconds(60));

        // a is cut off; b leads (term 2) and changes the state; a notices; b stops; a leads again (term 3).
        await TerminateAsync(source, a.Member.Identity.Id);
        var fenceB = new ControllerFence();
        await using (var b = new LeaderElection(source, "b", Options, new FakeTimeProvider(), NullLogger.Instance, fenceB))
        {
            await b.StartAsync(CancellationToken.None);
            await EventuallyAsync(() => b.IsLeader, "b takes over");
            Assert.Equal(2L, b.Term);
            var rollout = Assert.Single(await store.ActiveRolloutsAsync(CancellationToken.None));
            await store.FencedBy(fenceB).AppendEventAsync(new RolloutEvent(0, "fraud", rollout.Id, Start, "note", "b", "b led here", null), CancellationToken.None);
            await EventuallyAsync(() => !a.Member.Election.IsLeader, "a notices it lost the lock", () => time.Advance(Options.LeaderPollInterval));
            await b.StopAsync(CancellationToken.None);
        }

        await EventuallyAsync(() => a.Member.Election.Term == 3, "a leads again on term 3", () => time.Advance(Options.LeaderPollInterval));

        // The deploy goes on, and its next write (the canary's first table) is refused: its term was 1.
        backend.Release();
        using var answer = await deploy.WaitAsync(TimeSpan.FromSeconds(60));
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable, $"{(int)answer.StatusCode} {body}");
        Assert.Contains("it wrote under controller term 1, but the shared state is at term 3", body, StringComparison.Ordinal);
        Assert.Equal("1", answer.Headers.RetryAfter?.ToString());

        // Its writes before the lose-and-retake are stored (after the model's first table); none after it (the canary's first step).
        var history = await store.HistoryAsync("fraud", 100, CancellationToken.None);
        Assert.Equal(["route", "deploy", "note"], history.Select(e => e.Kind).Take(3));
        Assert.DoesNotContain(history, e => e.Kind == "step");

        // The new leadership carries on from what is stored: it resumes the stored rollout, and a retry conflicts with it.
        await EventuallyAsync(() => a.Leads, "a has resumed on term 3");
        var resumed = Assert.Single(await store.ActiveRolloutsAsync(CancellationToken.None));
        Assert.Equal((RolloutPhase.Progressing, 0), (resumed.Phase, resumed.Step));
        Assert.Equal("resume", (await store.HistoryAsync("fraud", 100, CancellationToken.None))[^1].Kind);
        using var retry = await app.Client.PostAsync("/admin/deployments", new StringContent(Canary, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, retry.StatusCode);
    }

    // A fresh database on the shared test server: its URI, the target the stores open, and a data source for the test's own sessions.
    private static async Task<(string Uri, PostgresTarget Target, NpgsqlDataSource Source)> CreateDatabaseAsync()
    {
        var server = await PostgresServer.SharedAsync();
        var database = await server.CreateDatabaseAsync();
        var uri = server.Uri(database);
        var target = PostgresTarget.Parse(uri, out var problems) ?? throw new InvalidOperationException(string.Join("; ", problems));
        return (uri, target, NpgsqlDataSource.Create(server.ConnectionString(database)));
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

    /// <summary>ONNX Runtime, with every load of one version held until the test releases it; <see cref="Held"/> completes when the first waits.</summary>
    private sealed class HeldVersionBackend(long version) : IModelBackend
    {
        private readonly OnnxBackend _inner = new();
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Held => _held.Task;

        public string Platform => _inner.Platform;

        public string ModelFileName => _inner.ModelFileName;

        public void Release() => _released.TrySetResult();

        public async Task<IBackendSession> LoadAsync(BackendLoadContext context, CancellationToken cancellationToken)
        {
            if (context.Version == version)
            {
                _held.TrySetResult();
                await _released.Task.WaitAsync(cancellationToken);
            }

            return await _inner.LoadAsync(context, cancellationToken);
        }
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
