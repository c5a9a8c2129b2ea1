using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Usher.Backends.Onnx;
using Usher.ControlPlane.Cluster;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.ControlPlane.Rollouts;
using Usher.ControlPlane.Tests.Cluster;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Rollouts;

/// <summary>
/// The rollout controller of a leader that is taken over between its check and its write, on a real
/// PostgreSQL, a real repository (fraud, ONNX Runtime) and fake time. The interleaving is built, not
/// waited for: a store wrapper runs the takeover just before it hands the step's first write on.
/// </summary>
public sealed class FencedControllerTests
{
    private const string Canary = """
        {"endpoint": "fraud", "version": 2, "strategy": "canary", "canary": {"steps": [5, 25, 50, 100], "interval": "60s"},
         "analysis": {"min_requests": 100, "min_predictions": 100, "inconclusive_after": "5m"}}
        """;

    private static readonly ClusterOptions Options = new();

    [SkippableFact]
    public async Task A_step_whose_leadership_is_taken_over_after_its_check_leaves_the_rollout_as_the_new_leader_wrote_it()
    {
        var server = await PostgresServer.SharedAsync();
        var database = await server.CreateDatabaseAsync();
        var target = PostgresTarget.Parse(server.Uri(database), out var problems) ?? throw new InvalidOperationException(string.Join("; ", problems));
        await using var shared = await SharedStateDatabase.OpenAsync(target, CancellationToken.None);
        await using var source = NpgsqlDataSource.Create(server.ConnectionString(database));
        using var dir = new TempDirectory();
        var repository = Path.Combine(dir.Path, "repo");
        ControllerHarness.WriteVersion(repository, 1);

        // Replica a leads on term 1. Its election's clock never moves: it never polls again, so only
        // its check before the step (ConfirmAsync) asks the database.
        await using var a = new LeaderElection(source, "a", Options, new FakeTimeProvider(), NullLogger.Instance, shared.Fence);
        await a.StartAsync(CancellationToken.None);
        await ClusterDatabase.EventuallyAsync(() => a.IsLeader, "a leads");
        Assert.Equal(1L, a.Term);

        var time = new FakeTimeProvider(ControllerHarness.Start);
        await using var models = new ModelManager(new OnnxBackend(), new RepositoryOptions { Path = repository, UnloadTimeoutSeconds = 5 });
        var routes = new EndpointRoutes();
        var store = new TakeoverStore(shared.ControllerStore);
        await using var services = new ServiceCollection()
            .AddSingleton(models).AddSingleton(routes).AddSingleton(new InferenceRouter(models, routes, new FaultInjector(time), time))
            .AddSingleton<IRolloutStore>(store).AddSingleton<TimeProvider>(time)
            .AddRolloutController().BuildServiceProvider();
        var controller = services.GetRequiredService<RolloutController>();
        await controller.RestoreAsync(CancellationToken.None);
        await models.LoadAllAsync(CancellationToken.None);
        await controller.StartAsync(startTimer: false, a.Leadership);
        ControllerHarness.WriteVersion(repository, 2);
        var deployed = await controller.DeployAsync(ControllerHarness.Spec(Canary), "operator", a.Leadership);
        Assert.True(deployed.IsSuccess, deployed.Error?.Message);
        var rollout = deployed.Value!;

        // With no traffic, the tick after the step's interval and inconclusive_after pauses the
        // canary as inconclusive: one write of the rollout. Just before it, b takes over and
        // resumes the rollout as a new leader does (a fresh window from its step).
        time.Advance(TimeSpan.FromSeconds(60) + TimeSpan.FromMinutes(5));
        var resumedAt = time.GetUtcNow();
        var fenceB = new ControllerFence();
        var timeB = new FakeTimeProvider();
        await using var b = new LeaderElection(source, "b", Options, timeB, NullLogger.Instance, fenceB);
        store.BeforeNextWrite = async () =>
        {
            await source.TerminateHolderAsync();
            await b.StartAsync(CancellationToken.None);
            await ClusterDatabase.EventuallyAsync(() => b.IsLeader, "b takes over", () => timeB.Advance(Options.LeaderPollInterval));
            var asB = shared.Store is PostgresRolloutStore raw ? raw.FencedBy(fenceB) : throw new InvalidOperationException("expected the PostgreSQL store");
            await asB.UpdateRolloutAsync(rollout with { StepStartedAt = resumedAt, UpdatedAt = resumedAt }, CancellationToken.None);
            await asB.AppendEventAsync(new RolloutEvent(0, "fraud", rollout.Id, resumedAt, "resume", "controller", "b resumes", null), CancellationToken.None);
        };

        Assert.True(await a.ConfirmAsync(CancellationToken.None));
        var refused = await Assert.ThrowsAsync<LeadershipLostException>(() => controller.TickAsync(a.Leadership));

        Assert.Equal((1L, 2L), (refused.WriterTerm, refused.StoredTerm));
        Assert.Equal(2L, b.Term);
        var stored = Assert.Single(await shared.Store.ActiveRolloutsAsync(CancellationToken.None));
        Assert.Equal((rollout.Id, RolloutPhase.Progressing, 0, null, resumedAt), (stored.Id, stored.Phase, stored.Step, stored.Reason, stored.StepStartedAt));
        var history = await shared.Store.HistoryAsync("fraud", 100, CancellationToken.None);
        Assert.Equal("resume", history[^1].Kind);
        Assert.DoesNotContain(history, e => e.Kind == "inconclusive");
        Assert.Equal([(2L, 5.0), (1L, 95.0)], (await shared.Store.RouteTablesAsync(CancellationToken.None)).Single().Variants.Select(v => (v.Version, v.Weight)));
    }

    /// <summary>The controller's store, which runs <see cref="BeforeNextWrite"/> (once) before it hands the next write on.</summary>
    private sealed class TakeoverStore(IRolloutStore inner) : IRolloutStore
    {
        public Func<Task>? BeforeNextWrite { get; set; }

        public string Location => inner.Location;

        public IExperimentStore Experiments => inner.Experiments;

        public async Task SaveRouteTableAsync(RouteTable table, DateTimeOffset at, CancellationToken cancellationToken)
        {
            await BeforeWriteAsync();
            await inner.SaveRouteTableAsync(table, at, cancellationToken);
        }

        public Task<IReadOnlyList<RouteTable>> RouteTablesAsync(CancellationToken cancellationToken) => inner.RouteTablesAsync(cancellationToken);

        public async Task DeleteRouteTableAsync(string endpoint, CancellationToken cancellationToken)
        {
            await BeforeWriteAsync();
            await inner.DeleteRouteTableAsync(endpoint, cancellationToken);
        }

        public async Task<Rollout> InsertRolloutAsync(Rollout rollout, CancellationToken cancellationToken)
        {
            await BeforeWriteAsync();
            return await inner.InsertRolloutAsync(rollout, cancellationToken);
        }

        public async Task UpdateRolloutAsync(Rollout rollout, CancellationToken cancellationToken)
        {
            await BeforeWriteAsync();
            await inner.UpdateRolloutAsync(rollout, cancellationToken);
        }

        public Task<IReadOnlyList<Rollout>> ActiveRolloutsAsync(CancellationToken cancellationToken) => inner.ActiveRolloutsAsync(cancellationToken);

        public Task<Rollout?> LatestRolloutAsync(string endpoint, CancellationToken cancellationToken) => inner.LatestRolloutAsync(endpoint, cancellationToken);

        public async Task<RolloutEvent> AppendEventAsync(RolloutEvent entry, CancellationToken cancellationToken)
        {
            await BeforeWriteAsync();
            return await inner.AppendEventAsync(entry, cancellationToken);
        }

        public Task<IReadOnlyList<RolloutEvent>> HistoryAsync(string endpoint, int limit, CancellationToken cancellationToken) => inner.HistoryAsync(endpoint, limit, cancellationToken);

        public async Task SetRejectedAsync(string model, long version, string? reason, DateTimeOffset at, CancellationToken cancellationToken)
        {
            await BeforeWriteAsync();
            await inner.SetRejectedAsync(model, version, reason, at, cancellationToken);
        }

        public Task<IReadOnlyList<(string Model, long Version)>> RejectedAsync(CancellationToken cancellationToken) => inner.RejectedAsync(cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private Task BeforeWriteAsync()
        {
            var takeover = BeforeNextWrite;
            BeforeNextWrite = null;
            return takeover?.Invoke() ?? Task.CompletedTask;
        }
    }
}
