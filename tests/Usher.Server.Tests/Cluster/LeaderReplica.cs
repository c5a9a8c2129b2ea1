using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Usher.Backends.Onnx;
using Usher.Backends.Onnx.Samples;
using Usher.ControlPlane.Cluster;
using Usher.ControlPlane.Faults;
using Usher.ControlPlane.Persistence;
using Usher.ControlPlane.Persistence.Postgres;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Server.Cluster;
using Usher.Server.Tests.Access;
using Usher.Testing;
using static Usher.Testing.Wait;

namespace Usher.Server.Tests.Cluster;

/// <summary>
/// Replica <c>a</c> as the server composes one for <c>usher serve --state</c> (<see cref="ReplicaCluster"/>
/// over the rollout controller, its recorder keeping the summaries replicas share), on a fresh
/// database of the shared test PostgreSQL, a repository with fraud version 1 (ONNX Runtime) and fake
/// time: started, leading, and having resumed (nothing yet). It polls and ticks on <see cref="Time"/>.
/// </summary>
internal sealed class LeaderReplica : IAsyncDisposable
{
    private readonly ILoggerFactory _loggers;
    private ServiceProvider? _services;
    private ReplicaCluster? _cluster;

    private LeaderReplica(SharedStateDatabase shared, NpgsqlDataSource source, DateTimeOffset start)
    {
        Shared = shared;
        Source = source;
        Time = new FakeTimeProvider(start);
        Models = new ModelManager(new OnnxBackend(), new RepositoryOptions { Path = Repository.Path, UnloadTimeoutSeconds = 5 });
        _loggers = LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
    }

    /// <summary>The shared state: <see cref="SharedStateDatabase.Store"/> reads what the leader wrote.</summary>
    public SharedStateDatabase Shared { get; }

    /// <summary>A data source of the test's own on the same database.</summary>
    public NpgsqlDataSource Source { get; }

    /// <summary>The model repository.</summary>
    public TempDirectory Repository { get; } = new();

    /// <summary>The replica's clock.</summary>
    public FakeTimeProvider Time { get; }

    /// <summary>The replica's models.</summary>
    public ModelManager Models { get; }

    /// <summary>The replica's log.</summary>
    public ListLogger Logs { get; } = new();

    /// <summary>The store the controller and the fault keeper write through: the fenced store, or what the test wrapped it in.</summary>
    public IRolloutStore Store { get; private set; } = null!;

    /// <summary>The replica's rollout controller.</summary>
    public RolloutController Controller => Services.GetRequiredService<RolloutController>();

    /// <summary>The replica's faults, as the admin calls set them.</summary>
    public FaultKeeper Faults => Services.GetRequiredService<FaultKeeper>();

    /// <summary>The replica's membership and controller wiring.</summary>
    public ReplicaCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    private ServiceProvider Services => _services ?? throw new InvalidOperationException("not started");

    /// <summary>Starts replica <c>a</c> and waits until it leads; <paramref name="wrap"/> wraps the fenced store the controller is given.</summary>
    public static async Task<LeaderReplica> StartAsync(DateTimeOffset start, ClusterOptions options, Func<IRolloutStore, IRolloutStore>? wrap = null)
    {
        var server = await PostgresServer.SharedAsync();
        var database = await server.CreateDatabaseAsync();
        var target = PostgresTarget.Parse(server.Uri(database), out var problems) ?? throw new InvalidOperationException(string.Join("; ", problems));
        var replica = new LeaderReplica(await SharedStateDatabase.OpenAsync(target, CancellationToken.None), NpgsqlDataSource.Create(server.ConnectionString(database)), start);
        try
        {
            await replica.ComposeAsync(options, wrap?.Invoke(replica.Shared.ControllerStore) ?? replica.Shared.ControllerStore);
            return replica;
        }
        catch
        {
            await replica.DisposeAsync();
            throw;
        }
    }

    /// <summary>Writes fraud's <paramref name="version"/> into the repository.</summary>
    public void WriteVersion(int version) => WriteVersion(Repository.Path, version);

    /// <summary>Writes fraud's <paramref name="version"/> into the repository at <paramref name="repository"/>.</summary>
    public static void WriteVersion(string repository, int version)
    {
        var path = Path.Combine(repository, "fraud", version.ToString(System.Globalization.CultureInfo.InvariantCulture), "model.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, SampleModels.BuildFraud(version));
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        _loggers.Dispose();
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        await Models.DisposeAsync();
        Repository.Dispose();
        await Source.DisposeAsync();
        await Shared.DisposeAsync();
    }

    private async Task ComposeAsync(ClusterOptions options, IRolloutStore store)
    {
        WriteVersion(1);
        Store = store;
        var routes = new EndpointRoutes();
        var injector = new FaultInjector(Time);
        var router = new InferenceRouter(Models, routes, injector, Time);
        _services = new ServiceCollection()
            .AddSingleton(Models).AddSingleton(routes).AddSingleton(router).AddSingleton(injector)
            .AddSingleton(store).AddSingleton<TimeProvider>(Time)
            .AddSingleton(new TrafficRecorder(Time, router.Observations, summarise: true))
            .AddRolloutController().BuildServiceProvider();
        await Controller.RestoreAsync(CancellationToken.None);
        await Models.LoadAllAsync(CancellationToken.None);

        var identity = new ReplicaIdentity("a", "http://127.0.0.1:9", null, ReplicaIdentity.DefaultRegion, new Dictionary<string, string>());
        _cluster = new ReplicaCluster(Shared, identity, options, Models, Controller, Faults, Services.GetRequiredService<WindowAnalyzer>(), TimeSpan.FromSeconds(1), Time, _loggers);
        await _cluster.StartAsync(CancellationToken.None);
        await EventuallyAsync(() => _cluster.Leads, "a leads and has resumed");
    }
}
